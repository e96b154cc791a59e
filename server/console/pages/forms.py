"""Forms: uploading an XLSForm (or XForm) as a new form or a new draft, the form's page
(versions, state, draft, media), a draft's test QR code, and publishing.

A new form starts as a draft, as in ODK Central: its media are uploaded and it is tried
on a phone (through the draft's QR code) before it is published under a version.
Spreadsheet errors and warnings are shown with the sheet, row and column they point at;
warnings can be accepted without choosing the file again (the upload is kept, named by
its SHA-256 and a token only this session can make).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import PurePath
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from server import problems
from server.console import urls
from server.console.errors import ConsoleRoute, explain
from server.console.rendering import redirect, templates_of
from server.console.session import ConsoleUser, ServicesDep, UserDep, field, posted_form
from server.domain import Services, forms, projects, public_links
from server.domain.access import FORM_CREATE, FORM_UPDATE, SUBMISSION_LIST
from server.external.xlsform import XLS_CONTENT_TYPE, XLSX_CONTENT_TYPE
from server.formats.qr import collect_qr, png
from server.http.urls import draft_test_server_url, phone_origin

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

CONTENT_TYPES = {".xlsx": XLSX_CONTENT_TYPE, ".xls": XLS_CONTENT_TYPE, ".xml": "application/xml"}
MAX_MEDIA_FILES = 50


@router.get("/projects/{project_id}/forms/new")
def new_form_page(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    user.actor.require(FORM_CREATE, project_id=project_id)
    return templates_of(request).page(
        request,
        "form_new.html",
        {"project": project, "upload": None, "max_bytes": _limit(services)},
    )


@router.post("/projects/{project_id}/forms/new")
async def upload_form(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    project = await run_in_threadpool(projects.get_project, services, user.actor, project_id)
    upload = await _compiled_upload(request, services, user)
    if isinstance(upload, UploadTrouble):
        return templates_of(request).page(
            request,
            "form_new.html",
            {"project": project, "upload": upload, "max_bytes": _limit(services)},
            status=upload.problem.status,
        )
    form = await run_in_threadpool(
        forms.create_form,
        services,
        user.actor,
        project_id=project_id,
        definition=upload,
        publish=False,
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.form(project_id, form.xml_form_id),
        notice=_("The form was uploaded as a draft. Add its media, try it, then publish it."),
    )


@router.get("/projects/{project_id}/forms/{xml_form_id}")
def form_page(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    return _form_page(request, services, user, project_id, xml_form_id)


def _form_page(
    request: Request,
    services: Services,
    user: ConsoleUser,
    project_id: int,
    xml_form_id: str,
    *,
    upload: UploadTrouble | None = None,
    status: int = 200,
) -> Response:
    actor = user.actor
    project = projects.get_project(services, actor, project_id)
    view = forms.get_form(services, actor, project_id=project_id, xml_form_id=xml_form_id)
    form = view.form
    may_update = actor.can(FORM_UPDATE, project_id=project_id, form_id=form.id)
    published = view.definition if form.current_def_id else None
    context: dict[str, Any] = {
        "project": project,
        "view": view,
        "form": form,
        "title": (view.definition.name if view.definition else None) or form.xml_form_id,
        "published": published,
        "may_update": may_update,
        "stats": None,
        "versions": [],
        "published_media": [],
        "draft_media": [],
        "upload": upload,
        "max_bytes": _limit(services),
        "tab": "overview",
        "phone": phone_origin(request, services.settings),
        "suggested_version": None,
        "draft_test_page": None,
        "public_links": None,
    }
    if may_update and published is not None and services.settings.public_links:
        context["public_links"] = public_links.list_links(
            services, actor, project_id=project_id, xml_form_id=xml_form_id
        )
    if actor.can(SUBMISSION_LIST, project_id=project_id, form_id=form.id) and published:
        context["stats"] = forms.form_stats(services, form)[0]
    if published is not None and published.id is not None:
        context["versions"] = forms.list_versions(
            services, actor, project_id=project_id, xml_form_id=xml_form_id
        )[1]
        context["published_media"] = forms.attachments_with_blobs(
            services, form_def_id=published.id
        )
    if may_update and view.draft is not None and view.draft.id is not None:
        context["draft_media"] = forms.attachments_with_blobs(services, form_def_id=view.draft.id)
        if form.draft_token:
            context["draft_test_page"] = urls.draft_test_page(
                form.draft_token, project_id, xml_form_id
            )
        used = {d.version for d in context["versions"]}
        if view.draft.version in used:
            context["suggested_version"] = _next_version(view.draft.version, used)
    return templates_of(request).page(request, "form.html", context, status=status)


def _next_version(version: str, used: set[str]) -> str:
    """A version not yet published, suggested when a draft repeats a published one."""
    for n in range(2, 1000):
        candidate = f"{version}-{n}"
        if candidate not in used:
            return candidate
    return version + "-new"


@router.post("/projects/{project_id}/forms/{xml_form_id}/draft")
async def upload_draft(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    """A new draft: a new spreadsheet, or (without a file) a copy of the published form."""
    upload = await _compiled_upload(request, services, user, allow_empty=True)
    if isinstance(upload, UploadTrouble):
        return await run_in_threadpool(
            _form_page,
            request,
            services,
            user,
            project_id,
            xml_form_id,
            upload=upload,
            status=upload.problem.status,
        )
    await run_in_threadpool(
        forms.create_draft,
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        definition=upload,
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.form(project_id, xml_form_id) + "#draft",
        notice=_("The new draft is ready. Try it on a phone, then publish it."),
    )


@router.post("/projects/{project_id}/forms/{xml_form_id}/draft/media")
async def upload_media(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    """Media files for the draft, matched to the files the form names by file name."""
    limit = services.settings.max_form_bytes * MAX_MEDIA_FILES
    form = await posted_form(request, user, limit=limit, max_files=MAX_MEDIA_FILES)
    try:
        saved = await _save_media(request, services, user, project_id, xml_form_id, form)
    finally:
        await form.close()
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.form(project_id, xml_form_id) + "#draft",
        notice=_("Uploaded: {names}.").format(names=", ".join(saved)),
    )


async def _save_media(
    request: Request,
    services: Services,
    user: ConsoleUser,
    project_id: int,
    xml_form_id: str,
    form: FormData,
) -> list[str]:
    """Store each posted file as the draft's media file of the same name."""
    limit = services.settings.max_form_bytes
    files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
    _ = templates_of(request).gettext(request)
    if not files:
        raise problems.missing_parameter(_("files"))
    view = await run_in_threadpool(
        forms.draft_view, services, user.actor, project_id=project_id, xml_form_id=xml_form_id
    )
    assert view.definition is not None and view.definition.id is not None
    listed = await run_in_threadpool(
        forms.attachments_with_blobs, services, form_def_id=view.definition.id
    )
    expected = [attachment.name for attachment, _blob in listed]
    saved: list[str] = []
    for upload in files:
        name = PurePath(upload.filename or "").name
        if name not in expected:
            raise problems.unexpected_value(
                _("file"),
                name,
                _("the form names no file called so. It names: {names}.").format(
                    names=", ".join(expected) or "-"
                ),
            )
        if upload.size is not None and upload.size > limit:
            raise problems.request_too_large(limit)
        await run_in_threadpool(
            forms.set_draft_attachment,
            services,
            user.actor,
            project_id=project_id,
            xml_form_id=xml_form_id,
            name=name,
            content=upload.file,
            content_type=upload.content_type,
        )
        saved.append(name)
    return saved


