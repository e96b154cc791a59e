"""Helpers for the console's tests: signing in with the cookie, reading forms' CSRF
tokens, and parsing pages with lxml (assert on chosen elements, not on whole pages)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import lxml.html

CSRF = re.compile(r'name="__csrf" value="([^"]*)"')


def page(response: httpx.Response) -> Any:
    """The response's HTML as an lxml tree."""
    assert "text/html" in response.headers.get("content-type", ""), response.text[:500]
    return lxml.html.fromstring(response.text)


def text(response: httpx.Response, selector: str) -> list[str]:
    """The text of every element the CSS selector finds, whitespace collapsed."""
    return [" ".join(el.text_content().split()) for el in page(response).cssselect(selector)]


def csrf_of(response: httpx.Response) -> str:
    """The page's CSRF token (the first non-empty ``__csrf`` field)."""
    tokens = [token for token in CSRF.findall(response.text) if token]
    assert tokens, "the page has no CSRF token"
    return tokens[0]


def sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    """Sign in through the sign-in page, as a browser does; the cookie stays in ``client``."""
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"__csrf": csrf_of(form), "email": email, "password": password, "next": "/projects"},
    )
    return response


class Console:
    """A signed-in browser-like client: GETs pages, POSTs forms with the session's token."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self._csrf: str | None = None

    @property
    def csrf(self) -> str:
        if self._csrf is None:
            self._csrf = csrf_of(self.client.get("/account"))
        return self._csrf

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return self.client.post(path, data={"__csrf": self.csrf, **(data or {})}, **kwargs)
