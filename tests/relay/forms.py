"""The XForm and submissions the relay tests send: three photos, so that a submission
can be larger than the central server accepts in one POST, and a CSV media file."""

from __future__ import annotations

from typing import Any

import httpx

MEDIA_NAME = "wilayah.csv"
MEDIA = b"kode,nama\n73,Sulawesi Selatan\n11,Aceh\n53,Nusa Tenggara Timur\n"


def relay_xform(form_id: str = "laporan", version: str = "1", *, media: bool = True) -> bytes:
    secondary = f'<instance id="wilayah" src="jr://file-csv/{MEDIA_NAME}"/>' if media else ""
    return f"""<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa" xmlns:orx="http://openrosa.org/xforms">
<h:head><h:title>Laporan {form_id} v{version}</h:title><model>
<instance><data id="{form_id}" version="{version}">
<name/><photo1/><photo2/><photo3/><meta><instanceID/></meta></data></instance>{secondary}
<bind nodeset="/data/name" type="string"/>
<bind nodeset="/data/photo1" type="binary"/>
<bind nodeset="/data/photo2" type="binary"/>
<bind nodeset="/data/photo3" type="binary"/>
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
</model></h:head>
<h:body>
<input ref="/data/name"><label>Nama</label></input>
<upload ref="/data/photo1" mediatype="image/*"><label>Foto 1</label></upload>
<upload ref="/data/photo2" mediatype="image/*"><label>Foto 2</label></upload>
<upload ref="/data/photo3" mediatype="image/*"><label>Foto 3</label></upload>
</h:body></h:html>""".encode()


def relay_submission(
    instance_id: str,
    *,
    name: str,
    photos: list[str],
    deprecated_id: str | None = None,
    form_id: str = "laporan",
    version: str = "1",
) -> bytes:
    cells = "".join(
        f"<photo{i}>{photos[i - 1] if i <= len(photos) else ''}</photo{i}>" for i in (1, 2, 3)
    )
    deprecated = f"<deprecatedID>{deprecated_id}</deprecatedID>" if deprecated_id else ""
    return (
        f'<?xml version="1.0"?>\n<data id="{form_id}" version="{version}"><name>{name}</name>'
        f"{cells}<meta><instanceID>{instance_id}</instanceID>{deprecated}</meta></data>"
    ).encode()


def publish_with_media(
    admin: httpx.Client, project_id: int, xml: bytes, *, media: bool = True
) -> None:
    """Upload a form as a draft, give it its CSV, publish it."""
    created = admin.post(
        f"/v1/projects/{project_id}/forms",
        content=xml,
        headers={"Content-Type": "application/xml"},
    )
    assert created.status_code == 200, created.text
    form_id = created.json()["xmlFormId"]
    if media:
        uploaded = admin.post(
            f"/v1/projects/{project_id}/forms/{form_id}/draft/attachments/{MEDIA_NAME}",
            content=MEDIA,
            headers={"Content-Type": "text/csv"},
        )
        assert uploaded.status_code == 200, uploaded.text
    published = admin.post(f"/v1/projects/{project_id}/forms/{form_id}/draft/publish")
    assert published.status_code == 200, published.text


def app_user(admin: httpx.Client, project_id: int, forms: list[str]) -> dict[str, Any]:
    created = admin.post(f"/v1/projects/{project_id}/app-users", json={"displayName": "Relay"})
    assert created.status_code == 200, created.text
    user: dict[str, Any] = created.json()
    for form_id in forms:
        assigned = admin.post(
            f"/v1/projects/{project_id}/forms/{form_id}/assignments/app-user/{user['id']}"
        )
        assert assigned.status_code == 200, assigned.text
    return user
