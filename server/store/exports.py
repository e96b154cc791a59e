"""SQL for exports and OData: submissions read page by page, never all at once.

Rows come newest first (Central's order: creation time, then id, both descending).
`export_page` reads one keyset page of `PAGE_SIZE` (an OData page, or the first page of
an export, read before the response starts); `iterate_rows` walks the rest with one
sorted query over submission ids read through a server-side cursor, fetching each
batch's details beside it, so memory holds one batch whatever the number of
submissions. Each row carries what the exports print beside the values: submitter,
version, edit count and attachment counts. `filter_clause` turns a parsed ``$filter``
into SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, cast, func, literal, not_, or_, true
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from server.data import odata_filter as f
from server.store.tables import (
    Actor,
    FormDef,
    Submission,
    SubmissionAttachment,
    SubmissionDef,
)

PAGE_SIZE = 500
MILLI = timedelta(milliseconds=1)
Condition = ColumnElement[bool]
"""Which submissions a read takes: built here (`filter_clause`, `browse_clause`)."""


@dataclass(frozen=True)
class Cursor:
    """Where a page ends: the last row's creation time and id (rows go newest first)."""

    created_at: datetime
    id: int


@dataclass
class ExportRow:
    """One submission's current version with everything an export prints beside its values."""

    id: int
    instance_id: str
    created_at: datetime
    updated_at: datetime | None
    deleted_at: datetime | None
    review_state: str | None
    device_id: str | None
    submitter_id: int | None
    submitter_name: str | None
    form_version: str
    edits: int
    attachments_present: int
    attachments_expected: int
    instance_name: str | None
    values: dict[str, Any]
    # Encrypted submissions: the wrapped key (None for plain ones), the form version's key,
    # the version's own instanceID (its IVs), and its encrypted XML's blob and index.
    local_key: str | None = None
    key_id: int | None = None
    version_instance_id: str | None = None
    enc_xml_sha: str | None = None
    enc_xml_index: int | None = None
    decrypted: bool = False

    @property
    def cursor(self) -> Cursor:
        return Cursor(self.created_at, self.id)

    @property
    def status(self) -> str | None:
        """Central's ``__system.status``: None for plain or decrypted rows."""
        if self.local_key is None or self.decrypted:
            return None
        return "notDecrypted" if self.enc_xml_sha is not None else "missingEncryptedFormData"


def filter_clause(expr: f.Expr | None, *, dialect: str, draft: bool = False) -> ColumnElement[bool]:
    """The SQL for a ``$filter`` tree over the form's submissions (with ``draft``, over
    its draft's test submissions); deleted ones are left out unless it asks for them."""
    hide_deleted = (
        col(Submission.deleted_at).is_(None) if not f.references_deleted_at(expr) else true()
    )
    chosen = and_(col(Submission.draft) == draft, hide_deleted)
    if expr is None:
        return chosen
    return and_(chosen, _condition(expr, dialect))


def _condition(expr: f.Expr, dialect: str) -> ColumnElement[bool]:
    if isinstance(expr, f.Logical):
        join = and_ if expr.op == "and" else or_
        return join(_condition(expr.left, dialect), _condition(expr.right, dialect))
    if isinstance(expr, f.Not):
        return not_(_condition(expr.operand, dialect))
    if isinstance(expr, f.Compare):
        moment = _millisecond_compare(expr)
        if moment is not None:
            return moment
        left, right = _value(expr.left, dialect), _value(expr.right, dialect)
        if expr.op in ("eq", "ne"):
            if left is None and right is None:
                clause: ColumnElement[bool] = true()
            elif left is None or right is None:
                clause = (right if left is None else left).is_(None)
            else:
                clause = left.is_not_distinct_from(right)
            return not_(clause) if expr.op == "ne" else clause
        if left is None or right is None:
            raise f.unparseable(f"null cannot be compared with {expr.op}")
        return {
            "lt": left < right,
            "le": left <= right,
            "gt": left > right,
            "ge": left >= right,
        }[expr.op]
    value = _value(expr, dialect)
    if value is None:
        raise f.unparseable("null is not a condition")
    return value.is_(True)


