"""Giving roles to actors on forms (app users) — Central's form assignments.

Roles are named by their system name (``app-user``) or by Central's numeric role id.
"""

from __future__ import annotations

from server import problems
from server.domain import Services, audits
from server.domain.access import (
    ASSIGNMENT_CREATE,
    ASSIGNMENT_DELETE,
    ASSIGNMENT_LIST,
    Actor,
    find_role,
)
from server.domain.forms import authorised_form
from server.store import accounts as account_store
from server.store.tables import Actor as ActorRow

FORM_ROLES = {"app-user"}


def role_name(role: str) -> str:
    return find_role(role).system


def assign_form(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    role: str,
    actor_id: int,
    exist_ok: bool = True,
) -> None:
    """Give an app user a form; ``exist_ok=False`` answers a repeat with 409.3 (Central)."""
    form_id = _form_id(services, actor, project_id, xml_form_id, ASSIGNMENT_CREATE)
    name = role_name(role)
    if name not in FORM_ROLES:
        raise problems.insufficient_rights()
    with services.db.write() as session:
        if account_store.field_key_by_id(session, project_id=project_id, actor_id=actor_id) is None:
            raise problems.not_found()
        if not account_store.insert_assignment(
            session, actor_id=actor_id, role=name, scope=f"form:{form_id}"
        ):
            if exist_ok:
                return
            raise problems.uniqueness_violation(
                ["actorId", "roleId", "acteeId"], [str(actor_id), "2", f"form:{form_id}"]
            )
        audits.record(
            session,
            actor,
            "field_key.assignment.create",
            f"actor:{actor_id}",
            {"roleId": 2, "grantedActeeId": f"form:{form_id}"},
        )


def unassign_form(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    role: str,
    actor_id: int,
) -> None:
    form_id = _form_id(services, actor, project_id, xml_form_id, ASSIGNMENT_DELETE)
    with services.db.write() as session:
        removed = account_store.delete_assignment(
            session, actor_id=actor_id, role=role_name(role), scope=f"form:{form_id}"
        )
        if removed:
            audits.record(
                session,
                actor,
                "field_key.assignment.delete",
                f"actor:{actor_id}",
                {"roleId": 2, "revokedActeeId": f"form:{form_id}"},
            )
    if not removed:
        raise problems.not_found()


def list_form_assignments(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, role: str
) -> list[ActorRow]:
    """The actors holding ``role`` on the form (Central answers with the actors)."""
    form_id = _form_id(services, actor, project_id, xml_form_id, ASSIGNMENT_LIST)
    name = role_name(role)
    with services.db.read() as session:
        return account_store.actors_assigned(session, scope=f"form:{form_id}", role=name)


def _form_id(services: Services, actor: Actor, project_id: int, xml_form_id: str, verb: str) -> int:
    form = authorised_form(services, actor, project_id, xml_form_id, verb)
    assert form.id is not None
    return form.id


def set_app_user_forms(
    services: Services, actor: Actor, *, project_id: int, actor_id: int, form_ids: set[int]
) -> None:
    """Make the app user's forms exactly ``form_ids`` (forms of this project), giving and
    taking away assignments as needed, each audited as Central audits them."""
    from server.domain.forms import list_forms

    known = {v.form.id for v in list_forms(services, actor, project_id=project_id)}
    if not form_ids <= known:
        raise problems.not_found()
    if not actor.can(ASSIGNMENT_CREATE, project_id=project_id) or not actor.can(
        ASSIGNMENT_DELETE, project_id=project_id
    ):
        raise actor.refusal()
    with services.db.write() as session:
        if account_store.field_key_by_id(session, project_id=project_id, actor_id=actor_id) is None:
            raise problems.not_found()
        held = {
            int(a.scope.split(":", 1)[1])
            for a in account_store.assignments_of(session, actor_id=actor_id)
            if a.role == "app-user" and a.scope.startswith("form:")
        }
        for form_id in sorted(form_ids - held):
            account_store.insert_assignment(
                session, actor_id=actor_id, role="app-user", scope=f"form:{form_id}"
            )
            audits.record(
                session,
                actor,
                "field_key.assignment.create",
                f"actor:{actor_id}",
                {"roleId": 2, "grantedActeeId": f"form:{form_id}"},
            )
        for form_id in sorted((held & known) - form_ids):
            account_store.delete_assignment(
                session, actor_id=actor_id, role="app-user", scope=f"form:{form_id}"
            )
            audits.record(
                session,
                actor,
                "field_key.assignment.delete",
                f"actor:{actor_id}",
                {"roleId": 2, "revokedActeeId": f"form:{form_id}"},
            )
