"""A client of the ODK Central REST API (Jaring or a stock Central), on httpx.

`Credentials` come from the command line, the environment (``JARING_EMAIL``,
``JARING_PASSWORD``), or a pyODK configuration file's ``[central]`` section
(``base_url``, ``username``, ``password``, ``default_project_id``), so one config serves
pyODK and Jaring's commands alike. `CentralClient` logs in once through
``POST /v1/sessions`` and sends the bearer token with every request; an error status
becomes `ServerRefused` carrying Central's problem message.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sync.errors import ServerRefused, SyncError

PYODK_CONFIG_ENV = "PYODK_CONFIG_FILE"
DEFAULT_PYODK_CONFIG = Path.home() / ".pyodk_config.toml"


@dataclass(frozen=True)
class Credentials:
    server_url: str
    email: str
    password: str = field(repr=False)
    default_project_id: int | None = None


def credentials_from(
    *,
    server_url: str | None = None,
    email: str | None = None,
    password: str | None = None,
    config_path: Path | None = None,
) -> Credentials:
    """Fill what was not given from the environment, then from a pyODK config file."""
    email = email or os.environ.get("JARING_EMAIL")
    password = password or os.environ.get("JARING_PASSWORD")
    project: int | None = None
    path = config_path or Path(os.environ.get(PYODK_CONFIG_ENV, DEFAULT_PYODK_CONFIG))
    if (not server_url or not email or not password) and path.is_file():
        central = tomllib.loads(path.read_text()).get("central", {})
        server_url = server_url or central.get("base_url")
        email = email or central.get("username")
        password = password or central.get("password")
        project = central.get("default_project_id")
    missing = [n for n, v in (("server URL", server_url), ("email", email)) if not v]
    if missing:
        raise SyncError(f"no {' or '.join(missing)} given (options, environment or {path})")
    if password is None:
        raise SyncError("no password given (prompt, JARING_PASSWORD or the config file)")
    assert server_url is not None and email is not None
    return Credentials(server_url.rstrip("/"), email, password, project)


class CentralClient:
    """REST calls under ``{server_url}/v1`` as a logged-in web user."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        client: httpx.Client | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.credentials = credentials
        self._owns_client = client is None
        self.client = client or httpx.Client(timeout=timeout)
        self._token: str | None = None

    @property
    def api(self) -> str:
        return f"{self.credentials.server_url}/v1"

    def log_in(self) -> str:
        response = self.client.post(
            f"{self.api}/sessions",
            json={"email": self.credentials.email, "password": self.credentials.password},
        )
        raise_for_problem(response)
        token: str = response.json()["token"]
        self._token = token
        return token

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request to ``/v1{path}``; an error status raises `ServerRefused`."""
        response = self.client.request(
            method, f"{self.api}{path}", headers=self._headers(kwargs), **kwargs
        )
        if response.status_code == 401 and self._token is not None:
            self._token = None  # the session expired: log in again, once
            response = self.client.request(
                method, f"{self.api}{path}", headers=self._headers(kwargs), **kwargs
            )
        raise_for_problem(response)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()

    @contextmanager
    def stream(self, method: str, path: str, **kwargs: Any) -> Iterator[httpx.Response]:
        """A response whose body is read as it arrives (large downloads)."""
        with self.client.stream(
            method, f"{self.api}{path}", headers=self._headers(kwargs), **kwargs
        ) as response:
            if response.status_code >= 400:
                response.read()
                raise_for_problem(response)
            yield response

    def close(self) -> None:
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _headers(self, kwargs: dict[str, Any]) -> dict[str, str]:
        if self._token is None:
            self.log_in()
        headers = dict(kwargs.pop("headers", None) or {})
        headers["Authorization"] = f"Bearer {self._token}"
        return headers


def raise_for_problem(response: httpx.Response) -> None:
    """Raise `ServerRefused` with Central's problem message for an error status."""
    if response.status_code < 400:
        return
    message = response.text
    try:
        body = response.json()
        if isinstance(body, dict) and "message" in body:
            message = str(body["message"])
    except ValueError:
        pass
    raise ServerRefused(response.status_code, message)
