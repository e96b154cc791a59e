"""Building the absolute URLs Jaring hands out (form list, manifest, QR codes): one place.

The origin is the configured public URL, or else the request's own scheme and host
(honouring ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` from a TLS-terminating proxy).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from fastapi import Request

from server.external.network import is_loopback_host, lan_address
from server.settings import Settings


def origin(request: Request, settings: Settings) -> str:
    if settings.public_url:
        return settings.public_url.rstrip("/")
    proto = request.headers.get("x-forwarded-proto", request.url.scheme).split(",")[0].strip()
    host = request.headers.get("x-forwarded-host") or request.headers.get("host")
    if not host:
        host = (
            f"{request.url.hostname}:{request.url.port}"
            if request.url.port
            else str(request.url.hostname)
        )
    return f"{proto}://{host.split(',')[0].strip()}"


@dataclass(frozen=True)
class PhoneOrigin:
    """The origin to put in a phone's server URL, and whether a phone can reach it."""

    origin: str
    reachable: bool


def reachable_origin(seen: str, public_url: str | None) -> PhoneOrigin:
    """The configured public URL; else ``seen``, unless it names this machine only to
    itself (localhost, 127.x: the coordinator's browser on the hub), which becomes the
    machine's LAN address. ``reachable`` is False when no such address was found."""
    if public_url:
        return PhoneOrigin(public_url.rstrip("/"), True)
    parts = urlsplit(seen)
    if not is_loopback_host(parts.hostname or ""):
        return PhoneOrigin(seen.rstrip("/"), True)
    found = lan_address()
    if found is None:
        return PhoneOrigin(seen.rstrip("/"), False)
    port = f":{parts.port}" if parts.port else ""
    return PhoneOrigin(f"{parts.scheme}://{found}{port}", True)


def phone_origin(request: Request, settings: Settings) -> PhoneOrigin:
    """Where phones reach this server, for the QR codes a request's page shows."""
    return reachable_origin(origin(request, settings), settings.public_url)


def project_base(request: Request, settings: Settings, project_id: int) -> str:
    """Where this caller reaches the project: under its app-user key, or plainly."""
    key = request.path_params.get("key")
    prefix = f"/v1/key/{quote(key, safe='')}" if key else "/v1"
    return f"{origin(request, settings)}{prefix}/projects/{project_id}"


def form_base(request: Request, settings: Settings, project_id: int, xml_form_id: str) -> str:
    return f"{project_base(request, settings, project_id)}/forms/{quote(xml_form_id, safe='')}"


def draft_test_form_base(
    request: Request, settings: Settings, token: str, project_id: int, xml_form_id: str
) -> str:
    """Where ODK Collect reaches a form's draft under its draft-testing token."""
    return draft_test_server_url(origin(request, settings), token, project_id, xml_form_id)


def draft_test_server_url(server_origin: str, token: str, project_id: int, xml_form_id: str) -> str:
    """The server URL ODK Collect is configured with to try a draft (Central's)."""
    return (
        f"{server_origin.rstrip('/')}/v1/test/{quote(token, safe='')}"
        f"/projects/{project_id}/forms/{quote(xml_form_id, safe='')}/draft"
    )


def collect_server_url(server_origin: str, token: str, project_id: int) -> str:
    """The server URL an app user's ODK Collect is configured with."""
    return f"{server_origin.rstrip('/')}/v1/key/{token}/projects/{project_id}"
