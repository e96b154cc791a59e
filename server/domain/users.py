"""Web users and the roles they hold: ``/v1/users``, project role assignments and the
site-wide ``admin`` role (``/v1/assignments``), as ODK Central has them.

Anyone logged in may look a user up by exact email (that is how a manager finds the
person to give a role to); only administrators list every user or create users. A
password change needs the old password, even for an administrator, as in Central; an
administrator may instead set a new password for someone who forgot theirs (the
console's reset, since Jaring sends no email).
"""

from __future__ import annotations

from dataclasses import dataclass

from server import problems
from server.data.credentials import hash_password, verify_password
from server.domain import Services, accounts, audits, utcnow
from server.domain.access import (
    ASSIGNMENT_CREATE,
    ASSIGNMENT_DELETE,
    ASSIGNMENT_LIST,
    ROLES,
    USER_CREATE,
    USER_LIST,
    Actor,
    Role,
    find_role,
)
from server.domain.projects import get_project
from server.store import accounts as store
from server.store.tables import Actor as ActorRow
from server.store.tables import User

PROJECT_ROLE_NAMES = ("manager", "viewer", "formfill")


def create_user(
    services: Services,
    actor: Actor,
    *,
    email: str,
    password: str | None,
    display_name: str | None = None,
) -> tuple[ActorRow, User]:
    if USER_CREATE not in actor.verbs():
        raise actor.refusal()
    row, user = accounts.create_user(
        services, email=email, password=password, display_name=display_name
    )
    with services.db.write() as session:
        audits.record(session, actor, "user.create", f"actor:{row.id}", {"email": user.email})
    return row, user


def list_users(
    services: Services, actor: Actor, *, q: str | None = None
) -> list[tuple[ActorRow, User]]:
    if actor.anonymous:
        raise actor.refusal()
    with services.db.read() as session:
        if q:
            exact = store.user_by_email(session, email=q.strip())
            if exact is not None:
                return [exact]
        if USER_LIST not in actor.verbs():
            return []
        users = store.list_users(session)
    if q:
        needle = q.strip().lower()
        users = [
            (a, u)
            for a, u in users
            if needle in u.email.lower() or needle in a.display_name.lower()
        ]
    return users


def get_user(services: Services, actor: Actor, *, actor_id: int) -> tuple[ActorRow, User]:
    if actor.anonymous:
        raise actor.refusal()
    if actor.id != actor_id and USER_LIST not in actor.verbs():
        raise actor.refusal()
    with services.db.read() as session:
        found = store.user_by_actor_id(session, actor_id=actor_id)
    if found is None:
        raise problems.not_found()
    return found


def update_user(
    services: Services, actor: Actor, *, actor_id: int, display_name: str | None
) -> tuple[ActorRow, User]:
    row, user = get_user(services, actor, actor_id=actor_id)
    if actor.id != actor_id and not actor.is_admin:
        raise actor.refusal()
    with services.db.write() as session:
        if display_name:
            row.display_name = display_name.strip()[:200]
        row.updated_at = utcnow()
        session.add(row)
        audits.record(session, actor, "user.update", f"actor:{actor_id}")
    return row, user


def change_password(services: Services, actor: Actor, *, actor_id: int, old: str, new: str) -> None:
    if actor.anonymous:
        raise actor.refusal()
    if actor.id != actor_id and not actor.is_admin:
        raise actor.refusal()
    with services.db.read() as session:
        found = store.user_by_actor_id(session, actor_id=actor_id)
    if found is None:
        raise problems.not_found()
    if not verify_password(old, found[1].password_hash):
        raise problems.authentication_failed()
    accounts.check_password_rules(new)
    password_hash = hash_password(new)
    with services.db.write() as session:
        user = session.get(User, actor_id)
        assert user is not None
        user.password_hash = password_hash
        session.add(user)
        audits.record(session, actor, "user.update", f"actor:{actor_id}", {"password": True})


# Role assignments ------------------------------------------------------------------------


def list_roles() -> list[Role]:
    return list(ROLES)


def project_assignments(
    services: Services, actor: Actor, *, project_id: int, role: str | None = None
) -> list[tuple[int, Role]]:
    get_project(services, actor, project_id)
    actor.require(ASSIGNMENT_LIST, project_id=project_id)
    wanted = find_role(role) if role is not None else None
    with services.db.read() as session:
        rows = store.assignments_on(
            session, scope=f"project:{project_id}", role=wanted.system if wanted else None
        )
    return [(row.actor_id, find_role(row.role)) for row in rows]


