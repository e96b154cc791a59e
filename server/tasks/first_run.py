"""What a first start needs: an administrator to sign in to the console with, a project,
the instruments published, and an app user to scan.

Run by `jaring setup` (and so by ``scripts/serve``) before the server starts; running it
again changes nothing that is already in place.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from server.domain import Services, accounts
from server.domain.access import SYSTEM
from server.domain.projects import create_project, list_app_users
from server.store import projects as project_store
from server.store.tables import Project
from server.tasks.app_users import ProvisionedAppUser, app_user_access, provision_app_user
from server.tasks.instrument_publishing import PublishOutcome, publish_instruments

FIRST_PROJECT_NAME = "Pemetaan ESS perempuan (SSE mapping)"
FIRST_APP_USER_NAME = "Enumerator 1"
FIRST_ADMIN_EMAIL = "admin@jaring.local"
# Letters and digits that cannot be mistaken for one another when read off a screen.
_READABLE = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class FirstAdmin:
    """The administrator a first run made: the password only when it was generated."""

    email: str
    generated_password: str | None


def readable_password(length: int = 16) -> str:
    return "".join(secrets.choice(_READABLE) for _ in range(length))


def ensure_administrator(
    services: Services, *, email: str, password: str | None
) -> FirstAdmin | None:
    """Make a first site administrator unless there is one; None when there was one.
    Without a password, one is generated (and returned, to be shown once)."""
    if accounts.has_administrator(services):
        return None
    generated = readable_password() if password is None else None
    accounts.create_user(
        services, email=email, password=password or generated, admin=True, display_name=None
    )
    return FirstAdmin(email=email, generated_password=generated)


@dataclass
class FirstRun:
    project: Project
    published: list[PublishOutcome]
    app_user: ProvisionedAppUser


def prepare(services: Services, *, instruments_dir: Path | None, origin: str) -> FirstRun:
    with services.db.read() as session:
        project = project_store.first_project(session)
    if project is None:
        project = create_project(services, SYSTEM, name=FIRST_PROJECT_NAME)
    assert project.id is not None
    published: list[PublishOutcome] = []
    if instruments_dir is not None and instruments_dir.is_dir():
        published = publish_instruments(
            services, project_id=project.id, instruments_dir=instruments_dir
        )
    form_ids = [outcome.form_id for outcome in published]
    existing = list_app_users(services, SYSTEM, project_id=project.id)
    if existing and existing[-1][1].token is not None:
        first_row, first_key = existing[-1]  # the oldest: the list is newest first
        assert first_row.id is not None and first_key.token is not None
        app_user = app_user_access(
            services,
            project_id=project.id,
            actor_id=first_row.id,
            display_name=first_row.display_name,
            token=first_key.token,
            form_ids=form_ids,
            origin=origin,
        )
    else:
        app_user = provision_app_user(
            services,
            project_id=project.id,
            name=FIRST_APP_USER_NAME,
            form_ids=form_ids,
            origin=origin,
        )
    return FirstRun(project=project, published=published, app_user=app_user)
