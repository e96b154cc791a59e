"""Web users, app users, sessions, and working out who is calling.

`resolve_*` turn a bearer token, Basic credentials or an app user's key into an `Actor`
with its roles. Verified Basic credentials are remembered briefly (keyed by a digest of
the password and the stored hash), so ruODK and Power BI, which send them on every
request, do not pay for scrypt each time; a password change invalidates them at once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session

from server import problems
from server.data.credentials import (
    hash_password,
    new_token,
    same_secret,
    token_digest,
    verify_password,
)
from server.domain import Services, audits, ratelimit, utcnow
from server.domain.access import FIELD_KEY_DELETE, Actor
from server.store import accounts as store
from server.store.driver import Driver
from server.store.tables import Actor as ActorRow
from server.store.tables import AuthSession, FieldKey, User

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 72 * 4
BASIC_CACHE_SECONDS = 60.0
BASIC_CACHE_SIZE = 1000
WELL_FORMED_TOKEN = re.compile(r"[A-Za-z0-9_!$-]{64}")


@dataclass
class NewSession:
    token: str
    row: AuthSession


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise problems.password_too_short()
    if len(password) > MAX_PASSWORD_LENGTH:
        raise problems.Problem(
            "400.38", "The password or passphrase provided exceeds the maximum length."
        )


def create_user(
    services: Services,
    *,
    email: str,
    password: str | None,
    admin: bool = False,
    display_name: str | None = None,
) -> tuple[ActorRow, User]:
    email = email.strip()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise problems.unexpected_value("email", email, "expected an email address.")
    if password is not None:
        check_password_rules(password)
    password_hash = hash_password(password) if password is not None else None
    with services.db.write() as session:
        if store.user_by_email(session, email=email) is not None:
            raise problems.uniqueness_violation(["email"], [email])
        actor, user = store.insert_user(
            session,
            email=email,
            display_name=display_name or email,
            password_hash=password_hash,
            now=utcnow(),
        )
        if admin:
            assert actor.id is not None
            store.insert_assignment(session, actor_id=actor.id, role="admin", scope="*")
    return actor, user


def has_administrator(services: Services) -> bool:
    """Whether any web user is a site administrator (a first run makes one if not)."""
    with services.db.read() as session:
        return any(
            store.user_by_actor_id(session, actor_id=a.actor_id) is not None
            for a in store.assignments_on(session, scope="*", role="admin")
        )


def set_password(services: Services, *, email: str, password: str) -> None:
    check_password_rules(password)
    password_hash = hash_password(password)
    with services.db.write() as session:
        found = store.user_by_email(session, email=email)
        if found is None:
            raise problems.not_found()
        found[1].password_hash = password_hash
        session.add(found[1])
        store.delete_sessions_of(session, actor_id=found[1].actor_id)


def promote_to_admin(services: Services, *, email: str) -> bool:
    """Make the user a site-wide administrator; False if they were one already."""
    with services.db.write() as session:
        found = store.user_by_email(session, email=email)
        if found is None:
            raise problems.not_found()
        assert found[0].id is not None
        return store.insert_assignment(session, actor_id=found[0].id, role="admin", scope="*")


def log_in(services: Services, *, email: str, password: str) -> tuple[NewSession, ActorRow]:
    ratelimit.before_attempt(services, email)
    with services.db.read() as session:
        found = store.user_by_email(session, email=email)
    # Hash even for an unknown email, so timing does not reveal which emails exist.
    stored = found[1].password_hash if found else _DUMMY_HASH
    if not verify_password(password, stored) or found is None:
        ratelimit.after_attempt(services, email, ok=False)
        raise problems.authentication_failed()
    ratelimit.after_attempt(services, email, ok=True)
    actor = found[0]
    assert actor.id is not None
    token = new_token()
    now = utcnow()
    with services.db.write() as session:
        store.delete_expired_sessions(session, now=now)
        row = store.insert_session(
            session,
            token_hash=token_digest(token),
            actor_id=actor.id,
            csrf=secrets.token_urlsafe(32),
            now=now,
            expires_at=now + timedelta(hours=services.settings.session_hours),
        )
        store.set_last_login(session, actor_id=actor.id, now=now)
        audits.record(session, Actor(id=actor.id), "user.session.create", f"actor:{actor.id}")
    return NewSession(token=token, row=row), actor


def log_out(services: Services, *, token_hash: str) -> None:
    with services.db.write() as session:
        store.delete_session(session, token_hash=token_hash)


def end_session(services: Services, actor: Actor, *, token: str) -> None:
    """``DELETE /v1/sessions/{token}``: one's own web session, or an app user's token for
    whoever may delete that project's app users. Anything else is 403.1, as in Central."""
    if actor.anonymous:
        raise actor.refusal()
    digest = token_digest(token)
    with services.db.write() as session:
        row = store.session_by_token_hash(session, token_hash=digest)
        if row is not None and row.actor_id == actor.id:
            store.delete_session(session, token_hash=digest)
            return
        found = store.field_key_by_token_hash(session, token_hash=digest)
        if found is None or found[1].token is None or not same_secret(found[1].token, token):
            raise problems.insufficient_rights()
        key = found[1]
        actor.require(FIELD_KEY_DELETE, project_id=key.project_id)
        key.token = None
        key.token_hash = None
        session.add(key)
        audits.record(
            session,
            actor,
            "field_key.session.end",
            f"actor:{key.actor_id}",
            {"projectId": key.project_id},
        )


