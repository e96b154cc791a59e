"""The audit log told as sentences: who did what to what, in the reader's language.

`describe` turns one entry of `server.domain.audits.AuditPage` into a sentence and, where
there is one, the console page of what it was done to. An action it does not know is
shown by its raw name (Central's names: ``form.update.publish``), never hidden.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from server.console import urls
from server.domain.access import ROLES_BY_ID
from server.domain.audits import AuditView

Translate = Callable[[str], str]


@dataclass(frozen=True)
class Sentence:
    text: str
    link: str | None  # the console page of what the entry is about, if it has one


def role_name(role_id: Any, _: Translate) -> str:
    role = ROLES_BY_ID.get(str(role_id))
    names = {
        "admin": _("Administrator"),
        "manager": _("Project manager"),
        "viewer": _("Viewer"),
        "formfill": _("Data collector"),
        "app-user": _("Phone"),
    }
    return names.get(role.system, role.name) if role is not None else str(role_id)


def review_state_name(state: Any, _: Translate) -> str:
    names = {
        "hasIssues": _("Has issues"),
        "edited": _("Edited"),
        "approved": _("Approved"),
        "rejected": _("Rejected"),
    }
    return names.get(str(state), _("Received") if state is None else str(state))


def form_state_name(state: Any, _: Translate) -> str:
    names = {"open": _("Open"), "closing": _("Closing"), "closed": _("Closed")}
    return names.get(str(state), str(state))


def describe(view: AuditView, subjects: dict[str, dict[str, Any]], _: Translate) -> Sentence:
    """The sentence for one entry (``subjects``: what the page's entries point at)."""
    audit = view.audit
    details: dict[str, Any] = audit.details or {}
    who = view.actor.display_name if view.actor is not None else _("The server")
    actee = subjects.get(audit.actee or "", {})
    what = str(actee.get("name") or actee.get("instanceId") or audit.actee or "")
    link = _link(audit.actee or "", actee)
    # Where a role was given or taken: a project (web users) or a form (phones).
    scope = subjects.get(str(details.get("grantedActeeId") or details.get("revokedActeeId")))
    values = {"who": who, "what": what, "place": str((scope or {}).get("name") or "")}
    action = audit.action
    text: str | None = None
    if action == "user.session.create":
        text = _("{who} signed in.")
    elif action == "user.create":
        text = _("{who} created the account of {what}.")
    elif action == "user.update":
        password = details.get("password")
        if password == "reset":
            text = _("{who} set a new password for {what}.")
        elif password:
            text = _("{who} changed the password of {what}.")
        else:
            text = _("{who} changed the account of {what}.")
    elif action in ("user.assignment.create", "user.assignment.delete"):
        values["role"] = role_name(details.get("roleId"), _)
        granted = action.endswith("create")
        if scope is None:
            text = (
                _("{who} made {what} an administrator.")
                if granted
                else _("{who} removed {what} as administrator.")
            )
        else:
            text = (
                _("{who} gave {what} the role {role} in the project {place}.")
                if granted
                else _("{who} took the role {role} in the project {place} away from {what}.")
            )
    elif action == "field_key.create":
        values["place"] = str(subjects.get(f"project:{details.get('projectId')}", {}).get("name"))
        text = _("{who} gave a phone access to the project {place}: {what}.")
    elif action == "field_key.delete":
        text = _("{who} revoked the phone access {what}.")
    elif action == "field_key.session.end":
        text = _("{who} ended the session of the phone {what}.")
    elif action == "field_key.assignment.create":
        text = _("{who} let the phone {what} fill the form {place}.")
    elif action == "field_key.assignment.delete":
        text = _("{who} stopped the phone {what} from filling the form {place}.")
    elif action == "form.create":
        text = _("{who} uploaded the form {what}.")
    elif action == "form.update.publish":
        values["version"] = str(details.get("version") or "")
        text = _("{who} published the form {what} (version {version}).")
    elif action == "form.update.draft.set":
        text = _("{who} uploaded a new draft of the form {what}.")
    elif action == "form.update.draft.delete":
        text = _("{who} deleted the draft of the form {what}.")
    elif action == "form.update" and "state" in details:
        values["state"] = form_state_name(details["state"], _)
        text = _("{who} set the form {what} to “{state}”.")
    elif action == "form.delete":
        text = _("{who} deleted the form {what}.")
    elif action == "project.update":
        if details.get("archived") is True:
            text = _("{who} archived the project {what}.")
        elif details.get("archived") is False:
            text = _("{who} made the project {what} active again.")
        else:
            text = _("{who} changed the name or description of the project {what}.")
    elif action == "project.delete":
        text = _("{who} deleted the project {what}.")
    elif action == "submission.create":
        form = subjects.get(f"form:{actee.get('formId')}", {})
        values["place"] = str(form.get("name") or actee.get("xmlFormId") or "")
        text = _("{who} sent the submission {what} of the form {place}.")
    elif action == "submission.update" and "reviewState" in details:
        values["state"] = review_state_name(details["reviewState"], _)
        text = _("{who} marked the submission {what} as “{state}”.")
    elif action == "submission.update.version":
        text = _("{who} sent an edited version of the submission {what}.")
    elif action == "submission.attachment.update":
        values["file"] = str(details.get("name") or "")
        text = _("{who} uploaded the file {file} of the submission {what}.")
    elif action == "submission.delete":
        text = _("{who} moved the submission {what} to the trash.")
    elif action == "submission.restore":
        text = _("{who} restored the submission {what} from the trash.")
    elif action == "submission.purge":
        values["count"] = str(details.get("submissions_deleted") or 0)
        text = _("Submissions deleted more than 30 days ago were removed for good: {count}.")
    elif action == "comment.create":
        text = _("{who} commented on the submission {what}.")
    if text is None:
        return Sentence(f"{who}: {action} {audit.actee or ''}".strip(), link)
    return Sentence(text.format(**values), link)


def _link(actee: str, found: dict[str, Any]) -> str | None:
    kind, _sep, number = actee.partition(":")
    if not number.isdigit() or not found:
        return None
    if kind == "actor" and found.get("type") == "user":
        return urls.admin_user(int(number))
    if kind == "project":
        return urls.project(int(number))
    if kind == "form" and found.get("projectId") is not None:
        return urls.form(int(found["projectId"]), str(found["xmlFormId"]))
    if kind == "submission" and found.get("projectId") is not None and found.get("xmlFormId"):
        return urls.submission(
            int(found["projectId"]), str(found["xmlFormId"]), str(found["instanceId"])
        )
    return None
