"""Every address the console links to, built in one place (its pages and the REST API's
downloads and files it points at). Paths only: the browser resolves them against the page.

Console pages follow the objects they show, as the REST API does (``/projects/3/forms/x``
beside ``/v1/projects/3/forms/x``); actions are POSTs under the object they act on.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode


def _q(value: str) -> str:
    return quote(value, safe="")


def with_query(path: str, **params: str | int | None) -> str:
    kept = {k: str(v) for k, v in params.items() if v is not None and v != ""}
    return f"{path}?{urlencode(kept)}" if kept else path


def home() -> str:
    return "/"


def login(next_path: str | None = None) -> str:
    return with_query("/login", next=next_path)


def logout() -> str:
    return "/logout"


def language() -> str:
    return "/language"


def account() -> str:
    return "/account"


def projects() -> str:
    return "/projects"


def project(project_id: int) -> str:
    return f"/projects/{project_id}"


def project_settings(project_id: int) -> str:
    return f"/projects/{project_id}/settings"


def project_encryption(project_id: int) -> str:
    return f"/projects/{project_id}/settings/encryption"


def encrypted_submissions(project_id: int, xml_form_id: str) -> str:
    return f"{form(project_id, xml_form_id)}/encrypted"


def decrypted_download(project_id: int, xml_form_id: str) -> str:
    return f"{form(project_id, xml_form_id)}/encrypted/download"


def project_members(project_id: int) -> str:
    return f"/projects/{project_id}/members"


def app_users(project_id: int) -> str:
    return f"/projects/{project_id}/app-users"


def app_user(project_id: int, actor_id: int) -> str:
    return f"/projects/{project_id}/app-users/{actor_id}"


def app_user_qr(project_id: int, actor_id: int, fmt: str = "png") -> str:
    return f"/projects/{project_id}/app-users/{actor_id}/qr.{fmt}"


def app_users_sheet(project_id: int) -> str:
    return f"/projects/{project_id}/app-users/sheet"


def new_form(project_id: int) -> str:
    return f"/projects/{project_id}/forms/new"


def form(project_id: int, xml_form_id: str) -> str:
    return f"/projects/{project_id}/forms/{_q(xml_form_id)}"


def form_action(project_id: int, xml_form_id: str, action: str) -> str:
    return f"{form(project_id, xml_form_id)}/{action}"


def draft(project_id: int, xml_form_id: str) -> str:
    return f"{form(project_id, xml_form_id)}/draft"


def public_form(token: str) -> str:
    """A form opened through a public link."""
    return f"/f/{_q(token)}"


def draft_test_page(token: str, project_id: int, xml_form_id: str) -> str:
    """The page that fills a draft in the browser through its test link (no sign-in)."""
    return f"/test/{_q(token)}/projects/{project_id}/forms/{_q(xml_form_id)}/draft"


def draft_qr(project_id: int, xml_form_id: str) -> str:
    return f"{form(project_id, xml_form_id)}/draft/qr.png"


def submissions(project_id: int, xml_form_id: str) -> str:
    return f"{form(project_id, xml_form_id)}/submissions"


def submission(project_id: int, xml_form_id: str, instance_id: str) -> str:
    return f"{submissions(project_id, xml_form_id)}/{_q(instance_id)}"


def form_map(project_id: int, xml_form_id: str) -> str:
    return f"{form(project_id, xml_form_id)}/map"


def form_map_geojson(project_id: int, xml_form_id: str) -> str:
    return f"{form(project_id, xml_form_id)}/map.geojson"


def summary(project_id: int, xml_form_id: str) -> str:
    return f"{form(project_id, xml_form_id)}/summary"


def downloads(project_id: int, xml_form_id: str) -> str:
    return f"{form(project_id, xml_form_id)}/downloads"


def thumbnail(project_id: int, xml_form_id: str, instance_id: str, name: str) -> str:
    return f"{submission(project_id, xml_form_id, instance_id)}/thumbnails/{_q(name)}"


def submission_review(project_id: int, xml_form_id: str, instance_id: str) -> str:
    return f"{submission(project_id, xml_form_id, instance_id)}/review"


def dataset(project_id: int, name: str) -> str:
    return f"/projects/{project_id}/datasets/{_q(name)}"


def dataset_map(project_id: int, name: str) -> str:
    return f"{dataset(project_id, name)}/map"


def dataset_map_geojson(project_id: int, name: str, prop: str) -> str:
    return with_query(f"{dataset(project_id, name)}/map.geojson", property=prop)


def entity(project_id: int, name: str, uuid: str) -> str:
    return f"{dataset(project_id, name)}/entities/{_q(uuid)}"


def entity_resolve(project_id: int, name: str, uuid: str) -> str:
    return f"{entity(project_id, name, uuid)}/resolve"


def with_pairs(path: str, pairs: list[tuple[str, str]]) -> str:
    """``path`` with a query of repeated names (``?state=a&state=b``), empty values left out."""
    kept = [(name, value) for name, value in pairs if value]
    return f"{path}?{urlencode(kept)}" if kept else path


def admin_users() -> str:
    return "/admin/users"


def admin_user(actor_id: int) -> str:
    return f"/admin/users/{actor_id}"


def admin_user_password(actor_id: int) -> str:
    return f"/admin/users/{actor_id}/password"


def admin_user_administrator(actor_id: int) -> str:
    return f"/admin/users/{actor_id}/administrator"


def admin_audits() -> str:
    return "/admin/audits"


def admin_health() -> str:
    return "/admin/health"


# The REST API's own addresses, which the console links to for files and downloads (a
# GET with the console's cookie is authenticated there, as in ODK Central).


def api_form(project_id: int, xml_form_id: str) -> str:
    return f"/v1/projects/{project_id}/forms/{_q(xml_form_id)}"


def api_form_xml(project_id: int, xml_form_id: str) -> str:
    return f"{api_form(project_id, xml_form_id)}.xml"


def api_form_xlsx(project_id: int, xml_form_id: str) -> str:
    return f"{api_form(project_id, xml_form_id)}.xlsx"


def api_draft_xml(project_id: int, xml_form_id: str) -> str:
    return f"{api_form(project_id, xml_form_id)}/draft.xml"


def api_version_xml(project_id: int, xml_form_id: str, version: str) -> str:
    return f"{api_form(project_id, xml_form_id)}/versions/{_q(version)}.xml"


def api_version_xlsx(project_id: int, xml_form_id: str, version: str) -> str:
    return f"{api_form(project_id, xml_form_id)}/versions/{_q(version)}.xlsx"


def api_draft_xlsx(project_id: int, xml_form_id: str) -> str:
    return f"{api_form(project_id, xml_form_id)}/draft.xlsx"


def api_form_attachment(project_id: int, xml_form_id: str, name: str, *, draft: bool) -> str:
    middle = "/draft" if draft else ""
    return f"{api_form(project_id, xml_form_id)}{middle}/attachments/{_q(name)}"


def api_submission_xml(project_id: int, xml_form_id: str, instance_id: str) -> str:
    return f"{api_form(project_id, xml_form_id)}/submissions/{_q(instance_id)}.xml"


def api_attachment(project_id: int, xml_form_id: str, instance_id: str, name: str) -> str:
    return (
        f"{api_form(project_id, xml_form_id)}/submissions/{_q(instance_id)}/attachments/{_q(name)}"
    )


def api_csv_zip(project_id: int, xml_form_id: str, *, attachments: bool) -> str:
    path = f"{api_form(project_id, xml_form_id)}/submissions.csv.zip"
    return path if attachments else with_query(path, attachments="false")


def api_xlsx(project_id: int, xml_form_id: str, language: str | None) -> str:
    path = f"{api_form(project_id, xml_form_id)}/submissions.xlsx"
    return with_query(path, labels="true", language=language)


def api_geojson(project_id: int, xml_form_id: str) -> str:
    return f"{api_form(project_id, xml_form_id)}/submissions.geojson"


def api_entities_csv(project_id: int, name: str) -> str:
    return f"/v1/projects/{project_id}/datasets/{_q(name)}/entities.csv"


def api_odata(project_id: int, xml_form_id: str) -> str:
    return f"{api_form(project_id, xml_form_id)}.svc"


def docs() -> str:
    return "/docs"


def atlases(project_id: int) -> str:
    return f"/projects/{project_id}/atlases"


def atlas_settings(project_id: int, slug: str) -> str:
    return f"/projects/{project_id}/atlases/{_q(slug)}"


def atlas_withdraw(project_id: int, slug: str) -> str:
    return f"/projects/{project_id}/atlases/{_q(slug)}/withdraw"


def atlas_restore(project_id: int, slug: str) -> str:
    return f"/projects/{project_id}/atlases/{_q(slug)}/restore"


def public_atlas(slug: str) -> str:
    return f"/atlas/{_q(slug)}"
