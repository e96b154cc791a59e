"""The map of a form's initiatives: every submission with a point, coloured by the answer
to a select_one question, filtered by review state and province.

`map_view` is what the page shows before any point is drawn (the form's location and
colour questions, the filters, how many points match); `map_geojson` streams the
points themselves as a GeoJSON FeatureCollection, one small Feature per submission
(`server.data.maps`), ending with the colour legend (each value's label in the reader's
language and its count) and the number of points. Both need ``submission.list`` on the
form, as the list of submissions does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_

from server import problems
from server.data import maps as points
from server.data.summary import ChoiceTally
from server.data.tables import repeat_chain
from server.data.xform import FieldInfo
from server.domain import Services
from server.domain.access import SUBMISSION_LIST, Actor
from server.domain.browse import matching_rows
from server.domain.downloads import matching_language
from server.domain.form_filters import Filters, read_filters
from server.domain.forms import authorised_form
from server.domain.labels import FormLabels, form_labels
from server.domain.projects import get_project
from server.formats.json_stream import json_array_chunks
from server.store import exports as store
from server.store import maps as map_store
from server.store.tables import Form, Project


@dataclass(frozen=True)
class MapChoice:
    """What the reader asked for: the location question, the question that colours the
    points, and the filters (each None for the default)."""

    field: str | None = None
    colour: str | None = None
    state: str | None = None
    province: str | None = None


@dataclass(frozen=True)
class MapView:
    project: Project
    form: Form
    title: str
    geo_fields: list[tuple[str, str]]  # (path, label) of the point questions
    colour_fields: list[tuple[str, str]]  # (path, label) of the select_one questions
    field: str | None  # the point question shown
    colour: str | None
    filters: Filters
    points: int  # matching submissions with a point
    submissions: int  # matching submissions


@dataclass(frozen=True)
class _Plan:
    labels: FormLabels
    language: str | None
    geo: FieldInfo | None
    colour: str | None
    filters: Filters
    geo_fields: list[FieldInfo]
    colour_fields: list[str]


def _plan(
    services: Services,
    actor: Actor,
    project_id: int,
    xml_form_id: str,
    choice: MapChoice,
    language: str,
) -> _Plan:
    authorised_form(services, actor, project_id, xml_form_id, SUBMISSION_LIST)
    labels = form_labels(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    geo_fields = points.point_fields(labels.fields)
    geo = geo_fields[0] if geo_fields else None
    if choice.field:
        geo = next((f for f in geo_fields if f.path == choice.field), None)
        if geo is None:
            raise problems.unexpected_value("field", choice.field, "not a location question.")
    colour_fields = [
        q.path
        for q in labels.questions.questions.values()
        if q.control == "select1" and not repeat_chain(labels.fields, q.path)
    ]
    if choice.colour and choice.colour not in colour_fields:
        raise problems.unexpected_value("color", choice.colour, "not a select_one question.")
    return _Plan(
        labels=labels,
        language=matching_language(labels.questions.languages, language),
        geo=geo,
        colour=choice.colour or None,
        filters=read_filters(labels, state=choice.state, province=choice.province),
        geo_fields=geo_fields,
        colour_fields=colour_fields,
    )


def map_view(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    choice: MapChoice,
    language: str,
) -> MapView:
    """The map page of a published form, for a reader of ``language`` (``id``, ``en``)."""
    plan = _plan(services, actor, project_id, xml_form_id, choice, language)
    labels, form = plan.labels, plan.labels.form
    assert form.id is not None
    condition = plan.filters.query().condition()
    with services.db.read() as session:
        submissions = store.count_rows(session, form_id=form.id, condition=condition)
        located = (
            store.count_rows(
                session,
                form_id=form.id,
                condition=and_(condition, map_store.has_answer(plan.geo.path)),
            )
            if plan.geo is not None
            else 0
        )
    return MapView(
        project=get_project(services, actor, project_id),
        form=form,
        title=labels.title,
        geo_fields=[(f.path, labels.label(f.path, plan.language)) for f in plan.geo_fields],
        colour_fields=[(p, labels.label(p, plan.language)) for p in plan.colour_fields],
        field=plan.geo.path if plan.geo is not None else None,
        colour=plan.colour,
        filters=plan.filters,
        points=located,
        submissions=submissions,
    )


def map_geojson(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    choice: MapChoice,
    language: str,
) -> Iterator[bytes]:
    """The matching points as a GeoJSON FeatureCollection, streamed; its ``legend`` lists
    the colour question's values (label, count; null for no answer) and ``count`` the
    points. Checks are made before this returns."""
    plan = _plan(services, actor, project_id, xml_form_id, choice, language)
    rows = matching_rows(
        services,
        actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        query=plan.filters.query(),
    )
    tally = ChoiceTally(multiple=False)
    found = 0

    def features() -> Iterator[dict[str, Any]]:
        nonlocal found
        if plan.geo is None:
            return
        layout = points.point_layout(
            plan.labels.questions, plan.labels.fields, plan.geo, plan.colour
        )
        for row in rows:
            feature = points.map_feature(
                layout,
                instance_id=row.instance_id,
                instance_name=row.instance_name,
                values=row.values,
            )
            if feature is not None:
                found += 1
                tally.add(feature["properties"].get("color"))
                yield feature

    def closing() -> str:
        legend = _legend(plan, tally, found) if plan.colour else []
        footer = json.dumps(
            {"legend": legend, "count": found}, ensure_ascii=False, separators=(",", ":")
        )
        return "]," + footer[1:]

    return json_array_chunks('{"type":"FeatureCollection","features":[', features(), closing)


def _legend(plan: _Plan, tally: ChoiceTally, total: int) -> list[dict[str, Any]]:
    assert plan.colour is not None
    labels, path = plan.labels, plan.colour
    question = labels.questions.questions[path]
    if question.choice_file is not None:
        known = list(labels.choice_files.get(question.choice_file, {}))
    else:
        known = [c.value for c in question.choices]
    legend: list[dict[str, Any]] = [
        {"value": value, "label": labels.choice_label(path, value, plan.language), "count": n}
        for value, n in tally.ordered(known, every_known=False)
    ]
    if total > tally.answered:
        legend.append({"value": None, "label": None, "count": total - tally.answered})
    return legend
