"""One submission as the console's page shows it: its answers worded in the reader's
language (groups as sections, repeats as numbered blocks), its files, its point, its
review state and the comments on it (oldest first), its edit history (for each edit,
which answers changed, from what to what) and its audit entries.

Needs ``submission.read`` on the form, as the REST API's submission does; whether the
reader may review it (``submission.update``) is said, not assumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.data import answers
from server.data.changes import Change, changes
from server.data.images import is_image
from server.data.maps import geopoint, point_fields
from server.data.xform import FieldInfo
from server.domain import Services, submissions
from server.domain.access import SUBMISSION_UPDATE, Actor
from server.domain.audits import AuditView
from server.domain.labels import FormLabels, form_labels
from server.domain.projects import get_project
from server.store import audits as audit_store
from server.store.tables import Form, Project, Submission, SubmissionDef


@dataclass(frozen=True)
class File:
    name: str
    received: bool
    image: bool


@dataclass(frozen=True)
class Point:
    question: str  # the label of the geopoint question
    latitude: float
    longitude: float


@dataclass(frozen=True)
class CommentView:
    body: str
    author: str | None
    created_at: datetime


@dataclass(frozen=True)
class ChangeView:
    label: str  # the question, with the repeat blocks it sits in
    before: str  # as a person reads it ("" for no answer)
    after: str


@dataclass(frozen=True)
class Edit:
    version: SubmissionDef
    author: str | None
    changes: list[ChangeView]


@dataclass
class SubmissionDetail:
    project: Project
    form: Form
    title: str  # the form's
    submission: Submission
    current: SubmissionDef
    submitter: str | None
    answers: list[answers.Node]
    files: dict[str, File]  # by file name
    point: Point | None
    comments: list[CommentView]  # oldest first
    edits: list[Edit]  # oldest first; empty when never edited
    audits: list[AuditView]  # oldest first
    subjects: dict[str, dict[str, Any]]  # what the audit entries name, by kind:id
    may_review: bool
    display: str  # its instance name, else its first text answer ("" without either)

    @property
    def name(self) -> str:
        return self.display or self.submission.instance_id


def submission_detail(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    language: str,
) -> SubmissionDetail:
    """The page of one submission for a reader of ``language`` (``id``, ``en``)."""
    where = {"project_id": project_id, "xml_form_id": xml_form_id, "instance_id": instance_id}
    view = submissions.get_submission(services, actor, **where)
    project = get_project(services, actor, project_id)
    labels = form_labels(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    reader = answers.Reader(
        labels.questions, labels.choice_files, labels.questions.language_for(language)
    )
    versions = list(reversed(submissions.list_versions(services, actor, **where)))
    comments = [c for c, _ in reversed(submissions.list_comments(services, actor, **where))]
    audits = list(reversed(submissions.submission_audits(services, actor, **where)))
    attachments = submissions.list_attachments(services, actor, **where)
    submission = view.submission
    assert submission.id is not None and labels.form.id is not None
    people = {c.actor_id for c in comments} | {v.submitter_id for v in versions if v.submitter_id}
    if submission.submitter_id is not None:
        people.add(submission.submitter_id)
    with services.db.read() as session:
        subjects = audit_store.names_of(
            session,
            actor_ids=people,
            project_ids=set(),
            form_ids={labels.form.id},
            submission_ids={submission.id},
        )
    display = answers.display_name(
        view.definition.instance_name,
        view.definition.fields,
        answers.name_paths(labels.questions, labels.fields),
    )
    name = display or submission.instance_id
    subjects.setdefault(f"submission:{submission.id}", {})["name"] = name

    def name_of(actor_id: int | None) -> str | None:
        return subjects.get(f"actor:{actor_id}", {}).get("name") if actor_id else None

    return SubmissionDetail(
        project=project,
        form=labels.form,
        title=labels.title,
        submission=submission,
        current=view.definition,
        submitter=name_of(submission.submitter_id),
        answers=answers.answer_tree(labels.fields, view.definition.fields, reader),
        files={
            a.name: File(a.name, a.blob_sha is not None, is_image(a.name, a.content_type))
            for a in attachments
        },
        point=_point(labels, view.definition.fields, reader),
        comments=[CommentView(c.body, name_of(c.actor_id), c.created_at) for c in comments],
        edits=[
            Edit(later, name_of(later.submitter_id), _changes(labels, earlier, later, reader))
            for earlier, later in zip(versions, versions[1:], strict=False)
        ],
        audits=audits,
        subjects=subjects,
        may_review=actor.can(SUBMISSION_UPDATE, project_id=project_id, form_id=labels.form.id),
        display=display,
    )


def _point(labels: FormLabels, values: dict[str, Any], reader: answers.Reader) -> Point | None:
    """The first answered geopoint outside repeats."""
    for info in point_fields(labels.fields):
        raw = values.get(info.path)
        found = geopoint(info, raw if isinstance(raw, str) else None)
        if found is not None:
            return Point(reader.label(info.path), latitude=found[1], longitude=found[0])
    return None


def _changes(
    labels: FormLabels, earlier: SubmissionDef, later: SubmissionDef, reader: answers.Reader
) -> list[ChangeView]:
    fields = {info.path: info for info in labels.fields}
    return [
        ChangeView(
            label=_where(change, reader),
            before=_worded(fields, change.path, change.before, reader),
            after=_worded(fields, change.path, change.after, reader),
        )
        for change in changes(earlier.fields, later.fields)
    ]


def _where(change: Change, reader: answers.Reader) -> str:
    """``Products 2 › Price``: the question under the repeat blocks it sits in."""
    blocks = [f"{reader.label(path)} {number}" for path, number in change.position]
    return " › ".join([*blocks, reader.label(change.path)])


def _worded(
    fields: dict[str, FieldInfo], path: str, raw: str | None, reader: answers.Reader
) -> str:
    info = fields.get(path) or FieldInfo(path=path, name=path.rsplit("/", 1)[-1], type="string")
    return reader.text(info, raw)
