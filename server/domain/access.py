"""Who may do what: actors, Central's roles, and the verbs each role grants.

Roles as ODK Central has them, with Central's numeric ids (pyODK hard-codes
``app-user`` = 2): ``admin`` site-wide; ``manager``, ``viewer`` and ``formfill`` (data
collector) on a project; ``app-user`` on a form, for app users of that form's project.
`Actor.require` raises 403.1 (401.2 for an anonymous caller) when the caller lacks a verb.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server import problems

PROJECT_READ = "project.read"
PROJECT_UPDATE = "project.update"
PROJECT_CREATE = "project.create"
PROJECT_DELETE = "project.delete"
FORM_LIST = "form.list"
FORM_READ = "form.read"
FORM_CREATE = "form.create"
FORM_UPDATE = "form.update"
FORM_DELETE = "form.delete"
OPEN_FORM_LIST = "open_form.list"
OPEN_FORM_READ = "open_form.read"
SUBMISSION_CREATE = "submission.create"
SUBMISSION_READ = "submission.read"
SUBMISSION_LIST = "submission.list"
SUBMISSION_UPDATE = "submission.update"
SUBMISSION_DELETE = "submission.delete"
SUBMISSION_RESTORE = "submission.restore"
FIELD_KEY_CREATE = "field_key.create"
FIELD_KEY_LIST = "field_key.list"
FIELD_KEY_DELETE = "field_key.delete"
ASSIGNMENT_CREATE = "assignment.create"
ASSIGNMENT_LIST = "assignment.list"
ASSIGNMENT_DELETE = "assignment.delete"
USER_LIST = "user.list"
USER_CREATE = "user.create"
USER_READ = "user.read"
USER_UPDATE = "user.update"
ROLE_CREATE = "role.create"
AUDIT_READ = "audit.read"
CONFIG_READ = "config.read"

_VIEWER = {PROJECT_READ, FORM_LIST, FORM_READ, SUBMISSION_READ, SUBMISSION_LIST}
_FORMFILL = {PROJECT_READ, FORM_LIST, OPEN_FORM_LIST, OPEN_FORM_READ, SUBMISSION_CREATE}
_MANAGER = (
    _VIEWER
    | _FORMFILL
    | {
        PROJECT_UPDATE,
        FORM_CREATE,
        FORM_UPDATE,
        FORM_DELETE,
        SUBMISSION_CREATE,
        SUBMISSION_UPDATE,
        SUBMISSION_DELETE,
        SUBMISSION_RESTORE,
        FIELD_KEY_CREATE,
        FIELD_KEY_LIST,
        FIELD_KEY_DELETE,
        ASSIGNMENT_CREATE,
        ASSIGNMENT_LIST,
        ASSIGNMENT_DELETE,
    }
)
PROJECT_ROLES: dict[str, frozenset[str]] = {
    "manager": frozenset(_MANAGER),
    "viewer": frozenset(_VIEWER),
    "formfill": frozenset(_FORMFILL),
}
APP_USER_VERBS = frozenset({OPEN_FORM_READ, SUBMISSION_CREATE})
_NO_VERBS: frozenset[str] = frozenset()
ADMIN_VERBS = frozenset(
    _MANAGER
    | {
        PROJECT_CREATE,
        PROJECT_DELETE,
        USER_LIST,
        USER_CREATE,
        USER_READ,
        USER_UPDATE,
        ROLE_CREATE,
        AUDIT_READ,
        CONFIG_READ,
    }
)


@dataclass(frozen=True)
class Role:
    """One of Central's roles, as ``GET /v1/roles`` lists it."""

    id: int
    name: str
    system: str
    verbs: frozenset[str]


ROLES: tuple[Role, ...] = (
    Role(1, "Administrator", "admin", ADMIN_VERBS),
    Role(2, "App User", "app-user", APP_USER_VERBS),
    Role(5, "Project Manager", "manager", PROJECT_ROLES["manager"]),
    Role(6, "Project Viewer", "viewer", PROJECT_ROLES["viewer"]),
    Role(8, "Data Collector", "formfill", PROJECT_ROLES["formfill"]),
)
ROLES_BY_SYSTEM = {role.system: role for role in ROLES}
ROLES_BY_ID = {str(role.id): role for role in ROLES}


def find_role(role: str) -> Role:
    """A role by its system name (``manager``) or numeric id (``5``); 404.1 if none."""
    found = ROLES_BY_SYSTEM.get(role) or ROLES_BY_ID.get(role)
    if found is None:
        raise problems.not_found()
    return found


# A verb about one form that an "open form" verb stands in for while the form is open.
_OPEN_EQUIVALENT = {FORM_READ: OPEN_FORM_READ, FORM_LIST: OPEN_FORM_LIST}


@dataclass
class Actor:
    """The caller of a request, with the roles it holds."""

    id: int | None = None
    type: str | None = None  # "user", "field_key", or None when anonymous
    display_name: str = ""
    is_admin: bool = False
    project_roles: dict[int, set[str]] = field(default_factory=dict)
    app_user_project: int | None = None
    app_user_forms: set[int] = field(default_factory=set)
    session_token_hash: str | None = None

    @property
    def anonymous(self) -> bool:
        return self.id is None

    def verbs(self, *, project_id: int | None = None, form_id: int | None = None) -> frozenset[str]:
        """Every verb this actor holds on the project (or site-wide when no project)."""
        if self.is_admin:
            return ADMIN_VERBS
        if project_id is None:
            return _NO_VERBS
        if self.type == "field_key":
            if self.app_user_project != project_id:
                return _NO_VERBS
            if form_id is None or form_id in self.app_user_forms:
                return APP_USER_VERBS
            return _NO_VERBS
        granted: frozenset[str] = _NO_VERBS
        for role in self.project_roles.get(project_id, ()):
            granted |= PROJECT_ROLES.get(role, _NO_VERBS)
        return granted

    def can(
        self,
        verb: str,
        *,
        project_id: int,
        form_id: int | None = None,
        form_state: str | None = None,
    ) -> bool:
        granted = self.verbs(project_id=project_id, form_id=form_id)
        if verb in granted:
            return True
        equivalent = _OPEN_EQUIVALENT.get(verb)
        return (
            equivalent is not None
            and equivalent in granted
            and (form_state is None or form_state in ("open", "closing"))
        )

    def require(
        self,
        verb: str,
        *,
        project_id: int,
        form_id: int | None = None,
        form_state: str | None = None,
    ) -> None:
        if not self.can(verb, project_id=project_id, form_id=form_id, form_state=form_state):
            raise self.refusal()

    def require_admin(self) -> None:
        if not self.is_admin:
            raise self.refusal()

    def refusal(self) -> problems.Problem:
        return (
            problems.authentication_failed() if self.anonymous else problems.insufficient_rights()
        )

    def visible_project_ids(self) -> set[int] | None:
        """Projects this actor may see; None means every project (an admin)."""
        if self.is_admin:
            return None
        if self.type == "field_key":
            return {self.app_user_project} if self.app_user_project is not None else set()
        return set(self.project_roles)


SYSTEM = Actor(type="system", display_name="jaring", is_admin=True)
"""The actor for work the command line does on the operator's behalf."""
