"""Web users and the roles they hold: ``/v1/users``, project role assignments and the
site-wide ``admin`` role (``/v1/assignments``), as ODK Central has them.

Anyone logged in may look a user up by exact email (that is how a manager finds the
person to give a role to); only administrators list every user or create users. A
password change needs the old password, even for an administrator, as in Central; an
administrator may instead set a new password for someone who forgot theirs (the
console's reset, since Jaring sends no email). The site always keeps at least one
administrator: the last one's role cannot be taken away (409.51).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlmodel import Session

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
from server.store import projects as project_store
from server.store.tables import Actor as ActorRow
from server.store.tables import Assignment, User

PROJECT_ROLE_NAMES = ("manager", "viewer", "formfill")
# Generated passwords: letters and digits that cannot be mistaken for one another when
# read aloud or copied from paper (no l/1, o/0), in groups of four.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
PASSWORD_GROUPS = 4


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
    """Take a site-wide role away; the last administrator keeps theirs (409.51)."""
    if ASSIGNMENT_DELETE not in actor.verbs():
        raise actor.refusal()
    found = find_role(role)
    with services.db.write() as session:
        if found.system == "admin":
            admins = store.site_admin_ids(session, lock=True)
            if admins == [actor_id]:
                raise last_administrator(actor_id)
        if not store.delete_assignment(session, actor_id=actor_id, role=found.system, scope="*"):
            raise problems.not_found()
        audits.record(
            session, actor, "user.assignment.delete", f"actor:{actor_id}", {"roleId": found.id}
        )


def last_administrator(actor_id: int) -> problems.Problem:
    """Jaring's own code (Central has no such rule): the site would be left with no one
    able to manage users, which only the command line could repair."""
    return problems.Problem(
        "409.51",
        "This user is the only administrator. Make someone else an administrator first.",
        {"actorId": actor_id},
    )


# The administration pages --------------------------------------------------------------


def generate_password() -> str:
    """A random password to hand to a person: 16 letters and digits (80 bits) in groups
    of four, e.g. ``k7qm-3xza-p9dw-vt4e``."""
    groups = (
        "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(PASSWORD_GROUPS)
    )
    return "-".join(groups)


def create_user_with_password(
    services: Services,
    actor: Actor,
    *,
    email: str,
    display_name: str | None,
    password: str | None,
) -> tuple[ActorRow, User, str | None]:
    """A web user who can sign in at once: with ``password``, or (None) a generated one,
    returned so that it can be shown once; the third item is None when it was given."""
    generated = generate_password() if password is None else None
    row, user = create_user(
        services,
        actor,
        email=email,
        password=password if password is not None else generated,
        display_name=display_name,
    )
    return row, user, generated


def reset_or_generate_password(
    services: Services, actor: Actor, *, actor_id: int, new: str | None
) -> str | None:
    """`reset_password` to ``new``, or (None) to a generated password, which is returned."""
    generated = generate_password() if new is None else None
    reset_password(services, actor, actor_id=actor_id, new=new if new is not None else generated)
    return generated


@dataclass(frozen=True)
class ProjectRole:
    project_id: int
    project_name: str
    role: str


@dataclass(frozen=True)
class Account:
    """A web user with every role they hold, as the administration pages show them."""

    actor: ActorRow
    user: User
    is_admin: bool
    project_roles: tuple[ProjectRole, ...]
    only_admin: bool  # the site's one administrator: their role cannot be taken away

    @property
    def id(self) -> int:
        assert self.actor.id is not None
        return self.actor.id


def accounts_with_roles(services: Services, actor: Actor) -> list[Account]:
    """Every web user with their roles, by email (administrators only)."""
    if USER_LIST not in actor.verbs():
        raise actor.refusal()
    with services.db.read() as session:
        return _accounts(session, store.list_users(session), store.assignments_of_users(session))


def account_with_roles(services: Services, actor: Actor, *, actor_id: int) -> Account:
    """One web user with their roles (administrators only); 404.1 if there is none."""
    if USER_LIST not in actor.verbs():
        raise actor.refusal()
    with services.db.read() as session:
        found = store.user_by_actor_id(session, actor_id=actor_id)
        if found is None:
            raise problems.not_found()
        held = store.assignments_of_users(session, actor_id=actor_id)
        admins = store.site_admin_ids(session)
        return _accounts(session, [found], held, admin_count=len(admins))[0]


def _accounts(
    session: Session,
    users: list[tuple[ActorRow, User]],
    held: list[Assignment],
    *,
    admin_count: int | None = None,
) -> list[Account]:
    names = {p.id: p.name for p in project_store.list_projects(session)}
    admins = {a.actor_id for a in held if a.scope == "*" and a.role == "admin"}
    count = len(admins) if admin_count is None else admin_count
    roles: dict[int, list[ProjectRole]] = {}
    for assignment in held:
        if not assignment.scope.startswith("project:"):
            continue
        project_id = int(assignment.scope.split(":", 1)[1])
        if project_id in names:
            roles.setdefault(assignment.actor_id, []).append(
                ProjectRole(project_id, names[project_id], assignment.role)
            )
    found = []
    for row, user in users:
        assert row.id is not None
        mine = sorted(roles.get(row.id, []), key=lambda r: (r.project_name.lower(), r.role))
        is_admin = row.id in admins
        found.append(Account(row, user, is_admin, tuple(mine), is_admin and count == 1))
    return found
