"""Builders for test data: XForms, submissions, and the HTTP steps most tests need."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

ADMIN_EMAIL = "koordinator@example.org"
ADMIN_PASSWORD = "kata-sandi-rahasia"
OPENROSA = {"X-OpenRosa-Version": "1.0"}
"""What ODK Collect sends with every OpenRosa request (form list, manifest, submission)."""


def xform(
    form_id: str = "profil",
    version: str = "1",
    *,
    title: str = "Profil inisiatif",
    media: tuple[str, ...] = (),
) -> bytes:
    """A small XForm with a group, a repeat, a select_multiple, a geopoint and a photo."""
    instances = "".join(
        f'<instance id="{name.split(".")[0]}" src="jr://file-csv/{name}"/>' for name in media
    )
    return f"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms"
 xmlns:odk="http://www.opendatakit.org/xforms">
<h:head><h:title>{title}</h:title><model odk:xforms-version="1.0.0">
<instance><data id="{form_id}" version="{version}">
<name/><group><members/><values/></group><location/><photo/>
<activity jr:template=""><kind/><income/></activity>
<meta><instanceID/><instanceName/></meta></data></instance>{instances}
<bind nodeset="/data/name" type="string"/>
<bind nodeset="/data/group/members" type="int"/>
<bind nodeset="/data/group/values" type="string"/>
<bind nodeset="/data/location" type="geopoint"/>
<bind nodeset="/data/photo" type="binary"/>
<bind nodeset="/data/activity/kind" type="string"/>
<bind nodeset="/data/activity/income" type="decimal"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head>
<h:body>
<input ref="/data/name"><label>Nama</label></input>
<group ref="/data/group"><input ref="/data/group/members"><label>Anggota</label></input>
<select ref="/data/group/values"><label>Nilai</label>
<item><label>A</label><value>a</value></item><item><label>B</label><value>b</value></item>
</select></group>
<input ref="/data/location"><label>Lokasi</label></input>
<upload ref="/data/photo" mediatype="image/*"><label>Foto</label></upload>
<group ref="/data/activity"><repeat nodeset="/data/activity">
<input ref="/data/activity/kind"><label>Jenis</label></input>
<input ref="/data/activity/income"><label>Pendapatan</label></input>
</repeat></group>
</h:body></h:html>""".encode()


def submission(
    form_id: str = "profil",
    version: str = "1",
    *,
    instance_id: str | None = None,
    name: str = "Koperasi Wanita Sejahtera",
    photo: str = "",
    deprecated_id: str | None = None,
    activities: tuple[tuple[str, str], ...] = (("tenun", "1500000"), ("kopi", "250000")),
) -> bytes:
    instance_id = instance_id or f"uuid:{uuid.uuid4()}"
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    repeats = "".join(
        f"<activity><kind>{kind}</kind><income>{income}</income></activity>"
        for kind, income in activities
    )
    return (
        f'<data xmlns:jr="http://openrosa.org/javarosa" id="{form_id}" version="{version}">'
        f"<name>{name}</name><group><members>23</members><values>a b</values></group>"
        f"<location>-5.1477 119.4327 12.0 4.5</location><photo>{photo}</photo>{repeats}"
        f"<meta><instanceID>{instance_id}</instanceID><instanceName>{name}</instanceName>"
        f"{deprecated}</meta></data>"
    ).encode()


def publish_xform(
    client: httpx.Client,
    headers: dict[str, str],
    project_id: int,
    body: bytes,
    **params: Any,
) -> httpx.Response:
    response = client.post(
        f"/v1/projects/{project_id}/forms",
        params={"publish": "true", **params},
        content=body,
        headers={**headers, "Content-Type": "application/xml"},
    )
    return response


def create_app_user(
    client: httpx.Client,
    headers: dict[str, str],
    project_id: int,
    *,
    forms: tuple[str, ...],
    name: str = "Enumerator",
) -> dict[str, Any]:
    """An app user of the project with the given forms; returns Central's JSON for it."""
    response = client.post(
        f"/v1/projects/{project_id}/app-users", json={"displayName": name}, headers=headers
    )
    assert response.status_code == 200, response.text
    app_user: dict[str, Any] = response.json()
    for form_id in forms:
        assigned = client.post(
            f"/v1/projects/{project_id}/forms/{form_id}/assignments/app-user/{app_user['id']}",
            headers=headers,
        )
        assert assigned.status_code == 200, assigned.text
    return app_user


def collect_url(base_url: str, token: str, project_id: int) -> str:
    return f"{base_url}/v1/key/{token}/projects/{project_id}"


def xlsform(
    survey: list[list[Any]],
    *,
    choices: list[list[Any]] | None = None,
    settings: list[list[Any]] | None = None,
) -> bytes:
    """An XLSForm workbook from its sheets' rows (each list starts with its header row)."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    for row in survey:
        sheet.append(row)
    for name, rows in (("choices", choices), ("settings", settings)):
        if rows:
            extra = book.create_sheet(name)
            for row in rows:
                extra.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
