"""Public links (Central's public access links): a link that lets anyone holding it fill
one published form in the browser, without an account.

Off unless the server's ``public_links`` setting is on. A project manager (whoever may
update the form) makes a link with a name and may revoke it; a revoked link, or any link
while the setting is off, is a 404. Each link is an actor of its own (stored with type
``public_link``), the submitter of what comes through it, holding nothing but the right
to read and fill its one form while that form is open, as an app user given only that
form. Each link takes at most
``public_link_submissions_per_hour`` submissions an hour (429 beyond), counted in the database
as the log-in limits are, so every server process counts them together.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime

from server import problems
from server.data.credentials import new_token
from server.domain import Services, utcnow
from server.domain.access import FORM_UPDATE, Actor
from server.domain.forms import authorised_form
from server.store import attempts
from server.store import public_links as store
from server.store.tables import PublicLink

MAX_NAME = 64
WINDOW_SECONDS = 3600.0


@dataclass(frozen=True)
class LinkView:
    """A link as a manager sees it."""

    id: int
    display_name: str
    token: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class OpenLink:
    """A link in use: its actor, and the form it opens."""

    actor: Actor
    project_id: int
    xml_form_id: str
    form_id: int


def _require_enabled(services: Services) -> None:
    if not services.settings.public_links:
        raise problems.not_found()


def create_link(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, display_name: str
) -> LinkView:
    _require_enabled(services)
    name = display_name.strip()
    if not name or len(name) > MAX_NAME:
        raise problems.unexpected_value(
            "displayName", name[:40], f"a link needs a name of 1 to {MAX_NAME} characters."
        )
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    if form.current_def_id is None:
        raise problems.not_found()
    assert form.id is not None
    with services.db.write() as session:
        link, link_actor = store.insert_link(
            session,
            form_id=form.id,
            display_name=name,
            token=new_token(),
            created_by=actor.id,
            now=utcnow(),
        )
        return _view(link, link_actor.display_name)


def list_links(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str
) -> list[LinkView]:
    _require_enabled(services)
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    assert form.id is not None
    with services.db.read() as session:
        return [
            _view(link, link_actor.display_name)
            for link, link_actor in store.links_of_form(session, form_id=form.id)
        ]


def revoke_link(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, link_id: int
) -> None:
    _require_enabled(services)
    form = authorised_form(services, actor, project_id, xml_form_id, FORM_UPDATE)
    assert form.id is not None
    with services.db.write() as session:
        if not store.revoke(session, form_id=form.id, actor_id=link_id, now=utcnow()):
            raise problems.not_found()


def open_link(services: Services, token: str) -> OpenLink:
    """The link behind ``token``: 404 when there is none, it was revoked, or links are off."""
    _require_enabled(services)
    if not token or len(token) > 64:
        raise problems.not_found()
    with services.db.read() as session:
        found = store.link_by_token(session, token=token)
    if found is None:
        raise problems.not_found()
    link, link_actor, form = found
    assert form.id is not None
    # In memory the link is an app user of its project assigned its one form: it holds
    # what such an app user holds (read and fill that form while open), nothing more.
    actor = Actor(
        id=link.actor_id,
        type="field_key",
        display_name=link_actor.display_name,
        app_user_project=form.project_id,
        app_user_forms={form.id},
    )
    return OpenLink(
        actor=actor, project_id=form.project_id, xml_form_id=form.xml_form_id, form_id=form.id
    )


def _view(link: PublicLink, name: str) -> LinkView:
    return LinkView(
        id=link.actor_id,
        display_name=name,
        token=link.token,
        created_at=link.created_at,
        revoked_at=link.revoked_at,
    )


def count_submission(services: Services, link: OpenLink) -> None:
    """Count one submission through ``link``, or refuse it with 429 past the limit."""
    limit = services.settings.public_link_submissions_per_hour
    assert link.actor.id is not None
    key = f"public_link:{link.actor.id}"
    now = time.time()
    with services.db.write() as session:
        attempts.take_turns(session, key)
        count, oldest = attempts.recent(session, [key], since=now - WINDOW_SECONDS).get(
            key, (0, now)
        )
        if count >= limit:
            wait = max(1, math.ceil(oldest + WINDOW_SECONDS - now))
            raise problems.Problem(
                "429.1",
                "This link has taken as many submissions as it may in an hour. Please wait.",
                {"retryAfter": wait},
                headers={"Retry-After": str(wait)},
            )
        attempts.add(session, [key], at=now)
