"""Encryption in the console: turning managed encryption on in a project's settings, and
an encrypted form's submissions with their status and a download that asks for the
passphrase.

The passphrase only ever travels in the body of a POST (with the page's CSRF token),
never in an address; the download streams the domain's decrypting CSV zip, so the
cleartext goes from memory to the browser and nowhere else.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from server import problems
from server.console import urls
from server.console.errors import ConsoleRoute
from server.console.rendering import redirect, templates_of
from server.console.session import ServicesDep, UserDep, field, posted_form
from server.domain import encryption, exports, forms, projects
from server.domain.access import PROJECT_UPDATE
from server.domain.browse import SubmissionQuery, browse, cursor_token, parse_cursor

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/projects/{project_id}/settings/encryption")
def encryption_page(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    return _settings_page(request, services, user, project_id)


def _settings_page(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    *,
    error: str | None = None,
    hint: str = "",
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    user.actor.require(PROJECT_UPDATE, project_id=project_id)
    key = encryption.project_key(services, user.actor, project_id=project_id)
    return templates_of(request).page(
        request,
        "project_encryption.html",
        {
            "project": project,
            "key": key,
            "error": error,
            "hint": hint,
            "min_length": encryption.MIN_PASSPHRASE,
            "tab": "settings",
        },
        status=400 if error else 200,
    )


@router.post("/projects/{project_id}/settings/encryption")
async def enable_encryption(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    form = await posted_form(request, user)
    _ = templates_of(request).gettext(request)
    passphrase, again, hint = field(form, "passphrase"), field(form, "again"), field(form, "hint")
    error = None
    if passphrase != again:
        error = _("The two passphrases are not the same. Type the same passphrase twice.")
    elif field(form, "understood") != "yes":
        error = _("Tick the box to confirm that a lost passphrase cannot be recovered.")
    if error is not None:
        return await run_in_threadpool(
            _settings_page, request, services, user, project_id, error=error, hint=hint
        )
    try:
        await run_in_threadpool(
            encryption.enable_managed_encryption,
            services,
            user.actor,
            project_id=project_id,
            passphrase=passphrase,
            hint=hint or None,
        )
    except problems.Problem as problem:
        if problem.code not in ("400.2", "400.21", "400.8"):
            raise
        message = _(
            "The passphrase must have at least %(count)s characters (and at most 1000)."
        ) % {"count": encryption.MIN_PASSPHRASE}
        return await run_in_threadpool(
            _settings_page, request, services, user, project_id, error=message, hint=hint
        )
    return redirect(
        urls.project_encryption(project_id),
        notice=_("Encryption is on. Ask every phone to update its forms before interviewing."),
    )


@router.get("/projects/{project_id}/forms/{xml_form_id}/encrypted")
def encrypted_submissions(
    request: Request,
    services: ServicesDep,
    user: UserDep,
    project_id: int,
    xml_form_id: str,
    after: str | None = None,
) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    view = forms.get_form(services, user.actor, project_id=project_id, xml_form_id=xml_form_id)
    page = browse(
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        query=SubmissionQuery(),
        after=parse_cursor(after),
        limit=PAGE_SIZE,
    )
    keys = encryption.submission_keys(
        services, user.actor, project_id=project_id, xml_form_id=xml_form_id
    )
    definition = view.definition
    return templates_of(request).page(
        request,
        "form_encrypted.html",
        {
            "project": project,
            "form": view.form,
            "title": (definition.name if definition else None) or view.form.xml_form_id,
            "encrypted": definition is not None and definition.key_id is not None,
            "page": page,
            "older": cursor_token(page.older),
            "managed": [k for k in keys if k.managed],
            "unmanaged": [k for k in keys if not k.managed],
            "tab": "encrypted",
        },
    )


@router.post("/projects/{project_id}/forms/{xml_form_id}/encrypted/download")
async def decrypted_download(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, xml_form_id: str
) -> Response:
    form = await posted_form(request, user)
    passphrase = field(form, "passphrase")
    keys = await run_in_threadpool(
        encryption.submission_keys,
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
    )
    options = exports.CsvOptions(
        attachments=field(form, "attachments") != "no",
        passphrases={key.id: passphrase for key in keys if key.managed and key.id is not None},
    )
    export = await run_in_threadpool(
        exports.csv_zip,
        services,
        user.actor,
        project_id=project_id,
        xml_form_id=xml_form_id,
        options=options,
    )
    name = export.filename or "submissions.zip"
    return StreamingResponse(
        export.body,
        media_type=export.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
            "Cache-Control": "no-store",
        },
    )
