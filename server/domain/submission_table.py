"""A form's submissions as the console's table shows them: a keyset page of the newest
that match the reader's filters (review states, a range of days, the submitter, the
start of an instanceID, the province and the regency), the answers the reader chose as
columns, worded in the reader's language, and which of their files are photos.

The days of a range are the server's (``JARING_TIMEZONE``): "until the 4th" means to
the end of the 4th there. Columns are the form's questions outside every repeat; the
default is the first few questions and the first photo. Needs ``submission.list`` on
the form, as the REST API's list of submissions does.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.data.answers import display_name, name_paths
from server.data.images import is_image
from server.data.tables import repeat_chain
from server.data.xform import FieldInfo
from server.domain import Services
from server.domain.access import SUBMISSION_LIST, Actor
from server.domain.browse import (
    SubmissionQuery,
    browse,
    cursor_token,
    parse_cursor,
    submitters,
)
from server.domain.form_filters import Filters, read_filters
from server.domain.forms import authorised_form
from server.domain.labels import FormLabels, form_labels
from server.domain.projects import get_project
from server.store import submissions as store
from server.store.tables import Form, Project, SubmissionAttachment

DEFAULT_COLUMNS = 4
PAGE_SIZE = 50


@dataclass(frozen=True)
class TableChoice:
    """What the reader asked for; each part empty for "any" (or the default)."""

    states: tuple[str, ...] = ()
    since: date | None = None  # the first day, included
    until: date | None = None  # the last day, included
    submitter: int | None = None
    instance_id: str | None = None  # the start of an instanceID
    province: str | None = None
    regency: str | None = None
    columns: tuple[str, ...] = ()  # field paths; none: the default columns
    after: str | None = None  # a cursor token: the page of older rows
    before: str | None = None  # a cursor token: the page of newer rows
    limit: int = PAGE_SIZE

    @property
    def filtered(self) -> bool:
        return bool(
            self.states
            or self.since
            or self.until
            or self.submitter
            or self.instance_id
            or self.province
            or self.regency
        )


@dataclass(frozen=True)
class Column:
    path: str
    label: str
    binary: bool


@dataclass(frozen=True)
class Cell:
    text: str  # the answer as a person reads it
    file: str | None = None  # the file a binary answer names
    received: bool = False  # whether that file has arrived
    image: bool = False  # whether it is a photo (a thumbnail can be shown)


@dataclass(frozen=True)
class TableRow:
    instance_id: str
    name: str | None  # the instance name, if the form makes one
    submitter: str | None
    created_at: datetime
    review_state: str | None
    edits: int
    cells: list[Cell]


@dataclass
class SubmissionTable:
    project: Project
    form: Form
    title: str
    choice: TableChoice
    columns: list[Column]  # shown, in the form's order
    choosable: list[Column]  # every question that can be a column
    rows: list[TableRow]
    total: int  # matching submissions, on every page
    total_capped: bool  # more than `total` match (counting a filter on answers stops there)
    newer: str | None  # cursor token of the page before (newer rows)
    older: str | None  # cursor token of the page after (older rows)
    filters: Filters  # province and regency: which questions, which names
    submitters: list[tuple[int, str]] = field(default_factory=list)


def submission_table(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    choice: TableChoice,
    language: str,
) -> SubmissionTable:
    """One page of the table for a reader of ``language`` (``id``, ``en``)."""
    authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_LIST)
    project = get_project(services, actor, project_id)
    labels = form_labels(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    wording = labels.questions.language_for(language)
    filters = read_filters(labels, state=None, province=choice.province, regency=choice.regency)
    zone = ZoneInfo(services.settings.timezone)
    query = SubmissionQuery(
        review_states=choice.states,
        since=_start_of(choice.since, zone),
        until=_start_of(choice.until + timedelta(days=1), zone) if choice.until else None,
        submitter_id=choice.submitter,
        instance_id=choice.instance_id,
        field_values=filters.query().field_values,
    )
    page = browse(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        query=query,
        after=parse_cursor(choice.after),
        before=parse_cursor(choice.before),
        limit=choice.limit,
    )
    choosable = [_column(labels, info, wording) for info in table_fields(labels)]
    columns = _chosen(labels, choosable, choice.columns)
    with services.db.read() as session:
        files = store.current_attachments(session, submission_ids=[row.id for row in page.rows])
    names = name_paths(labels.questions, labels.fields)
    rows = [
        TableRow(
            instance_id=row.instance_id,
            name=display_name(row.instance_name, row.values, names),
            submitter=row.submitter_name,
            created_at=row.created_at,
            review_state=row.review_state,
            edits=row.edits,
            cells=[_cell(labels, column, row.values, files[row.id], wording) for column in columns],
        )
        for row in page.rows
    ]
    return SubmissionTable(
        project=project,
        form=labels.form,
        title=labels.title,
        choice=replace(choice, columns=tuple(c.path for c in columns)),
        columns=columns,
        choosable=choosable,
        rows=rows,
        total=page.total,
        total_capped=page.total_capped,
        newer=cursor_token(page.newer),
        older=cursor_token(page.older),
        filters=filters,
        submitters=submitters(services, actor, project_id=project_id, xml_form_id=xml_form_id),
    )


def table_fields(labels: FormLabels) -> list[FieldInfo]:
    """The answers a column can show: every field outside repeats but the meta block."""
    return [
        info
        for info in labels.fields
        if info.type not in ("structure", "repeat")
        and not info.path.startswith("/meta/")
        and not repeat_chain(labels.fields, info.path)
    ]


def _column(labels: FormLabels, info: FieldInfo, language: str | None) -> Column:
    return Column(info.path, labels.label(info.path, language), info.binary)


def _chosen(labels: FormLabels, choosable: list[Column], wanted: tuple[str, ...]) -> list[Column]:
    """The columns asked for (those the form has), or the default: the first few
    questions, and the first file question (a photo, usually) if it is not among them."""
    if wanted:
        chosen = [column for column in choosable if column.path in wanted]
        if chosen:
            return chosen
    questions = [c for c in choosable if c.path in labels.questions.questions]
    shown = questions[:DEFAULT_COLUMNS]
    photo = next((c for c in questions if c.binary), None)
    if photo is not None and photo not in shown:
        shown.append(photo)
    return shown


def _cell(
    labels: FormLabels,
    column: Column,
    values: dict[str, object],
    files: list[SubmissionAttachment],
    language: str | None,
) -> Cell:
    raw = values.get(column.path)
    text = raw.strip() if isinstance(raw, str) else ""
    if not column.binary or not text:
        return Cell(labels.answer(column.path, text, language) if text else "")
    attachment = next((a for a in files if a.name == text), None)
    return Cell(
        text,
        file=text,
        received=attachment is not None and attachment.blob_sha is not None,
        image=is_image(text, attachment.content_type if attachment else None),
    )


def _start_of(day: date | None, zone: ZoneInfo) -> datetime | None:
    return datetime.combine(day, time.min, tzinfo=zone) if day is not None else None