def resolve_bearer(services: Services, token: str) -> Actor:
    return resolve_web_session(services, token).actor


@dataclass(frozen=True)
class WebSession:
    """A live session (from ``POST /v1/sessions`` or the console's sign-in) and its user."""

    actor: Actor
    csrf: str
    email: str
    language: str | None
    expires_at: datetime


def resolve_web_session(services: Services, token: str) -> WebSession:
    """The session a token opens, with its user's roles; 401.2 if it is unknown or over."""
    digest = token_digest(token)
    with services.db.read() as session:
        row = store.session_by_token_hash(session, token_hash=digest)
        if row is None or _aware(row.expires_at) <= utcnow():
            raise problems.authentication_failed()
        actor = store.actor_by_id(session, actor_id=row.actor_id)
        if actor is None:
            raise problems.authentication_failed()
        resolved = _with_roles(session, actor)
        user = session.get(User, actor.id)
    resolved.session_token_hash = digest
    return WebSession(
        actor=resolved,
        csrf=row.csrf,
        email=user.email if user is not None else "",
        language=user.language if user is not None else None,
        expires_at=_aware(row.expires_at),
    )


def set_language(services: Services, actor: Actor, *, language: str) -> None:
    """Remember the console language a web user chose."""
    if actor.anonymous or actor.type != "user":
        raise actor.refusal()
    with services.db.write() as session:
        user = session.get(User, actor.id)
        if user is None:
            raise problems.not_found()
        user.language = language
        session.add(user)


_basic_cache: dict[str, tuple[float, int]] = {}
_basic_lock = threading.Lock()


def resolve_basic(services: Services, email: str, password: str) -> Actor:
    with services.db.read() as session:
        found = store.user_by_email(session, email=email)
        stored = found[1].password_hash if found else None
        key = hashlib.sha256(
            f"{email.lower()}\0{password}\0{stored}".encode("utf-8", "surrogatepass")
        ).hexdigest()
        with _basic_lock:
            hit = _basic_cache.get(key)
        if found is None or hit is None or hit[0] < time.monotonic() or hit[1] != found[0].id:
            ratelimit.before_attempt(services, email)
            if not verify_password(password, stored if found else _DUMMY_HASH) or found is None:
                ratelimit.after_attempt(services, email, ok=False)
                raise problems.authentication_failed()
            ratelimit.after_attempt(services, email, ok=True)
            assert found[0].id is not None
            with _basic_lock:
                if len(_basic_cache) >= BASIC_CACHE_SIZE:
                    _basic_cache.clear()
                _basic_cache[key] = (time.monotonic() + BASIC_CACHE_SECONDS, found[0].id)
        return _with_roles(session, found[0])


