"""Who may do what: actors, Central's roles, and the verbs each role grants.

Roles as ODK Central has them: ``admin`` site-wide; ``manager``, ``viewer`` and
``formfill`` (data collector) on a project; ``app-user`` on a form, for app users of that
form's project. `Actor.require` raises 403.1 (401.2 for an anonymous caller) when the
caller lacks a verb.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from server import problems

PROJECT_READ = "project.read"
PROJECT_UPDATE = "project.update"
PROJECT_CREATE = "project.create"
FORM_LIST = "form.list"
FORM_READ = "form.read"
FORM_CREATE = "form.create"
FORM_UPDATE = "form.update"
FORM_DELETE = "form.delete"
SUBMISSION_CREATE = "submission.create"
SUBMISSION_READ = "submission.read"
SUBMISSION_LIST = "submission.list"
SUBMISSION_UPDATE = "submission.update"
FIELD_KEY_CREATE = "field_key.create"
FIELD_KEY_LIST = "field_key.list"
FIELD_KEY_DELETE = "field_key.delete"
ASSIGNMENT_CREATE = "assignment.create"
ASSIGNMENT_LIST = "assignment.list"
ASSIGNMENT_DELETE = "assignment.delete"
USER_LIST = "user.list"
USER_CREATE = "user.create"

_VIEWER = {PROJECT_READ, FORM_LIST, FORM_READ, SUBMISSION_READ, SUBMISSION_LIST}
_FORMFILL = {PROJECT_READ, FORM_LIST, FORM_READ, SUBMISSION_CREATE}
_MANAGER = (
    _VIEWER
    | _FORMFILL
    | {
        PROJECT_UPDATE,
        FORM_CREATE,
        FORM_UPDATE,
        FORM_DELETE,
        SUBMISSION_UPDATE,
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
APP_USER_VERBS = frozenset({FORM_READ, SUBMISSION_CREATE})


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

    def can(self, verb: str, *, project_id: int, form_id: int | None = None) -> bool:
        if self.is_admin:
            return True
        if self.type == "field_key":
            return (
                self.app_user_project == project_id
                and verb in APP_USER_VERBS
                and (form_id is None or form_id in self.app_user_forms)
            )
        return any(verb in PROJECT_ROLES[role] for role in self.project_roles.get(project_id, ()))

    def require(self, verb: str, *, project_id: int, form_id: int | None = None) -> None:
        if not self.can(verb, project_id=project_id, form_id=form_id):
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
