"""Finding a form's submissions as people look for them: by review state, date, submitter,
instanceID or a field's value (a province, a regency), a page at a time or all at once.

`browse` gives one keyset page (newest first) with links to the pages around it, so the
thousandth page costs what the first does; `matching_rows` streams every matching row,
for maps and summaries, a batch at a time. Both need ``submission.list`` on the form,
the same right as the REST API's list of submissions.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from server import problems
from server.domain import Services
from server.domain.access import SUBMISSION_LIST, Actor
from server.domain.forms import authorised_form
from server.store import exports as store
from server.store.exports import Condition, Cursor, ExportRow

REVIEW_STATES = ("received", "hasIssues", "edited", "approved", "rejected")
MAX_PAGE = 250
# Filters on answers are counted up to this many: beyond it a page says "more than"
# (counting reads each submission's values until it gets there).
ANSWER_FILTER_COUNT = 200


@dataclass(frozen=True)
class SubmissionQuery:
    """What to look for; every part narrows the list, an empty query finds everything."""

    review_states: tuple[str, ...] = ()  # "received" stands for not reviewed yet
    since: datetime | None = None
    until: datetime | None = None
    submitter_id: int | None = None
    instance_id: str | None = None  # the start of an instanceID
    field_values: tuple[tuple[str, str], ...] = ()  # (field path, value)

    def condition(self) -> Condition:
        for state in self.review_states:
            if state not in REVIEW_STATES:
                raise problems.unexpected_value(
                    "reviewState", state, f"expected one of {', '.join(REVIEW_STATES)}."
                )
        return store.browse_clause(
            review_states=tuple(None if s == "received" else s for s in self.review_states),
            since=self.since,
            until=self.until,
            submitter_id=self.submitter_id,
            instance_id_prefix=self.instance_id.strip() if self.instance_id else None,
            field_values=self.field_values,
        )


@dataclass
class SubmissionPage:
    rows: list[ExportRow]
    total: int  # matching submissions (the lower bound when `total_capped`)
    newer: Cursor | None  # where the page before this one (newer rows) starts, if any
    older: Cursor | None  # where the next page (older rows) starts, if any
    total_capped: bool = False  # more than `total` match (a filter on answers)


def browse(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    query: SubmissionQuery,
    after: Cursor | None = None,
    before: Cursor | None = None,
    limit: int = 50,
) -> SubmissionPage:
    """A page of matching submissions: those older than ``after``, or newer than
    ``before``, or the newest."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_LIST)
    assert form.id is not None
    limit = max(1, min(limit, MAX_PAGE))
    condition = query.condition()
    with services.db.read() as session:
        rows = store.browse_page(
            session,
            form_id=form.id,
            condition=condition,
            after=after,
            before=before,
            limit=limit + 1,
        )
        at_most = ANSWER_FILTER_COUNT + 1 if query.field_values else None
        total = store.count_rows(session, form_id=form.id, condition=condition, at_most=at_most)
    if before is not None:
        more_newer = len(rows) > limit
        rows = rows[-limit:] if more_newer else rows
        newer = rows[0].cursor if more_newer and rows else None
        older = rows[-1].cursor if rows else None
    else:
        more_older = len(rows) > limit
        rows = rows[:limit]
        newer = rows[0].cursor if after is not None and rows else None
        older = rows[-1].cursor if more_older and rows else None
    capped = at_most is not None and total >= at_most
    return SubmissionPage(
        rows=rows,
        total=ANSWER_FILTER_COUNT if capped else total,
        newer=newer,
        older=older,
        total_capped=capped,
    )


def matching_rows(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    query: SubmissionQuery,
) -> Iterator[ExportRow]:
    """Every matching submission, newest first, read a batch at a time (only those that
    existed when the walk began). The form is checked before this returns."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_LIST)
    assert form.id is not None
    condition = query.condition()
    with services.db.read() as session:
        until_id = store.newest_id(session, form_id=form.id)
    form_id = form.id

    def rows() -> Iterator[ExportRow]:
        yield from store.iterate_rows(
            services.db.read,
            form_id=form_id,
            condition=condition,
            until_id=until_id,
        )

    return rows()


def submitters(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str
) -> list[tuple[int, str]]:
    """Who has sent the form submissions (for a filter): (actor id, name)."""
    form = authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_LIST)
    assert form.id is not None
    with services.db.read() as session:
        return store.submitters(session, form_id=form.id)


def cursor_token(cursor: Cursor | None) -> str | None:
    """A cursor as it travels in a URL: the time and the id."""
    if cursor is None:
        return None
    return f"{cursor.created_at.isoformat()}~{cursor.id}"


def parse_cursor(token: str | None) -> Cursor | None:
    """A cursor from a URL; a malformed one is a 400."""
    if not token:
        return None
    moment, sep, number = token.rpartition("~")
    try:
        if not sep:
            raise ValueError(token)
        return Cursor(datetime.fromisoformat(moment), int(number))
    except ValueError as error:
        raise problems.unexpected_value("cursor", token[:80], "not a page of this list.") from error
