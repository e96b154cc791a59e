"""The summary of a form: each select question's choices as a bar chart (drawn on the
server as SVG, so the page prints as it shows), each number question's count, least,
median and greatest value, filtered by review state, province and regency; a handout
for a network meeting when printed."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from server.console.errors import ConsoleRoute
from server.console.i18n import Formatter
from server.console.rendering import templates_of
from server.console.session import ServicesDep, UserDep
from server.domain import summaries
from server.formats.svg_charts import Bar, bar_chart

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def choice_chart(result: summaries.ChoiceResult, fmt: Formatter, chart_id: str) -> Markup:
    """The bar chart of one select question, its figures written for the reader."""
    bars = [
        Bar(
            label=bar.label,
            share=bar.share,
            figures=f"{fmt.number(bar.count)} · {fmt.percent(bar.share)}",
        )
        for bar in result.bars
    ]
    return bar_chart(bars, title=result.label, chart_id=chart_id)


@router.get("/projects/{project_id}/forms/{xml_form_id}/summary")
def summary_page(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    state: str = "",
    province: str = "",
    regency: str = "",
) -> Response:
    templates = templates_of(request)
    view = summaries.form_summary(
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        state=state or None,
        province=province or None,
        regency=regency or None,
        language=templates.language_of(request, user),
    )
    return templates.page(
        request,
        "summary.html",
        {
            "project": view.project,
            "form": view.form,
            "title": view.title,
            "view": view,
            "chart": choice_chart,
            "tab": "summary",
        },
    )