FLIPPED = {"eq": "eq", "ne": "ne", "lt": "gt", "le": "ge", "gt": "lt", "ge": "le"}


def _millisecond_compare(expr: f.Compare) -> ColumnElement[bool] | None:
    """A timestamp column against a timestamp literal, at the millisecond as Central keeps
    them: ``submissionDate le 10:00:00.123Z`` includes 10:00:00.123456."""
    op, column, other = expr.op, expr.left, expr.right
    if isinstance(other, f.Field):
        op, column, other = FLIPPED[op], other, column
    if not (
        isinstance(column, f.Field)
        and column.column.endswith("_at")
        and isinstance(other, f.Literal)
        and isinstance(other.value, datetime)
    ):
        return None
    field = getattr(Submission, column.column)
    start = _moment(other.value.replace(microsecond=other.value.microsecond // 1000 * 1000))
    end = _moment(other.value.replace(microsecond=other.value.microsecond // 1000 * 1000) + MILLI)
    return {
        "eq": and_(field >= start, field < end),
        "ne": or_(field.is_(None), field < start, field >= end),
        "lt": field < start,
        "le": field < end,
        "gt": field >= end,
        "ge": field >= start,
    }[op]


def _moment(value: datetime) -> Any:
    return literal(value, type_=Submission.__table__.c.created_at.type)  # type: ignore[attr-defined]


def _value(expr: f.Expr, dialect: str) -> Any:
    if isinstance(expr, f.Field):
        return getattr(Submission, expr.column)
    if isinstance(expr, f.Literal):
        if expr.value is None:
            return None
        if isinstance(expr.value, datetime):
            return literal(expr.value, type_=Submission.__table__.c.created_at.type)  # type: ignore[attr-defined]
        return literal(expr.value)
    if isinstance(expr, f.Call):
        if expr.function == "now":
            return literal(datetime.now(UTC), type_=Submission.__table__.c.created_at.type)  # type: ignore[attr-defined]
        assert expr.argument is not None
        argument = _value(expr.argument, dialect)
        if dialect == "sqlite":
            pattern = {
                "year": "%Y",
                "month": "%m",
                "day": "%d",
                "hour": "%H",
                "minute": "%M",
                "second": "%S",
            }[expr.function]
            return cast(func.strftime(pattern, argument), Integer)
        return cast(func.extract(expr.function, func.timezone("UTC", argument)), Integer)
    if isinstance(expr, f.Compare | f.Logical | f.Not):
        return _condition(expr, dialect)
    raise AssertionError(expr)


def export_page(
    session: Session,
    *,
    form_id: int,
    condition: ColumnElement[bool],
    after: Cursor | None,
    until_id: int | None = None,
    limit: int | None = None,
    offset: int = 0,
    instance_id: str | None = None,
    order: f.Order = (),
) -> list[ExportRow]:
    """Up to ``limit`` rows older than ``after`` (newest first), or in ``order``."""
    ids = _ids(
        form_id=form_id,
        condition=condition,
        after=after,
        until_id=until_id,
        instance_id=instance_id,
        order=order,
    ).limit(limit or PAGE_SIZE)
    if offset:
        ids = ids.offset(offset)
    if order:
        return _in_order(session, list(session.exec(ids).all()))
    return _details(session, ids.subquery("page"))


def _in_order(session: Session, ids: list[int]) -> list[ExportRow]:
    """The rows of ``ids`` in that order (`_details` gives them newest first)."""
    position = {submission_id: index for index, submission_id in enumerate(ids)}
    return sorted(_details(session, ids), key=lambda row: position[row.id])


def browse_clause(
    *,
    review_states: tuple[str | None, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    submitter_id: int | None = None,
    instance_id_prefix: str | None = None,
    field_values: tuple[tuple[str, str], ...] = (),
) -> ColumnElement[bool]:
    """The console's filters on a form's live submissions: review states (None for
    those not reviewed yet), submission time (``since`` included, ``until`` not), the
    submitter, the start of the instanceID, and equality of root-level field values."""
    clauses: list[ColumnElement[bool]] = [
        col(Submission.deleted_at).is_(None),
        col(Submission.draft).is_(False),
    ]
    if review_states:
        named = [state for state in review_states if state]
        chosen = col(Submission.review_state).in_(named)
        if None in review_states:
            chosen = or_(chosen, col(Submission.review_state).is_(None))
        clauses.append(chosen)
    if since is not None:
        clauses.append(col(Submission.created_at) >= since)
    if until is not None:
        clauses.append(col(Submission.created_at) < until)
    if submitter_id is not None:
        clauses.append(col(Submission.submitter_id) == submitter_id)
    if instance_id_prefix:
        clauses.append(col(Submission.instance_id).startswith(instance_id_prefix, autoescape=True))
    for path, value in field_values:
        # A scalar subquery, not EXISTS: PostgreSQL would turn EXISTS into a join that
        # reads every version's values first; this way a page newest first stops as soon
        # as it has its rows.
        current = aliased(SubmissionDef)
        answer = (
            select(current.fields[path].as_string())
            .where(current.submission_id == Submission.id, current.current)
            .scalar_subquery()
        )
        clauses.append(answer == value)
    return and_(*clauses)


def browse_page(
    session: Session,
    *,
    form_id: int,
    condition: ColumnElement[bool],
    after: Cursor | None = None,
    before: Cursor | None = None,
    limit: int,
) -> list[ExportRow]:
    """One page of rows, newest first: those older than ``after``, or (for the page
    before) the ``limit`` rows just newer than ``before``. Keyset paging: page 1,000
    costs what page 1 costs."""
    if before is None:
        return export_page(session, form_id=form_id, condition=condition, after=after, limit=limit)
    ids = (
        select(col(Submission.id))
        .where(
            col(Submission.form_id) == form_id,
            condition,
            or_(
                col(Submission.created_at) > before.created_at,
                and_(
                    col(Submission.created_at) == before.created_at, col(Submission.id) > before.id
                ),
            ),
        )
        .order_by(col(Submission.created_at), col(Submission.id))
        .limit(limit)
    )
    return _details(session, ids.subquery("page"))


def submitters(session: Session, *, form_id: int) -> list[tuple[int, str]]:
    """(actor id, name) of everyone who sent the form a live submission, by name."""
    rows = session.exec(
        select(Actor.id, Actor.display_name)
        .where(
            col(Actor.id).in_(
                select(Submission.submitter_id).where(
                    col(Submission.form_id) == form_id,
                    col(Submission.deleted_at).is_(None),
                    col(Submission.draft).is_(False),
                )
            )
        )
        .order_by(col(Actor.display_name), col(Actor.id))
    ).all()
    return [(int(i), str(n)) for i, n in rows if i is not None]


def _ids(
    *,
    form_id: int,
    condition: ColumnElement[bool],
    after: Cursor | None,
    until_id: int | None,
    instance_id: str | None = None,
    order: f.Order = (),
) -> Any:
    """The ids of matching submissions, newest first (the keyset walk reads one table),
    or in an OData ``order`` (then by id, in the first key's direction, as Central)."""
    ids = select(col(Submission.id)).where(col(Submission.form_id) == form_id, condition)
    if instance_id is not None:
        ids = ids.where(col(Submission.instance_id) == instance_id)
    if until_id is not None:
        ids = ids.where(col(Submission.id) <= until_id)
    if after is not None:
        ids = ids.where(
            or_(
                col(Submission.created_at) < after.created_at,
                and_(col(Submission.created_at) == after.created_at, col(Submission.id) < after.id),
            )
        )
    if order:
        assert after is None, "an $orderby pages by offset"
        keys = [
            getattr(Submission, column).desc().nulls_last()
            if descending
            else getattr(Submission, column).asc().nulls_first()
            for column, descending in order
        ]
        last = col(Submission.id).desc() if order[0][1] else col(Submission.id).asc()
        return ids.order_by(*keys, last)
    return ids.order_by(col(Submission.created_at).desc(), col(Submission.id).desc())


def _details(session: Session, page: Any) -> list[ExportRow]:
    """The rows of the submissions whose ids ``page`` (a subquery or a list) holds."""
    current = aliased(SubmissionDef)
    version_def = aliased(FormDef)
    edits = (
        select(func.count())
        .select_from(SubmissionDef)
        .where(col(SubmissionDef.submission_id) == col(Submission.id))
        .scalar_subquery()
    )
    expected = (
        select(func.count())
        .select_from(SubmissionAttachment)
        .where(col(SubmissionAttachment.submission_def_id) == current.id)
        .scalar_subquery()
    )
    present = (
        select(func.count())
        .select_from(SubmissionAttachment)
        .where(
            col(SubmissionAttachment.submission_def_id) == current.id,
            col(SubmissionAttachment.blob_sha).is_not(None),
        )
        .scalar_subquery()
    )
    enc_xml = aliased(SubmissionAttachment)
    enc_xml_sha = (
        select(enc_xml.blob_sha)
        .where(
            enc_xml.submission_def_id == current.id,
            enc_xml.name == current.enc_data_attachment_name,
        )
        .scalar_subquery()
    )
    enc_xml_index = (
        select(enc_xml.enc_index)
        .where(
            enc_xml.submission_def_id == current.id,
            enc_xml.name == current.enc_data_attachment_name,
        )
        .scalar_subquery()
    )
    query = (
        select(
            col(Submission.id),
            col(Submission.instance_id),
            col(Submission.created_at),
            col(Submission.updated_at),
            col(Submission.deleted_at),
            col(Submission.review_state),
            col(Submission.device_id),
            col(Submission.submitter_id),
            current.fields,
            current.instance_name,
            version_def.version,
            Actor.display_name,
            edits,
            present,
            expected,
            current.local_key,
            version_def.key_id,
            current.instance_id,
            enc_xml_sha,
            enc_xml_index,
        )
        .select_from(Submission)
        .join(current, and_(current.submission_id == Submission.id, current.current))
        .join(version_def, version_def.id == current.form_def_id)
        .outerjoin(Actor, col(Actor.id) == col(Submission.submitter_id))
        .where(
            col(Submission.id).in_(page)
            if isinstance(page, list)
            else col(Submission.id).in_(select(page.c.id))
        )
        .order_by(col(Submission.created_at).desc(), col(Submission.id).desc())
    )
    rows: list[ExportRow] = []
    for (
        submission_id,
        instance_id_,
        created_at,
        updated_at,
        deleted_at,
        review_state,
        device_id,
        submitter_id,
        values,
        name,
        version,
        display,
        n_defs,
        n_present,
        n_expected,
        local_key,
        key_id,
        version_instance_id,
        xml_sha,
        xml_index,
    ) in session.exec(query):  # type: ignore[call-overload]
        rows.append(
            ExportRow(
                id=submission_id,
                instance_id=instance_id_,
                created_at=created_at,
                updated_at=updated_at,
                deleted_at=deleted_at,
                review_state=review_state,
                device_id=device_id,
                submitter_id=submitter_id,
                submitter_name=display,
                form_version=version or "",
                edits=int(n_defs or 1) - 1,
                attachments_present=int(n_present or 0),
                attachments_expected=int(n_expected or 0),
                instance_name=name,
                values=values or {},
                local_key=local_key,
                key_id=key_id,
                version_instance_id=version_instance_id,
                enc_xml_sha=xml_sha,
                enc_xml_index=xml_index,
            )
        )
    return rows


def count_rows(
    session: Session,
    *,
    form_id: int,
    condition: ColumnElement[bool],
    at_most: int | None = None,
) -> int:
    """How many submissions match; with ``at_most``, counting stops there (a condition on
    answers reads every submission's values, so a full count costs a full scan)."""
    matching = select(col(Submission.id)).where(col(Submission.form_id) == form_id, condition)
    if at_most is not None:
        matching = matching.limit(at_most)
    return int(session.exec(select(func.count()).select_from(matching.subquery())).one())


def newest_id(session: Session, *, form_id: int) -> int:
    """The highest submission id of the form now: exports read nothing that arrives later."""
    return int(
        session.exec(
            select(func.max(Submission.id)).where(col(Submission.form_id) == form_id)
        ).one()
        or 0
    )


def cursor_of(session: Session, *, form_id: int, instance_id: str) -> Cursor | None:
    row = session.exec(
        select(Submission.created_at, Submission.id).where(
            col(Submission.form_id) == form_id, col(Submission.instance_id) == instance_id
        )
    ).first()
    return Cursor(row[0], row[1]) if row else None


def etag_parts(session: Session, *, form_id: int, draft: bool = False) -> tuple[int, int, str]:
    """What changes whenever the export's content may: count, newest id, latest change
    (a deletion or a restoration included)."""
    row = session.exec(
        select(
            func.count(),
            func.max(Submission.id),
            func.max(func.coalesce(Submission.updated_at, Submission.created_at)),
            func.count(Submission.deleted_at),
            func.max(Submission.deleted_at),
        ).where(col(Submission.form_id) == form_id, col(Submission.draft) == draft)
    ).one()
    return int(row[0] or 0), int(row[1] or 0), f"{row[2]} {row[3]} {row[4]}"


@dataclass(frozen=True)
class AttachmentRow:
    """A received attachment of a current version; for an encrypted one, what decrypts it
    (the XML's encrypted file is left out: it is the row itself)."""

    submission_id: int
    name: str
    blob_sha: str
    enc_index: int | None = None
    local_key: str | None = None
    instance_id: str | None = None
    key_id: int | None = None


def attachments_page(
    session: Session, *, form_id: int, until_id: int, after: tuple[int, str] | None, limit: int
) -> list[AttachmentRow]:
    """Received attachments of current versions, by submission id and name."""
    query = (
        select(
            Submission.id,
            SubmissionAttachment.name,
            SubmissionAttachment.blob_sha,
            SubmissionAttachment.enc_index,
            SubmissionDef.local_key,
            SubmissionDef.instance_id,
            FormDef.key_id,
        )
        .join(SubmissionDef, col(SubmissionDef.submission_id) == col(Submission.id))
        .join(
            SubmissionAttachment,
            col(SubmissionAttachment.submission_def_id) == col(SubmissionDef.id),
        )
        .join(FormDef, col(FormDef.id) == col(SubmissionDef.form_def_id))
        .where(
            col(Submission.form_id) == form_id,
            col(Submission.id) <= until_id,
            col(Submission.deleted_at).is_(None),
            col(Submission.draft).is_(False),
            col(SubmissionDef.current),
            col(SubmissionAttachment.blob_sha).is_not(None),
            or_(
                col(SubmissionDef.local_key).is_(None),
                col(SubmissionAttachment.name) != col(SubmissionDef.enc_data_attachment_name),
            ),
        )
    )
    if after is not None:
        query = query.where(
            or_(
                col(Submission.id) > after[0],
                and_(col(Submission.id) == after[0], col(SubmissionAttachment.name) > after[1]),
            )
        )
    query = query.order_by(col(Submission.id), col(SubmissionAttachment.name)).limit(limit)
    return [
        AttachmentRow(int(i), str(name), str(sha), index, local_key, instance_id, key_id)
        for i, name, sha, index, local_key, instance_id, key_id in session.exec(query)
    ]


def iterate_rows(
    open_session: Any,
    *,
    form_id: int,
    condition: ColumnElement[bool],
    until_id: int | None,
    after: Cursor | None = None,
    page_size: int | None = None,
    order: f.Order = (),
) -> Iterator[ExportRow]:
    """Every matching row, newest first or in ``order``: one sorted walk over the ids (a
    server-side cursor, read ``page_size`` at a time), each batch's details beside it."""
    with open_session() as session:
        ids = _ids(
            form_id=form_id, condition=condition, after=after, until_id=until_id, order=order
        )
        result = session.execute(ids.execution_options(yield_per=page_size or PAGE_SIZE))
        for batch in result.partitions():
            batch_ids = [row[0] for row in batch]
            yield from _in_order(session, batch_ids) if order else _details(session, batch_ids)