@router.post("/projects/{project_id}/forms/{xml_form_id}/draft/publish")
async def publish(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    form = await posted_form(request, user)
    version = field(form, "version") or None
    published = await run_in_threadpool(
        forms.publish_draft,
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        version=version,
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.form(project_id, published.xml_form_id),
        notice=_(
            "The form is published. Phones get it the next time they get blank forms"
            " (or at once, with automatic updates)."
        ),
    )


@router.post("/projects/{project_id}/forms/{xml_form_id}/draft/delete")
async def delete_draft(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    await posted_form(request, user)
    await run_in_threadpool(
        forms.delete_draft, services, user.actor, project_id=project_id, xml_form_id=xml_form_id
    )
    _ = templates_of(request).gettext(request)
    return redirect(urls.form(project_id, xml_form_id), notice=_("The draft was deleted."))


@router.post("/projects/{project_id}/forms/{xml_form_id}/state")
async def change_state(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    form = await posted_form(request, user)
    await run_in_threadpool(
        forms.set_state,
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        state=field(form, "state"),
    )
    _ = templates_of(request).gettext(request)
    return redirect(urls.form(project_id, xml_form_id), notice=_("The form's state was changed."))


@router.get("/projects/{project_id}/forms/{xml_form_id}/draft/qr.png")
def draft_qr(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    """The QR code that sets up ODK Collect to try the draft (a temporary test project)."""
    view = forms.draft_view(services, user.actor, project_id=project_id, xml_form_id=xml_form_id)
    assert view.definition is not None and view.form.draft_token is not None
    server_url = draft_test_server_url(
        phone_origin(request, services.settings).origin,
        view.form.draft_token,
        project_id,
        xml_form_id,
    )
    _ = templates_of(request).gettext(request)
    name = _("[Draft] {name}").format(name=view.definition.name or xml_form_id)
    return Response(
        png(collect_qr(server_url, name, icon="📝"), scale=5),
        media_type="image/png",
        headers={"Cache-Control": "no-store"},
    )


# Uploads ---------------------------------------------------------------------------------


class UploadTrouble:
    """An upload that could not become a form: the Problem, and the kept file when its
    only trouble is warnings (so that they can be accepted without choosing it again)."""

    def __init__(
        self, problem: problems.Problem, message: str, *, staged: str = "", token: str = ""
    ) -> None:
        self.problem = problem
        self.message = message
        self.staged = staged
        self.token = token
        details = problem.details or {}
        self.findings: list[dict[str, Any]] = list(details.get("findings") or [])
        if not self.findings and details.get("error"):
            self.findings = [{"message": details["error"]}]
        self.filename = ""


def _limit(services: Services) -> int:
    return services.settings.max_form_bytes


def _staging_token(user: ConsoleUser, sha256: str) -> str:
    return hmac.new(user.csrf.encode(), sha256.encode(), hashlib.sha256).hexdigest()


async def _compiled_upload(
    request: Request, services: Services, user: ConsoleUser, *, allow_empty: bool = False
) -> forms.Definition | UploadTrouble | None:
    """The posted spreadsheet or XForm, compiled and checked (ODK Validate included)."""
    limit = _limit(services)
    form = await posted_form(request, user, limit=limit + 100_000, max_files=1)
    _ = templates_of(request).gettext(request)
    try:
        body, filename = await _upload_body(services, user, form, limit)
        if body is None:
            if allow_empty:
                return None
            raise problems.missing_parameter(_("file"))
        content_type = CONTENT_TYPES.get(PurePath(filename).suffix.lower())
        if content_type is None:
            raise problems.unexpected_value(
                _("file"),
                filename,
                _("choose an XLSForm spreadsheet (.xlsx or .xls) or an XForm (.xml)."),
            )
        accept = field(form, "accept_warnings") == "yes"
        try:
            return await run_in_threadpool(
                forms.prepare_definition,
                body,
                content_type,
                form_id_fallback=PurePath(filename).stem,
                ignore_warnings=accept,
                validate=True,
            )
        except problems.Problem as problem:
            if problem.code != "400.16":
                raise
            sha = await run_in_threadpool(forms.stage_upload, services, body)
            trouble = UploadTrouble(
                problem, explain(problem, _), staged=sha, token=_staging_token(user, sha)
            )
            trouble.filename = filename
            return trouble
    except problems.Problem as problem:
        if problem.status == 401:
            raise
        return UploadTrouble(problem, explain(problem, _))
    finally:
        await form.close()


async def _upload_body(
    services: Services, user: ConsoleUser, form: FormData, limit: int
) -> tuple[bytes | None, str]:
    """The uploaded file's bytes and name: the chosen file, or the one kept earlier."""
    staged, token = field(form, "staged"), field(form, "staged_token")
    if staged and hmac.compare_digest(token, _staging_token(user, staged)):
        body = await run_in_threadpool(forms.staged_upload, services, staged)
        return body, field(form, "staged_name") or "form.xlsx"
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, ""
    body = await upload.read(limit + 1)
    if len(body) > limit:
        raise problems.request_too_large(limit)
    if not body:
        return None, ""
    return body, PurePath(upload.filename).name
