"""Forms filled in the browser with ODK Web Forms: previews, office data entry, and
trying a draft through its test link.

One page (``web_form.html`` with ``static/web-form.js``) hosts the form engine, served
from ``static/vendor/web-forms-<version>/``; what differs between the uses is where the
form and its media come from and where a finished submission goes:

* a *preview* of the published form or of the draft loads them through the REST API
  (the session cookie opens its GETs) and sends nothing: a preview never stores a
  submission;
* *data entry* (a web user with the data-collector role or higher, paper interviews typed
  in the office) posts the submission here, and it goes through the same
  ``submissions.ingest`` as a phone's, with the same checks and limits; the browser
  keeps it until this answered 201;
* a *public link* (``/f/{token}``, off unless the ``public_links`` setting is on) opens
  one published form to anyone holding it; what it sends is a submission by the link;
* the *draft test* page (no sign-in, the draft token in the address, as Collect's test
  project) uses the draft test endpoints under ``/v1/test/{token}/``, so what it sends
  is a test submission, dropped when the draft is published.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from babel import Locale
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from server import problems
from server.console import urls
from server.console.errors import ConsoleRoute
from server.console.rendering import redirect, static, templates_of
from server.console.session import (
    CSRF_HEADER,
    ServicesDep,
    UserDep,
    csrf_failed,
    current_user,
    field,
    posted_form,
)
from server.domain import forms, projects, public_links, submissions
from server.domain.access import FORM_UPDATE, SUBMISSION_CREATE, SUBMISSION_UPDATE
from server.resources.forms import form_media_response
from server.resources.openrosa import submission_parts

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
# The submission from the browser: answered in Central's problem JSON, not with a page.
api_router = APIRouter(include_in_schema=False)

ENGINE = "vendor/web-forms-0.22.0/web-forms.js"
# The page that hosts the engine lets it do what it needs and nothing more: its styles
# are injected at run time, it compiles its XPath parser from WebAssembly, and its
# fonts and images are data: URLs. Still nothing but this server is reachable.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self'; font-src 'self' data:; worker-src 'self' blob: data:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def N_(text: str) -> str:  # noqa: N802 - the marker Babel looks for
    """Marks a text for translation where it is defined; it is translated when shown."""
    return text


# Every text of the Web Forms interface, in its English; the page translates them into
# the console's language (the package has no Indonesian of its own).
ENGINE_TEXTS = [
    N_("Send"),
    N_("Add"),
    N_("Remove"),
    N_("Cancel"),
    N_("Change language"),
    N_("Powered by"),
    N_("Take picture"),
    N_("Choose image"),
    N_("Captured image preview"),
    N_("Get location"),
    N_("Save location"),
    N_("Try again"),
    N_("Finding your location"),
    N_("Cannot access location"),
    N_("Good accuracy"),
    N_("Poor accuracy"),
    N_("Unknown accuracy"),
    N_("Rank items"),
    N_("No point saved"),
    N_("Point saved"),
    N_("Remove point"),
    N_("Tap to place a point"),
    N_("Tap to move point"),
    N_("Press and drag to move a point"),
    N_("Full Screen"),
    N_("Undo last change"),
    N_("Today"),
    N_("Clear"),
    N_("No results found"),
    N_("No available options"),
    N_("Condition not satisfied: required"),
    N_("Condition not satisfied: constraint"),
    N_("1 question with error."),
    N_("Grant location permission in the browser settings and make sure location is turned on."),
    N_(
        "Location unavailable. Enable GPS and browser permissions, then restart the form to"
        " try again."
    ),
    N_("An error occurred while loading this form"),
    N_("Technical error details"),
]
# Texts with a number in them: the English pattern, {n} for the number.
ENGINE_PATTERNS = [N_("{n} questions with errors.")]


def _date_picker_texts(language: str) -> dict[str, Any]:
    """PrimeVue's calendar texts in the console's language (Babel's names for it)."""
    locale = Locale.parse(language)
    days = locale.days["format"]
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # Babel counts from Monday, PrimeVue from Sunday
    return {
        "monthNames": [locale.months["format"]["wide"][m] for m in range(1, 13)],
        "monthNamesShort": [locale.months["format"]["abbreviated"][m] for m in range(1, 13)],
        "dayNames": [days["wide"][d] for d in sunday_first],
        "dayNamesShort": [days["abbreviated"][d] for d in sunday_first],
        "dayNamesMin": [days["short"][d] for d in sunday_first],
        "firstDayOfWeek": (locale.first_week_day + 1) % 7,
        "dateFormat": "dd/mm/yy",
    }


def _page_texts(request: Request) -> dict[str, Any]:
    _ = templates_of(request).gettext(request)
    return {
        "engine": {text: _(text) for text in ENGINE_TEXTS},
        "patterns": {text: _(text) for text in ENGINE_PATTERNS},
        "preview_sent": _("This is a preview: the submission was checked but not stored."),
        "kept": _(
            "Saved in this browser. It is sent to the server now, or as soon as the"
            " connection is back."
        ),
        "sent": _("Sent to the server: {instance}."),
        "waiting": _("Waiting to be sent: {count}. Keep this page open or come back later."),
        "refused": _("The server refused submission {instance}: {message}"),
        "restored": _("The answers you had entered before were restored."),
        "load_failed": _(
            "The form {form} could not be opened in the browser: {reason}. Try it in ODK"
            " Collect, or ask the person who made it to check it."
        ),
        "discard": _("Start again with an empty form"),
    }


def _render(
    request: Request,
    *,
    title: str,
    mode: str,
    form_id: str,
    form_url: str,
    media_url: str,
    submit_url: str = "",
    back_url: str | None = None,
    project: Any = None,
    username: str = "",
    encrypted: bool = False,
    edit: dict[str, Any] | None = None,
) -> Response:
    user = current_user(request)
    templates = templates_of(request)
    context = {
        "title": title,
        "encrypted": encrypted,
        "project": project,
        "mode": mode,
        "back_url": back_url,
        "config": {
            "engine": static(ENGINE),
            "mode": mode,
            "formId": form_id,
            "formUrl": form_url,
            "mediaUrl": media_url,
            "submitUrl": submit_url,
            "csrf": user.csrf if user is not None else "",
            "username": username,
            # Answers and outbox are kept per page and per person: on an office computer
            # shared by several typists, each sends only their own, as themselves.
            "scope": f"{mode}:{form_url}:{user.email if user is not None else ''}",
            "owner": user.email if user is not None else "",
            "edit": edit,
            "texts": _page_texts(request),
            "dateTexts": _date_picker_texts(templates.language_of(request, user)),
        },
    }
    return templates.page(
        request,
        "web_form.html",
        context,
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY},
    )


