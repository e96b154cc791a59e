"""A project's public atlases, as a manager publishes them: the list, a new atlas, its
settings (form, public fields, photos, consent question, texts, licence, precision),
and its approved submissions with a button to withdraw each one (or restore it).

Every rule is the domain's (`server.domain.atlas`); these routes read forms and call it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from server import problems
from server.console import urls
from server.console.errors import ConsoleRoute
from server.console.rendering import redirect, templates_of
from server.console.session import ServicesDep, UserDep, field, form_values, posted_form
from server.domain import atlas, forms, projects
from server.domain.access import PROJECT_UPDATE

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


@router.get("/projects/{project_id}/atlases")
def atlas_list(request: Request, services: ServicesDep, user: UserDep, project_id: int) -> Response:
    project = projects.get_project(services, user.actor, project_id)
    found = atlas.list_atlases(services, user.actor, project_id=project_id)
    published = [
        view.form
        for view in forms.list_forms(services, user.actor, project_id=project_id)
        if view.form.current_def_id is not None
    ]
    return templates_of(request).page(
        request,
        "atlas/manage_list.html",
        {
            "project": project,
            "atlases": found,
            "forms": published,
            "may_update": user.actor.can(PROJECT_UPDATE, project_id=project_id),
            "tab": "settings",
        },
    )


@router.post("/projects/{project_id}/atlases")
async def atlas_create(
    request: Request, services: ServicesDep, user: UserDep, project_id: int
) -> Response:
    form = await posted_form(request, user)
    slug = field(form, "slug").lower()
    title = field(form, "title") or slug
    settings = atlas.AtlasSettings(
        slug=slug, xml_form_id=field(form, "form"), title_id=title, title_en=title
    )
    await run_in_threadpool(
        atlas.create_atlas, services, user.actor, project_id=project_id, settings=settings
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.atlas_settings(project_id, slug),
        notice=_("The atlas was made. Choose what it publishes, then publish it."),
    )


@router.get("/projects/{project_id}/atlases/{slug}")
def atlas_page(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, slug: str
) -> Response:
    templates = templates_of(request)
    project = projects.get_project(services, user.actor, project_id)
    row = atlas.get_atlas(services, user.actor, project_id=project_id, slug=slug)
    language = templates.language_of(request, user)
    may_update = user.actor.can(PROJECT_UPDATE, project_id=project_id)
    choices = (
        atlas.choices_for(
            services,
            user.actor,
            project_id=project_id,
            xml_form_id=row.xml_form_id,
            language=language,
        )
        if may_update
        else None
    )
    candidates = atlas.candidates(services, user.actor, project_id=project_id, slug=slug)
    return templates.page(
        request,
        "atlas/manage.html",
        {
            "project": project,
            "atlas": row,
            "choices": choices,
            "candidates": candidates,
            "may_update": may_update,
            "tab": "settings",
        },
    )


def _settings(row_slug: str, xml_form_id: str, form: FormData) -> atlas.AtlasSettings:
    return atlas.AtlasSettings(
        slug=row_slug,
        xml_form_id=xml_form_id,
        title_id=field(form, "title_id"),
        title_en=field(form, "title_en"),
        intro_id=field(form, "intro_id"),
        intro_en=field(form, "intro_en"),
        licence=field(form, "licence"),
        precision=field(form, "precision"),
        fields=tuple(form_values(form, "fields")),
        photos=tuple(form_values(form, "photos")),
        consent_field=field(form, "consent_field") or None,
        photo_consent_field=field(form, "photo_consent_field") or None,
        noindex=field(form, "noindex") == "yes",
        published=field(form, "published") == "yes",
    )


@router.post("/projects/{project_id}/atlases/{slug}")
async def atlas_save(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, slug: str
) -> Response:
    form = await posted_form(request, user)
    row = await run_in_threadpool(
        atlas.get_atlas, services, user.actor, project_id=project_id, slug=slug
    )
    _ = templates_of(request).gettext(request)
    if field(form, "action") == "delete":
        await run_in_threadpool(
            atlas.delete_atlas, services, user.actor, project_id=project_id, slug=slug
        )
        return redirect(urls.atlases(project_id), notice=_("The atlas was deleted."))
    await run_in_threadpool(
        atlas.update_atlas,
        services,
        user.actor,
        project_id=project_id,
        slug=slug,
        settings=_settings(slug, row.xml_form_id, form),
    )
    return redirect(urls.atlas_settings(project_id, slug), notice=_("The atlas was saved."))


@router.post("/projects/{project_id}/atlases/{slug}/withdraw")
async def atlas_withdraw(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, slug: str
) -> Response:
    form = await posted_form(request, user)
    instance_id = field(form, "instance_id")
    if not instance_id:
        raise problems.missing_parameter("instance_id")
    await run_in_threadpool(
        atlas.withdraw,
        services,
        user.actor,
        project_id=project_id,
        slug=slug,
        instance_id=instance_id,
        reason=field(form, "reason") or "consent",
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.atlas_settings(project_id, slug) + "#initiatives",
        notice=_("The initiative was withdrawn from the atlas."),
    )


@router.post("/projects/{project_id}/atlases/{slug}/restore")
async def atlas_restore(
    request: Request, services: ServicesDep, user: UserDep, project_id: int, slug: str
) -> Response:
    form = await posted_form(request, user)
    await run_in_threadpool(
        atlas.restore,
        services,
        user.actor,
        project_id=project_id,
        slug=slug,
        instance_id=field(form, "instance_id"),
    )
    _ = templates_of(request).gettext(request)
    return redirect(
        urls.atlas_settings(project_id, slug) + "#initiatives",
        notice=_("The initiative is in the atlas again."),
    )