@dataclass(frozen=True)
class Credentials:
    """What a request presents to say who sent it, before anything is looked up: an app
    user's token (from its URL), a session token, or a web user's email and password."""

    app_user_token: str | None = None
    bearer_token: str | None = None
    email: str | None = None
    password: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.app_user_token is None and self.bearer_token is None and self.email is None


def resolve_caller(
    services: Services, credentials: Credentials | Actor, driver: Driver | None = None
) -> Actor:
    """The actor behind ``credentials`` (an anonymous one when there are none; an actor
    already resolved is returned as it is).

    An app user, the phones' caller on every request, is looked up in ``driver``'s read
    when one is given, so that a phone's request needs one read for everything.
    """
    if isinstance(credentials, Actor):
        return credentials
    if credentials.app_user_token is not None:
        if driver is not None:
            return app_user_actor(driver, credentials.app_user_token)
        return resolve_app_user(services, credentials.app_user_token)
    if credentials.bearer_token is not None:
        return resolve_bearer(services, credentials.bearer_token)
    if credentials.email is not None:
        return resolve_basic(services, credentials.email, credentials.password or "")
    return Actor()


def resolve_app_user(services: Services, token: str) -> Actor:
    """The app user of a ``/v1/key/{token}`` URL."""
    with services.db.driver_read() as driver:
        return app_user_actor(driver, token)


def app_user_actor(driver: Driver, token: str) -> Actor:
    """The app user of a token, read on ``driver``.

    As Central: a token that is not even well-formed fails authentication (401.2); a
    well-formed one that is no longer live (the app user was deleted or revoked) is 403.1.
    """
    # The app user and its forms in one statement, read on every request (so a revoked
    # token stops working at once); the roles as `_with_roles` gives a field key.
    return app_user_of_row(
        store.app_user_by_token_hash(driver, token_hash=token_digest(token)), token
    )


def app_user_of_row(found: Any | None, token: str) -> Actor:
    """`app_user_actor` of the row `store.app_user_by_token_hash` read for ``token`` (or
    None), wherever it was read."""
    if found is None or found.token is None or not same_secret(found.token, token):
        if WELL_FORMED_TOKEN.fullmatch(token):
            raise problems.insufficient_rights()
        raise problems.authentication_failed()
    resolved = Actor(id=found.id, type="field_key", display_name=found.display_name)
    resolved.app_user_project = found.project_id
    if found.form_ids:
        resolved.app_user_forms = set(map(int, found.form_ids.split(",")))
    return resolved


def _with_roles(session: Session, actor: ActorRow, field_key: FieldKey | None = None) -> Actor:
    assert actor.id is not None
    resolved = Actor(id=actor.id, type=actor.type, display_name=actor.display_name)
    if actor.type == "field_key":
        if field_key is None:
            found = session.get(FieldKey, actor.id)
            if found is None or found.token is None:
                raise problems.authentication_failed()
            field_key = found
        resolved.app_user_project = field_key.project_id
    for assignment in store.assignments_of(session, actor_id=actor.id):
        if assignment.scope == "*" and assignment.role == "admin":
            resolved.is_admin = actor.type == "user"
        elif assignment.scope.startswith("project:") and actor.type == "user":
            project_id = int(assignment.scope.split(":", 1)[1])
            resolved.project_roles.setdefault(project_id, set()).add(assignment.role)
        elif assignment.scope.startswith("form:") and assignment.role == "app-user":
            resolved.app_user_forms.add(int(assignment.scope.split(":", 1)[1]))
    return resolved


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))
