"""Central's ``PUT /v1/projects/{id}``: a project, its forms' states and the app users
assigned to each form, replaced in one request.

Every part is checked before anything changes: the forms given must be exactly the
project's forms (Central's 501.2 otherwise, as it creates and deletes none here), each
once, with a known state; an assignment needs an ``actorId`` naming one of the project's
app users and a known ``roleId``. Then the project is
updated, and each form's state and assignments follow, each step audited as on its own.
"""

from __future__ import annotations

from typing import Any

from server import problems
from server.domain import Services, assignments, forms, projects
from server.domain.access import ROLES_BY_ID, Actor
from server.store import accounts as account_store
from server.store.tables import Project


def replace_project(
    services: Services, actor: Actor, project_id: int, body: dict[str, Any]
) -> Project:
    name, description, archived = body.get("name"), body.get("description"), body.get("archived")
    if not isinstance(name, str):
        raise problems.missing_parameter("name")
    if description is not None and not isinstance(description, str):
        raise problems.unexpected_value("description", description, "expected text.")
    if archived is not None and not isinstance(archived, bool):
        raise problems.unexpected_value("archived", archived, "expected true or false.")
    given = body.get("forms")
    plan: list[tuple[str, object, list[tuple[str, int]] | None]] = []
    if given is not None:
        if not isinstance(given, list):
            raise problems.unexpected_value("forms", given, "expected a list.")
        extant = {
            v.form.xml_form_id for v in forms.list_forms(services, actor, project_id=project_id)
        }
        if len(given) != len(extant):
            raise problems.unexpected_forms_list()
        seen: set[str] = set()
        for entry in given:
            xml_form_id = entry.get("xmlFormId") if isinstance(entry, dict) else None
            if xml_form_id in seen:
                raise problems.unexpected_value("xmlFormId", xml_form_id, "duplicate value")
            if xml_form_id not in extant:
                raise problems.unexpected_forms_list()
            seen.add(str(xml_form_id))
            plan.append((str(xml_form_id), entry.get("state"), _assignments(entry)))
    _check_plan(services, project_id, plan)
    project = projects.update_project(
        services,
        actor,
        project_id,
        name=name,
        description=description or "",
        archived=bool(archived),
    )
    for xml_form_id, state, wanted in plan:
        if state is not None:
            forms.set_state(
                services, actor, project_id=project_id, xml_form_id=xml_form_id, state=state
            )
        if wanted is not None:
            _assign(services, actor, project_id, xml_form_id, wanted)
    return project


def _check_plan(
    services: Services,
    project_id: int,
    plan: list[tuple[str, object, list[tuple[str, int]] | None]],
) -> None:
    """Refuse, before anything changes, what the steps would refuse one by one halfway."""
    with services.db.read() as session:
        for _, state, wanted in plan:
            if state is not None and state not in forms.FORM_STATES:
                raise problems.unexpected_value("state", state, "not a recognized state name")
            for role, actor_id in wanted or []:
                if role not in assignments.FORM_ROLES:
                    raise problems.insufficient_rights()
                if (
                    account_store.field_key_by_id(session, project_id=project_id, actor_id=actor_id)
                    is None
                ):
                    raise problems.not_found()


def _assignments(entry: dict[str, Any]) -> list[tuple[str, int]] | None:
    """The (role, actor id) pairs a form entry asks for; None when it does not say."""
    given = entry.get("assignments")
    if given is None:
        return None
    if not isinstance(given, list):
        raise problems.unexpected_value("assignments", given, "expected a list.")
    wanted = []
    for item in given:
        actor_id = item.get("actorId") if isinstance(item, dict) else None
        role_id = item.get("roleId") if isinstance(item, dict) else None
        if actor_id is None:
            raise problems.missing_parameter("assignment actorId")
        if role_id is None:
            raise problems.missing_parameter("assignment roleId")
        role = ROLES_BY_ID.get(str(role_id))
        if role is None:
            raise problems.key_does_not_exist("roleId", role_id, "roles")
        wanted.append((role.system, int(actor_id)))
    return wanted


def _assign(
    services: Services,
    actor: Actor,
    project_id: int,
    xml_form_id: str,
    wanted: list[tuple[str, int]],
) -> None:
    """Make the form's assignments of the roles named in ``wanted`` (and of app users) be
    exactly ``wanted``."""
    roles = {role for role, _ in wanted} | {"app-user"}
    for role in roles:
        held = {
            a.id
            for a in assignments.list_form_assignments(
                services, actor, project_id=project_id, xml_form_id=xml_form_id, role=role
            )
        }
        want = {actor_id for r, actor_id in wanted if r == role}
        for actor_id in sorted(held - want):
            assignments.unassign_form(
                services,
                actor,
                project_id=project_id,
                xml_form_id=xml_form_id,
                role=role,
                actor_id=actor_id,
            )
        for actor_id in sorted(want - held):
            assignments.assign_form(
                services,
                actor,
                project_id=project_id,
                xml_form_id=xml_form_id,
                role=role,
                actor_id=actor_id,
            )
