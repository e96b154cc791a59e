"""The audit log: what was done, by whom, to what — recorded in the same transaction as
the change itself, and read back by administrators (``GET /v1/audits``).

Actions use Central's names (``user.session.create``, ``form.create``,
``form.update.publish``, ``submission.create`` …); the actee is ``kind:id``
(``form:3``, ``submission:12``, ``project:1``, ``actor:7``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from server import problems
from server.domain import Services, utcnow
from server.domain.access import AUDIT_READ, Actor
from server.store import audits as store
from server.store.driver import Driver
from server.store.tables import Actor as ActorRow
from server.store.tables import Audit

# Central's filter groups (``?action=user`` means every user.* action, and so on).
ACTION_GROUPS = ("user", "field_key", "public_link", "project", "form", "submission", "dataset")
NON_VERBOSE_EXCLUDED = ("entity.", "submission.")
MAX_LIMIT = 1000


@dataclass
class AuditView:
    audit: Audit
    actor: ActorRow | None


def record(
    transaction: Session | Driver,
    actor: Actor | None,
    action: str,
    actee: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Add one entry to the log, inside the caller's transaction (a session's, or a
    write on the driver's connection)."""
    store.insert_audit(
        transaction if isinstance(transaction, Driver) else Driver.of(transaction),
        actor_id=actor.id if actor is not None and actor.id is not None else None,
        action=action,
        actee=actee,
        details=details,
        now=utcnow(),
    )


def list_audits(
    services: Services,
    actor: Actor,
    *,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[AuditView]:
    """The log, newest first; ``action`` is an action name or a group such as ``form``."""
    if AUDIT_READ not in actor.verbs():
        raise actor.refusal()
    if limit is not None and (limit < 0 or limit > MAX_LIMIT):
        raise problems.unexpected_value("limit", limit, f"expected 0 to {MAX_LIMIT}.")
    if offset < 0:
        raise problems.unexpected_value("offset", offset, "expected 0 or more.")
    actions, prefix = None, None
    if action in ACTION_GROUPS:
        prefix = f"{action}."
    elif action:
        actions = [action]
    with services.db.read() as session:
        rows = store.list_audits(
            session,
            actions=actions,
            action_prefix=prefix,
            start=start,
            end=end,
            limit=limit,
            offset=offset,
        )
    return [AuditView(a, b) for a, b in rows]


def audits_of(services: Services, *, actee: str) -> list[AuditView]:
    """Every entry about one thing (a submission), newest first; rights checked by caller."""
    with services.db.read() as session:
        return [AuditView(a, b) for a, b in store.list_audits(session, actee=actee)]


@dataclass
class AuditPage:
    """A page of the log for the console: its entries, whether older ones follow, and
    what the entries point at (by ``kind:id``: their actees, and the projects and forms
    their details name), so that each can be told as a sentence."""

    entries: list[AuditView]
    more: bool
    subjects: dict[str, dict[str, Any]]


def audit_page(
    services: Services,
    actor: Actor,
    *,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> AuditPage:
    """`list_audits` (administrators only), a page at a time, with what it points at."""
    found = list_audits(
        services, actor, action=action, start=start, end=end, limit=limit + 1, offset=offset
    )
    entries = found[:limit]
    ids: dict[str, set[int]] = {kind: set() for kind in ("actor", "project", "form", "submission")}
    for view in entries:
        details = view.audit.details or {}
        references = [
            view.audit.actee,
            details.get("grantedActeeId"),
            details.get("revokedActeeId"),
            f"form:{details['formId']}" if "formId" in details else None,
            f"project:{details['projectId']}" if "projectId" in details else None,
        ]
        for reference in references:
            kind, _, number = str(reference or "").partition(":")
            if kind in ids and number.isdigit():
                ids[kind].add(int(number))
    with services.db.read() as session:
        subjects = store.names_of(
            session,
            actor_ids=ids["actor"],
            project_ids=ids["project"],
            form_ids=ids["form"],
            submission_ids=ids["submission"],
        )
    return AuditPage(entries=entries, more=len(found) > limit, subjects=subjects)
