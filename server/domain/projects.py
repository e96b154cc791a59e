"""Projects, their app users, and role assignments within them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server import problems
from server.data.credentials import new_token, token_digest
from server.domain import Services, audits, utcnow
from server.domain.access import (
    FIELD_KEY_CREATE,
    FIELD_KEY_DELETE,
    FIELD_KEY_LIST,
    PROJECT_DELETE,
    PROJECT_READ,
    PROJECT_UPDATE,
    Actor,
)
from server.domain.accounts import Credentials, resolve_caller
from server.store import accounts as account_store
from server.store import projects as store
from server.store.driver import Driver
from server.store.tables import Actor as ActorRow
from server.store.tables import FieldKey, Project

MAX_NAME_LENGTH = 300


def create_project(
    services: Services, actor: Actor, *, name: str, description: str | None = None
) -> Project:
    actor.require_admin()
    name = _clean_name(name)
    with services.db.write() as session:
        return store.insert_project(session, name=name, description=description, now=utcnow())


def get_project(services: Services, actor: Actor, project_id: int) -> Project:
    with services.db.read() as session:
        project = store.project_by_id(session, project_id=project_id)
    _check_project(actor, project_id, exists=project is not None)
    assert project is not None
    return project


def require_project(driver: Driver, actor: Actor, project_id: int) -> None:
    """`get_project`'s checks without loading the project, in the caller's read: for the
    phones' requests, which need to know only that they may go on."""
    _check_project(actor, project_id, exists=store.project_is_live(driver, project_id=project_id))


def accepts_phone_requests(
    services: Services, caller: Actor | Credentials, project_id: int
) -> None:
    """What a phone's ``HEAD …/submission`` checks, as in Central: a known caller, and a
    project that exists (404.1 otherwise); the form is checked when the submission comes."""
    with services.db.driver_read() as driver:
        actor = resolve_caller(services, caller, driver)
        if actor.anonymous:
            raise actor.refusal()
        if not store.project_is_live(driver, project_id=project_id):
            raise problems.not_found()


def _check_project(actor: Actor, project_id: int, *, exists: bool) -> None:
    if not exists:
        raise problems.not_found()
    check_project_access(actor, project_id)


def check_project_access(actor: Actor, project_id: int) -> None:
    """`require_project`'s check of the caller, for a project known to be live: an app
    user only in its own project, anyone else with project.read."""
    if actor.type == "field_key":
        if actor.app_user_project != project_id:
            raise actor.refusal()
    else:
        actor.require(PROJECT_READ, project_id=project_id)


def list_projects(services: Services, actor: Actor) -> list[Project]:
    """The projects the caller may read; app users read none (they hold no project.read)."""
    if actor.anonymous:
        raise actor.refusal()
    if actor.type == "field_key":
        return []
    with services.db.read() as session:
        return store.list_projects(session, only_ids=actor.visible_project_ids())


def read_project(services: Services, actor: Actor, project_id: int) -> Project:
    """``GET /v1/projects/{id}``: needs project.read, which app users do not hold."""
    project = get_project(services, actor, project_id)
    actor.require(PROJECT_READ, project_id=project_id)
    return project


def update_project(
    services: Services,
    actor: Actor,
    project_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    archived: bool | None = None,
) -> Project:
    """Rename, describe or archive a project (``PATCH /v1/projects/{id}``); None keeps a
    value as it is. An archived project stays readable but leaves the default lists."""
    get_project(services, actor, project_id)
    actor.require(PROJECT_UPDATE, project_id=project_id)
    changes: dict[str, Any] = {}
    with services.db.write() as session:
        project = store.project_by_id(session, project_id=project_id)
        if project is None:
            raise problems.not_found()
        if name is not None:
            project.name = changes["name"] = _clean_name(name)
        if description is not None:
            project.description = changes["description"] = description.strip() or None
        if archived is not None:
            project.archived = changes["archived"] = archived
        project.updated_at = utcnow()
        session.add(project)
        audits.record(session, actor, "project.update", f"project:{project_id}", changes)
        return project


