"""Working out the caller of a request: app-user key in the path, bearer token, or Basic.

``/v1/key/{key}/…`` is an app user (ODK Collect); otherwise ``Authorization: Bearer``
is a session from ``POST /v1/sessions`` (pyODK) and ``Authorization: Basic`` a web user's
email and password (ruODK, Excel and Power BI, Collect configured with a web user).
Without an ``Authorization`` header, a ``GET`` or ``HEAD`` may carry the console's session
cookie, as in ODK Central: so the console's links to downloads and photos work, while a
request that changes anything must come with a header (no cross-site request forgery
through the API). No credentials at all is an anonymous caller, refused by whatever
needs rights.
"""

from __future__ import annotations

import base64
import binascii
from typing import Annotated

from fastapi import Depends, Request

from server import problems
from server.domain import Services
from server.domain.access import Actor
from server.domain.accounts import Credentials, resolve_caller

MAX_CREDENTIAL_LENGTH = 1024
SESSION_COOKIE = "jaring_session"
"""The console's session cookie: the token of a session, as ``POST /v1/sessions`` gives."""
SAFE_METHODS = ("GET", "HEAD")


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def credentials_of(request: Request) -> Credentials:
    """What the request presents (nothing looked up yet); 401 if it is malformed."""
    key = request.path_params.get("key")
    if key is not None:
        if len(key) > MAX_CREDENTIAL_LENGTH:
            raise problems.authentication_failed()
        return Credentials(app_user_token=key)
    header = request.headers.get("authorization")
    if not header:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie and request.method in SAFE_METHODS and len(cookie) <= MAX_CREDENTIAL_LENGTH:
            return Credentials(bearer_token=cookie)
        return Credentials()
    if len(header) > MAX_CREDENTIAL_LENGTH:
        raise problems.authentication_failed()
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    value = value.strip()
    if scheme == "bearer" and value:
        return Credentials(bearer_token=value)
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise problems.authentication_failed() from error
        email, sep, password = decoded.partition(":")
        if not sep:
            raise problems.authentication_failed()
        return Credentials(email=email, password=password)
    raise problems.authentication_failed()


def phone_caller(request: Request) -> tuple[Services, Credentials]:
    """The services and the credentials of a phone's request (form list, form download,
    submission), read by the endpoint itself: FastAPI's solving of `ServicesDep` and
    `CredentialsDep` cost about 35 µs a request, a tenth of a form list's CPU."""
    return services_of(request), credentials_of(request)


def current_actor(request: Request) -> Actor:
    return resolve_caller(services_of(request), credentials_of(request))


async def _credentials(request: Request) -> Credentials:
    # A coroutine: reading headers needs no worker thread.
    return credentials_of(request)


async def _services(request: Request) -> Services:
    # A coroutine, so FastAPI does not send this lookup to a worker thread and back.
    return services_of(request)


ServicesDep = Annotated[Services, Depends(_services)]
ActorDep = Annotated[Actor, Depends(current_actor)]
# For endpoints that look their caller up in the same read as their work.
CredentialsDep = Annotated[Credentials, Depends(_credentials)]
