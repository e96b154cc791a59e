"""Browser tests' tools: a tab of Debian's Chromium (driven by Playwright) that records
every request to a host other than the test server and every error in the browser's
console, so a test can fail on either; screenshots; signing in as a person does."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Page, Request, Response

from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]


class WatchedPage:
    """A browser tab on the test server that records what it must never do."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.host = urlsplit(base_url).netloc
        self.foreign: list[str] = []
        self.errors: list[str] = []
        self.documents: set[str] = set()  # pages answered with an error status on purpose
        page.on("request", self._request)
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _request(self, request: Request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return
        if parts.netloc != self.host:
            self.foreign.append(request.url)

    def _response(self, response: Response) -> None:
        if response.request.is_navigation_request() and response.status >= 400:
            self.documents.add(response.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        # Chromium logs a page answered with a 4xx as a failed load; an error page (a
        # refused upload, a 403) is such a page. Only its own document is let pass.
        where = (message.location or {}).get("url", "")
        if message.text.startswith("Failed to load resource") and where in self.documents:
            return
        self.errors.append(message.text)

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        return target

    def check_clean(self) -> None:
        assert self.foreign == [], f"requests to other hosts: {self.foreign}"
        assert self.errors == [], f"errors in the browser: {self.errors}"


def sign_in(tab: WatchedPage, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    """Sign in through the sign-in page and land on the projects."""
    tab.goto("/login")
    tab.page.fill("#email", email)
    tab.page.fill("#password", password)
    tab.page.click("main button[type=submit]")
    tab.page.wait_for_url("**/projects")
