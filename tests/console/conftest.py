"""Fixtures for the console: clients signed in with a role, and a real browser.

The browser is Debian's Chromium driven by Playwright (``scripts/test`` installs it when
it is missing; Playwright cannot fetch its own browsers here). A tab from `desktop` or
`phone` fails its test if it asked any host but the test server for anything, or if the
browser logged an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.console.browser import CHROMIUM, CHROMIUM_ARGS, WatchedPage
from tests.console.support import Console, sign_in


@pytest.fixture
def admin_console(admin_headers: dict[str, str], base_url: str) -> Iterator[Console]:
    """A client signed in to the console as the site administrator of `admin_headers`."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        response = sign_in(client, ADMIN_EMAIL, ADMIN_PASSWORD)
        assert response.status_code == 303, response.text
        yield Console(client)


@pytest.fixture
def console_as(base_url: str) -> Iterator[Callable[[str, str], Console]]:
    """``console_as(email, password)``: a signed-in client for a user made beforehand."""
    clients: list[httpx.Client] = []

    def make(email: str, password: str) -> Console:
        client = httpx.Client(base_url=base_url, timeout=30)
        clients.append(client)
        response = sign_in(client, email, password)
        assert response.status_code == 303, response.text
        return Console(client)

    yield make
    for client in clients:
        client.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Chromium for one test module. Not for the whole session: while Playwright's
    synchronous API runs, it holds an event loop running in this thread, and tests of
    other modules call asyncio.run."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def _watched(browser: Browser, base_url: str, width: int, height: int) -> Iterator[WatchedPage]:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="id-ID")
    watched = WatchedPage(context.new_page(), base_url)
    yield watched
    context.close()
    watched.check_clean()


@pytest.fixture
def desktop(browser: Browser, base_url: str) -> Iterator[WatchedPage]:
    """A desktop-sized tab (1280 × 900) on this test's server."""
    yield from _watched(browser, base_url, 1280, 900)


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[WatchedPage]:
    """A phone-sized tab (390 × 844) on this test's server."""
    yield from _watched(browser, base_url, 390, 844)