def delete_project(services: Services, actor: Actor, project_id: int) -> None:
    """Delete a project (administrators): it leaves every list, and its phones' URLs
    answer 404.1 from then on, as in Central."""
    get_project(services, actor, project_id)
    actor.require(PROJECT_DELETE, project_id=project_id)
    with services.db.write() as session:
        project = store.project_by_id(session, project_id=project_id)
        if project is None:
            raise problems.not_found()
        project.deleted_at = utcnow()
        session.add(project)
        audits.record(session, actor, "project.delete", f"project:{project_id}")


def create_app_user(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    display_name: str,
    form_ids: list[int] | None = None,
) -> tuple[ActorRow, FieldKey]:
    """A new app user of the project, optionally given access to some of its forms."""
    get_project(services, actor, project_id)
    actor.require(FIELD_KEY_CREATE, project_id=project_id)
    display_name = _clean_name(display_name, field="displayName")
    token = new_token()
    with services.db.write() as session:
        row, key = account_store.insert_field_key(
            session,
            project_id=project_id,
            display_name=display_name,
            token=token,
            token_hash=token_digest(token),
            created_by=actor.id,
            now=utcnow(),
        )
        assert row.id is not None
        for form_id in form_ids or []:
            account_store.insert_assignment(
                session, actor_id=row.id, role="app-user", scope=f"form:{form_id}"
            )
        audits.record(
            session, actor, "field_key.create", f"actor:{row.id}", {"projectId": project_id}
        )
    return row, key


def list_app_users(
    services: Services, actor: Actor, *, project_id: int
) -> list[tuple[ActorRow, FieldKey]]:
    get_project(services, actor, project_id)
    actor.require(FIELD_KEY_LIST, project_id=project_id)
    with services.db.read() as session:
        return account_store.list_field_keys(session, project_id=project_id)


@dataclass(frozen=True)
class AppUserView:
    """An app user (a phone) with its token and the ids of the forms it may fill."""

    actor_id: int
    display_name: str
    token: str | None
    created_at: datetime
    form_ids: frozenset[int]


def app_users_with_forms(services: Services, actor: Actor, *, project_id: int) -> list[AppUserView]:
    """The project's live app users, newest first, each with its forms."""
    get_project(services, actor, project_id)
    actor.require(FIELD_KEY_LIST, project_id=project_id)
    with services.db.read() as session:
        keys = account_store.list_field_keys(session, project_id=project_id)
        views = []
        for row, key in keys:
            assert row.id is not None
            form_ids = frozenset(
                int(a.scope.split(":", 1)[1])
                for a in account_store.assignments_of(session, actor_id=row.id)
                if a.role == "app-user" and a.scope.startswith("form:")
            )
            views.append(AppUserView(row.id, row.display_name, key.token, row.created_at, form_ids))
    return views


def get_app_user(
    services: Services, actor: Actor, *, project_id: int, actor_id: int
) -> AppUserView:
    for view in app_users_with_forms(services, actor, project_id=project_id):
        if view.actor_id == actor_id:
            return view
    raise problems.not_found()


def revoke_app_user(services: Services, actor: Actor, *, project_id: int, actor_id: int) -> None:
    """Delete an app user: its token stops working at once, its assignments go."""
    get_project(services, actor, project_id)
    actor.require(FIELD_KEY_DELETE, project_id=project_id)
    with services.db.write() as session:
        found = account_store.field_key_by_id(session, project_id=project_id, actor_id=actor_id)
        if found is None:
            raise problems.not_found()
        row, key = found
        key.token = None
        key.token_hash = None
        row.deleted_at = utcnow()
        session.add(key)
        session.add(row)
        account_store.delete_assignments_of(session, actor_id=actor_id)
        audits.record(
            session, actor, "field_key.delete", f"actor:{actor_id}", {"projectId": project_id}
        )


def project_stats(services: Services, *, project_id: int) -> dict[str, Any]:
    """What ``X-Extended-Metadata`` adds to a project: counts and the last submission."""
    with services.db.read() as session:
        return store.project_stats(session, project_id=project_id)


def _clean_name(name: str, field: str = "name") -> str:
    if not isinstance(name, str) or not name.strip():
        raise problems.missing_parameter(field)
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise problems.unexpected_value(field, name[:40] + "…", "it is too long.")
    return name