@router.get("/projects/{project_id}/forms/{xml_form_id}/preview")
def preview_published(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    view = forms.get_form(services, user.actor, project_id=project_id, xml_form_id=xml_form_id)
    if view.form.current_def_id is None:
        raise problems.not_found()
    title = (view.definition.name if view.definition else None) or xml_form_id
    return _render(
        request,
        title=title,
        mode="preview",
        form_id=xml_form_id,
        form_url=urls.api_form_xml(project_id, xml_form_id),
        media_url=urls.api_form_attachment(project_id, xml_form_id, "", draft=False),
        back_url=urls.form(project_id, xml_form_id),
        project=project,
    )


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft/preview")
def preview_draft(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    view = forms.get_form(services, user.actor, project_id=project_id, xml_form_id=xml_form_id)
    user.actor.require(FORM_UPDATE, project_id=project_id, form_id=view.form.id)
    if view.draft is None:
        raise problems.not_found()
    return _render(
        request,
        title=view.draft.name or xml_form_id,
        mode="preview",
        form_id=xml_form_id,
        form_url=urls.api_form(project_id, xml_form_id) + "/draft.xml",
        media_url=urls.api_form_attachment(project_id, xml_form_id, "", draft=True),
        back_url=urls.form(project_id, xml_form_id) + "#draft",
        project=project,
    )


@router.get("/projects/{project_id}/forms/{xml_form_id}/enter")
def data_entry(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    view = forms.get_form(services, user.actor, project_id=project_id, xml_form_id=xml_form_id)
    user.actor.require(SUBMISSION_CREATE, project_id=project_id, form_id=view.form.id)
    if view.form.current_def_id is None:
        raise problems.not_found()
    title = (view.definition.name if view.definition else None) or xml_form_id
    return _render(
        request,
        title=title,
        mode="entry",
        form_id=xml_form_id,
        form_url=urls.api_form_xml(project_id, xml_form_id),
        media_url=urls.api_form_attachment(project_id, xml_form_id, "", draft=False),
        submit_url=urls.form_action(project_id, xml_form_id, "enter"),
        back_url=urls.form(project_id, xml_form_id),
        project=project,
        username=user.email,
        # The browser does not encrypt: an encrypted form's answers are entered in Collect.
        encrypted=bool(view.definition and view.definition.key_id),
    )


@router.get("/projects/{project_id}/forms/{xml_form_id}/submissions/{instance_id}/edit")
def edit_submission(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    instance_id: str,
) -> Response:
    """An existing submission opened in the form to be corrected, as Central offers: what
    is sent is an edit of it (a new version carrying its deprecatedID), through the same
    ingest as a phone's edit."""
    project = projects.get_project(services, user.actor, project_id)
    view = forms.get_form(services, user.actor, project_id=project_id, xml_form_id=xml_form_id)
    found = submissions.get_submission(
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        instance_id=instance_id,
    )
    user.actor.require(SUBMISSION_UPDATE, project_id=project_id, form_id=view.form.id)
    if view.form.current_def_id is None:
        raise problems.not_found()
    names = [
        attachment.name
        for attachment in submissions.list_attachments(
            services,
            user.actor,
            project_id=project_id,
            xml_form_id=xml_form_id,
            instance_id=instance_id,
        )
        if attachment.blob_sha is not None
    ]
    title = (view.definition.name if view.definition else None) or xml_form_id
    return _render(
        request,
        title=title,
        mode="edit",
        form_id=xml_form_id,
        form_url=urls.api_form_xml(project_id, xml_form_id),
        media_url=urls.api_form_attachment(project_id, xml_form_id, "", draft=False),
        submit_url=urls.form_action(project_id, xml_form_id, "enter"),
        back_url=urls.submission(project_id, xml_form_id, found.submission.instance_id),
        project=project,
        username=user.email,
        encrypted=bool(view.definition and view.definition.key_id),
        edit={
            "instanceUrl": urls.api_submission_xml(project_id, xml_form_id, instance_id),
            "attachments": {
                name: urls.api_attachment(project_id, xml_form_id, instance_id, name)
                for name in names
            },
            "done": urls.submission(project_id, xml_form_id, found.submission.instance_id),
        },
    )


@router.get("/test/{token}/projects/{project_id}/forms/{xml_form_id}/draft")
def draft_test(
    request: Request, services: ServicesDep, token: str, project_id: int, xml_form_id: str
) -> Response:
    form, draft = forms.draft_by_token(
        services, token=token, project_id=project_id, xml_form_id=xml_form_id
    )
    base = f"/v1/test/{quote(token, safe='')}{urls.api_form(project_id, xml_form_id)[3:]}/draft"
    return _render(
        request,
        title=draft.name or form.xml_form_id,
        mode="test",
        form_id=form.xml_form_id,
        form_url=f"{base}.xml",
        media_url=f"{base}/attachments/",
        submit_url=f"{base}/submission",
    )


@api_router.post("/projects/{project_id}/forms/{xml_form_id}/enter")
async def submit_entry(
    request: Request,
    services: ServicesDep,
    project_id: int,
    xml_form_id: str,
    deviceID: str | None = None,  # noqa: N803 - named as Collect's query parameter
) -> Response:
    """A submission typed in the browser: an ordinary submission by the signed-in user."""
    try:
        user = current_user(request)
        if user is None:
            raise problems.authentication_failed()
        if not secrets.compare_digest(request.headers.get(CSRF_HEADER, ""), user.csrf):
            raise csrf_failed()
        async with submission_parts(request, services) as (xml, files):
            result = await run_in_threadpool(
                submissions.ingest,
                services,
                user.actor,
                project_id=project_id,
                xml=xml,
                files=files,
                device_id=deviceID or None,
                user_agent=request.headers.get("user-agent"),
                expected_form_id=xml_form_id,
            )
            instance_id = result.submission.instance_id
    except problems.Problem as problem:
        return JSONResponse(problem.as_json(), status_code=problem.status)
    return JSONResponse({"instanceId": instance_id}, status_code=201)


# Public links ---------------------------------------------------------------------------


def _public_base(token: str) -> str:
    return f"/f/{quote(token, safe='')}"


@router.get("/f/{token}")
def public_form(request: Request, services: ServicesDep, token: str) -> Response:
    """A form opened through a public link: anyone holding the link may fill it."""
    link = public_links.open_link(services, token)
    view = forms.get_form(
        services, link.actor, project_id=link.project_id, xml_form_id=link.xml_form_id
    )
    base = _public_base(token)
    return _render(
        request,
        title=(view.definition.name if view.definition else None) or link.xml_form_id,
        mode="public",
        form_id=link.xml_form_id,
        form_url=f"{base}/form.xml",
        media_url=f"{base}/attachments/",
        submit_url=f"{base}/submission",
        encrypted=bool(view.definition and view.definition.key_id),
    )


@router.get("/f/{token}/form.xml")
def public_form_xml(services: ServicesDep, token: str) -> Response:
    link = public_links.open_link(services, token)
    xml = forms.published_xform(
        services, link.actor, project_id=link.project_id, xml_form_id=link.xml_form_id
    )
    return Response(xml, media_type="application/xml")


@router.get("/f/{token}/attachments/{name}")
def public_form_media(request: Request, services: ServicesDep, token: str, name: str) -> Response:
    """The form's media, entity lists included: the link's actor reads the form as an app
    user does."""
    link = public_links.open_link(services, token)
    source = forms.attachment_source(
        services, link.actor, project_id=link.project_id, xml_form_id=link.xml_form_id, name=name
    )
    return form_media_response(request, services, source, link.actor)


@api_router.post("/f/{token}/submission")
async def public_submission(
    request: Request,
    services: ServicesDep,
    token: str,
    deviceID: str | None = None,  # noqa: N803 - named as Collect's query parameter
) -> Response:
    """A submission through a public link, by the link's actor, within the link's limit."""
    try:
        link = await run_in_threadpool(public_links.open_link, services, token)
        await run_in_threadpool(public_links.count_submission, services, link)
        async with submission_parts(request, services) as (xml, files):
            result = await run_in_threadpool(
                submissions.ingest,
                services,
                link.actor,
                project_id=link.project_id,
                xml=xml,
                files=files,
                device_id=deviceID or None,
                user_agent=request.headers.get("user-agent"),
                expected_form_id=link.xml_form_id,
            )
            instance_id = result.submission.instance_id
    except problems.Problem as problem:
        return JSONResponse(
            problem.as_json(), status_code=problem.status, headers=problem.headers or None
        )
    return JSONResponse({"instanceId": instance_id}, status_code=201)


@router.post("/projects/{project_id}/forms/{xml_form_id}/public-links")
async def create_public_link(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    form = await posted_form(request, user)
    await run_in_threadpool(
        public_links.create_link,
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        display_name=field(form, "name"),
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.form(project_id, xml_form_id) + "#public-links",
        notice=_("The public link is ready. Anyone who has it can fill this form."),
    )


@router.post("/projects/{project_id}/forms/{xml_form_id}/public-links/{link_id}/revoke")
async def revoke_public_link(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    link_id: int,
) -> Response:
    await posted_form(request, user)
    await run_in_threadpool(
        public_links.revoke_link,
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        link_id=link_id,
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.form(project_id, xml_form_id) + "#public-links",
        notice=_("The public link was revoked: it no longer opens the form."),
    )