def assign_project_role(
    services: Services, actor: Actor, *, project_id: int, role: str, actor_id: int
) -> None:
    get_project(services, actor, project_id)
    actor.require(ASSIGNMENT_CREATE, project_id=project_id)
    found = find_role(role)
    if found.system not in PROJECT_ROLE_NAMES:
        raise problems.insufficient_rights()
    if not found.verbs <= actor.verbs(project_id=project_id):
        raise actor.refusal()
    with services.db.write() as session:
        if store.user_by_actor_id(session, actor_id=actor_id) is None:
            raise problems.not_found()
        if not store.insert_assignment(
            session, actor_id=actor_id, role=found.system, scope=f"project:{project_id}"
        ):
            raise problems.uniqueness_violation(
                ["actorId", "roleId", "acteeId"], [str(actor_id), str(found.id), str(project_id)]
            )
        audits.record(
            session,
            actor,
            "user.assignment.create",
            f"actor:{actor_id}",
            {"roleId": found.id, "grantedActeeId": f"project:{project_id}"},
        )


def unassign_project_role(
    services: Services, actor: Actor, *, project_id: int, role: str, actor_id: int
) -> None:
    get_project(services, actor, project_id)
    actor.require(ASSIGNMENT_DELETE, project_id=project_id)
    found = find_role(role)
    with services.db.write() as session:
        if not store.delete_assignment(
            session, actor_id=actor_id, role=found.system, scope=f"project:{project_id}"
        ):
            raise problems.not_found()
        audits.record(
            session,
            actor,
            "user.assignment.delete",
            f"actor:{actor_id}",
            {"roleId": found.id, "revokedActeeId": f"project:{project_id}"},
        )


@dataclass(frozen=True)
class Member:
    """A web user with roles on a project, as the console lists them."""

    actor_id: int
    display_name: str
    email: str
    roles: tuple[str, ...]


def project_members(services: Services, actor: Actor, *, project_id: int) -> list[Member]:
    """Everyone holding a role on the project, with their roles (``assignment.list``)."""
    get_project(services, actor, project_id)
    actor.require(ASSIGNMENT_LIST, project_id=project_id)
    with services.db.read() as session:
        rows = store.users_assigned_on(session, scope=f"project:{project_id}")
    members: dict[int, Member] = {}
    for row, user, role in rows:
        assert row.id is not None
        known = members.get(row.id)
        roles = (*known.roles, role) if known else (role,)
        members[row.id] = Member(row.id, row.display_name, user.email, roles)
    return list(members.values())


def add_project_member(
    services: Services, actor: Actor, *, project_id: int, email: str, role: str
) -> int:
    """Give the web user with this email a role on the project; their actor id."""
    get_project(services, actor, project_id)
    actor.require(ASSIGNMENT_CREATE, project_id=project_id)
    with services.db.read() as session:
        found = store.user_by_email(session, email=email.strip())
    if found is None or found[0].id is None:
        raise problems.not_found()
    assign_project_role(services, actor, project_id=project_id, role=role, actor_id=found[0].id)
    return found[0].id


def reset_password(services: Services, actor: Actor, *, actor_id: int, new: str) -> None:
    """An administrator sets a new password for a web user (who forgot theirs); every
    session of that user ends."""
    actor.require_admin()
    accounts.check_password_rules(new)
    password_hash = hash_password(new)
    with services.db.write() as session:
        user = session.get(User, actor_id)
        if user is None or store.user_by_actor_id(session, actor_id=actor_id) is None:
            raise problems.not_found()
        user.password_hash = password_hash
        session.add(user)
        store.delete_sessions_of(session, actor_id=actor_id)
        audits.record(session, actor, "user.update", f"actor:{actor_id}", {"password": "reset"})


def site_assignments(
    services: Services, actor: Actor, *, role: str | None = None
) -> list[tuple[int, Role]]:
    if ASSIGNMENT_LIST not in actor.verbs():
        raise actor.refusal()
    wanted = find_role(role) if role is not None else None
    with services.db.read() as session:
        rows = store.assignments_on(session, scope="*", role=wanted.system if wanted else None)
    return [(row.actor_id, find_role(row.role)) for row in rows]


def assign_site_role(services: Services, actor: Actor, *, role: str, actor_id: int) -> None:
    if ASSIGNMENT_CREATE not in actor.verbs():
        raise actor.refusal()
    found = find_role(role)
    if found.system != "admin":
        raise problems.not_found()
    with services.db.write() as session:
        if store.user_by_actor_id(session, actor_id=actor_id) is None:
            raise problems.not_found()
        if not store.insert_assignment(session, actor_id=actor_id, role="admin", scope="*"):
            raise problems.uniqueness_violation(
                ["actorId", "roleId", "acteeId"], [str(actor_id), "1", "*"]
            )
        audits.record(session, actor, "user.assignment.create", f"actor:{actor_id}", {"roleId": 1})


def unassign_site_role(services: Services, actor: Actor, *, role: str, actor_id: int) -> None:
    if ASSIGNMENT_DELETE not in actor.verbs():
        raise actor.refusal()
    found = find_role(role)
    with services.db.write() as session:
        if not store.delete_assignment(session, actor_id=actor_id, role=found.system, scope="*"):
            raise problems.not_found()
        audits.record(
            session, actor, "user.assignment.delete", f"actor:{actor_id}", {"roleId": found.id}
        )
