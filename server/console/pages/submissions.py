"""A form's submissions: the table (filters, columns, keyset pages of 50), one
submission's page (answers, files, point, review, comments, edits, audit), the review
itself, and the thumbnails of photos that the table and the map show.

The table's filters are a GET form: without JavaScript it reloads the page; with htmx
only the table is fetched (``HX-Target: submissions-results``) and the address follows.
A review is a plain POST answered with a redirect; htmx follows that redirect and asks
for the review panel alone (``HX-Target: review-panel``), so the same GET serves both.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from server import problems
from server.console import urls
from server.console.audit_sentences import describe
from server.console.errors import ConsoleRoute
from server.console.rendering import redirect, templates_of
from server.console.session import ServicesDep, UserDep, as_int, field, posted_form
from server.domain import submissions, thumbnails
from server.domain.browse import MAX_PAGE
from server.domain.submission_detail import submission_detail
from server.domain.submission_table import PAGE_SIZE, TableChoice, submission_table

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

BASE = "/projects/{project_id}/forms/{xml_form_id}/submissions"
TABLE_TARGET = "submissions-results"
REVIEW_TARGET = "review-panel"
Many = Annotated[list[str], Query()]


def _htmx_target(request: Request) -> str | None:
    """The element an htmx request will swap (None for a whole page)."""
    if request.headers.get("hx-request") != "true":
        return None
    if request.headers.get("hx-history-restore-request") == "true":
        return None
    return request.headers.get("hx-target")


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise problems.unexpected_value(
            name, value[:40], "expected a date (YYYY-MM-DD)."
        ) from error


@router.get(BASE)
def submissions_page(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    state: Many = [],  # noqa: B006 (FastAPI copies defaults)
    cols: Many = [],  # noqa: B006
    since: Annotated[str, Query(alias="from")] = "",
    to: str = "",
    submitter: str = "",
    instance: str = "",
    province: str = "",
    regency: str = "",
    after: str = "",
    before: str = "",
    limit: int = PAGE_SIZE,
) -> Response:
    templates = templates_of(request)
    choice = TableChoice(
        states=tuple(s for s in state if s),
        since=_day(since, "from"),
        until=_day(to, "to"),
        submitter=as_int(submitter),
        instance_id=instance.strip() or None,
        province=province or None,
        regency=regency or None,
        columns=tuple(c for c in cols if c),
        after=after or None,
        before=before or None,
        limit=max(1, min(limit, MAX_PAGE)),
    )
    table = submission_table(
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        choice=choice,
        language=templates.language_of(request, user),
    )
    base = urls.submissions(project_id, xml_form_id)
    kept = [
        *(("state", s) for s in choice.states),
        ("from", since),
        ("to", to),
        ("submitter", submitter),
        ("instance", choice.instance_id or ""),
        ("province", table.filters.province or ""),
        ("regency", table.filters.regency or ""),
        *(("cols", c) for c in choice.columns),
        ("limit", str(choice.limit) if choice.limit != PAGE_SIZE else ""),
    ]

    def link(*extra: tuple[str, str]) -> str:
        return urls.with_pairs(base, [*kept, *extra])

    context = {
        "project": table.project,
        "form": table.form,
        "title": table.title,
        "table": table,
        "tab": "submissions",
        "newest_url": link() if choice.after or choice.before else None,
        "newer_url": link(("before", table.newer)) if table.newer else None,
        "older_url": link(("after", table.older)) if table.older else None,
        "clear_url": urls.with_pairs(base, [("cols", c) for c in choice.columns]),
        "timezone": services.settings.timezone,
        "fragment": False,
    }
    headers = {"Vary": "HX-Request, HX-Target"}
    if _htmx_target(request) == TABLE_TARGET:
        context["fragment"] = True
        return templates.page(request, "_submissions_table.html", context, headers=headers)
    return templates.page(request, "submissions.html", context, headers=headers)


@router.get(BASE + "/{instance_id}")
def submission_page(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
) -> Response:
    templates = templates_of(request)
    detail = submission_detail(
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        language=templates.language_of(request, user),
    )
    _ = templates.gettext(request)
    panel_only = _htmx_target(request) == REVIEW_TARGET
    context = {
        "project": detail.project,
        "form": detail.form,
        "title": detail.title,
        "detail": detail,
        "describe": lambda view: describe(view, detail.subjects, _),
        "panel_only": panel_only,
    }
    name = "_review_panel.html" if panel_only else "submission.html"
    return templates.page(request, name, context, headers={"Vary": "HX-Request, HX-Target"})


@router.post(BASE + "/{instance_id}/review")
async def review(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
) -> Response:
    form = await posted_form(request, user)
    comment = field(form, "comment")
    await run_in_threadpool(
        submissions.review,
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        review_state=field(form, "review_state"),
        comment=comment,
    )
    _ = templates_of(request).gettext(request)
    notice = {
        "approved": _("The submission is approved."),
        "hasIssues": _("The submission is marked as having issues."),
        "rejected": _("The submission is rejected."),
    }.get(field(form, "review_state"), _("The review state was changed."))
    if comment:
        notice += " " + _("Your comment was added.")
    return redirect(
        urls.submission(project_id, xml_form_id, instance_id) + "#" + REVIEW_TARGET,
        notice=notice,
    )


@router.get(BASE + "/{instance_id}/thumbnails/{name}")
def thumbnail(
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
    name: str,
) -> Response:
    """A photo at most 160 pixels on its longer side, as a JPEG (404 for other files)."""
    jpeg = thumbnails.thumbnail(
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
        name=name,
    )
    return Response(
        jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )
