"""The summary of a form: for each select question the count and share of each choice,
for each number question its count, least, median and greatest value, grouped under
the form's group labels in the form's order, over the submissions the filters keep
(review state, province, regency).

The submissions are read once, a batch at a time (`browse.matching_rows`), into counts
(`server.data.summary`): memory does not grow with their number. Needs
``submission.list`` on the form, as the list of submissions does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from server.data.summary import ChoiceTally, FormTally, NumberTally, Planned, summary_plan
from server.domain import Services, utcnow
from server.domain.access import SUBMISSION_LIST, Actor
from server.domain.browse import matching_rows
from server.domain.downloads import matching_language
from server.domain.form_filters import Filters, read_filters
from server.domain.forms import authorised_form
from server.domain.labels import FormLabels, form_labels
from server.domain.projects import get_project
from server.store.tables import Form, Project


@dataclass(frozen=True)
class ChoiceBar:
    value: str
    label: str
    count: int
    share: float  # of the submissions that answered the question


@dataclass(frozen=True)
class ChoiceResult:
    path: str
    label: str
    multiple: bool
    answered: int
    bars: list[ChoiceBar]


@dataclass(frozen=True)
class NumberResult:
    path: str
    label: str
    count: int
    minimum: float | None
    median: float | None
    maximum: float | None


@dataclass
class NumberTable:
    """Number questions that follow each other, shown as one table."""

    rows: list[NumberResult] = field(default_factory=list)


@dataclass
class Section:
    """The questions of one group: its label and those of the groups around it."""

    headings: list[str]
    blocks: list[ChoiceResult | NumberTable] = field(default_factory=list)


@dataclass(frozen=True)
class SummaryView:
    project: Project
    form: Form
    title: str
    filters: Filters
    submissions: int
    sections: list[Section]
    made_at: datetime


def form_summary(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    state: str | None = None,
    province: str | None = None,
    regency: str | None = None,
    language: str,
) -> SummaryView:
    """The summary of a published form's matching submissions, with its labels in
    ``language`` (a console language code such as ``id``)."""
    authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_LIST)
    labels = form_labels(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    filters = read_filters(labels, state=state, province=province, regency=regency)
    plan = summary_plan(labels.questions, labels.fields)
    tally = FormTally(plan)
    for row in matching_rows(
        services, actor, project_id=project_id, xml_form_id=xml_form_id, query=filters.query()
    ):
        tally.add(row.values)
    translation = matching_language(labels.questions.languages, language)
    return SummaryView(
        project=get_project(services, actor, project_id),
        form=labels.form,
        title=labels.title,
        filters=filters,
        submissions=tally.submissions,
        sections=_sections(labels, plan, tally, translation),
        made_at=utcnow(),
    )


def _sections(
    labels: FormLabels, plan: list[Planned], tally: FormTally, language: str | None
) -> list[Section]:
    sections: list[Section] = []
    current: tuple[str, ...] | None = None
    for item in plan:
        if item.groups != current or not sections:
            current = item.groups
            headings = [labels.label(g, language) for g in item.groups]
            sections.append(Section(headings=[h for h in headings if h]))
        blocks = sections[-1].blocks
        counted = tally.tallies[item.path]
        label = labels.label(item.path, language)
        if isinstance(counted, NumberTally):
            row = NumberResult(
                path=item.path,
                label=label,
                count=counted.count,
                minimum=counted.minimum,
                median=counted.median(),
                maximum=counted.maximum,
            )
            if not blocks or not isinstance(blocks[-1], NumberTable):
                blocks.append(NumberTable())
            table = blocks[-1]
            assert isinstance(table, NumberTable)
            table.rows.append(row)
        else:
            blocks.append(_choices(labels, item, counted, label, language))
    return sections


def _choices(
    labels: FormLabels, item: Planned, counted: ChoiceTally, label: str, language: str | None
) -> ChoiceResult:
    """Every choice of an inline list in its order; for a list from a file (a wilayah
    list of thousands), only the chosen ones, most chosen first (ties in the list's order)."""
    question = labels.questions.questions[item.path]
    if question.choice_file is not None:
        listed = list(labels.choice_files.get(question.choice_file, {}))
        ordered = sorted(counted.ordered(listed, every_known=False), key=lambda item: -item[1])
    else:
        ordered = counted.ordered([c.value for c in question.choices], every_known=True)
    bars = [
        ChoiceBar(
            value=value,
            label=labels.choice_label(item.path, value, language),
            count=n,
            share=counted.share(value),
        )
        for value, n in ordered
    ]
    return ChoiceResult(
        path=item.path,
        label=label,
        multiple=item.kind == "many",
        answered=counted.answered,
        bars=bars,
    )
