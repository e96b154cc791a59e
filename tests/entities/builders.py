"""XForms that declare entities (as pyxform 4.5 writes them) and their submissions."""

from __future__ import annotations

import uuid as uuid_module

import httpx

NAMESPACES = (
    'xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"'
    ' xmlns:jr="http://openrosa.org/javarosa" xmlns:odk="http://www.opendatakit.org/xforms"'
    ' xmlns:entities="http://www.opendatakit.org/xforms/entities"'
)


def create_form(
    form_id: str = "tree_registration",
    *,
    dataset: str = "trees",
    version: str = "1",
    entities_version: str = "2024.1.0",
    properties: tuple[str, ...] = ("species", "height"),
    saveto: dict[str, str] | None = None,
) -> bytes:
    """A form creating an entity of ``dataset``, its label the species."""
    saveto = saveto or {p: p for p in properties}
    fields = "".join(f"<{p}/>" for p in properties)
    binds = "".join(
        f'<bind nodeset="/data/{p}" type="string" entities:saveto="{saveto[p]}"/>'
        for p in properties
    )
    inputs = "".join(f'<input ref="/data/{p}"><label>{p}</label></input>' for p in properties)
    return f"""<?xml version="1.0"?>
<h:html {NAMESPACES}><h:head><h:title>{form_id}</h:title>
<model odk:xforms-version="1.0.0" entities:entities-version="{entities_version}">
<instance><data id="{form_id}" version="{version}">{fields}
<meta><instanceID/><entity dataset="{dataset}" id="" create="1"><label/></entity></meta>
</data></instance>
{binds}
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
<bind nodeset="/data/meta/entity/@id" type="string" readonly="true()"/>
<setvalue ref="/data/meta/entity/@id" event="odk-instance-first-load" value="uuid()"/>
<bind nodeset="/data/meta/entity/label" calculate="/data/{properties[0]}" type="string"
 readonly="true()"/>
</model></h:head><h:body>{inputs}</h:body></h:html>""".encode()


def update_form(
    form_id: str = "tree_update",
    *,
    dataset: str = "trees",
    version: str = "1",
    entities_version: str = "2024.1.0",
    properties: tuple[str, ...] = ("height",),
) -> bytes:
    """A form updating an entity of ``dataset`` picked from ``{dataset}.csv``."""
    fields = "".join(f"<{p}/>" for p in properties)
    binds = "".join(
        f'<bind nodeset="/data/{p}" type="string" entities:saveto="{p}"/>' for p in properties
    )
    return f"""<?xml version="1.0"?>
<h:html {NAMESPACES}><h:head><h:title>{form_id}</h:title>
<model odk:xforms-version="1.0.0" entities:entities-version="{entities_version}">
<instance><data id="{form_id}" version="{version}"><tree/>{fields}
<meta><instanceID/><entity dataset="{dataset}" id="" update="1" baseVersion=""
 trunkVersion="" branchId=""/></meta>
</data></instance>
<instance id="{dataset}" src="jr://file-csv/{dataset}.csv"/>
<bind nodeset="/data/tree" type="string"/>
{binds}
<bind nodeset="/data/meta/instanceID" type="string" readonly="true()" jr:preload="uid"/>
<bind nodeset="/data/meta/entity/@id" type="string" calculate=" /data/tree " readonly="true()"/>
<bind nodeset="/data/meta/entity/@baseVersion" type="string" readonly="true()"
 calculate="instance('{dataset}')/root/item[name= /data/tree ]/__version"/>
</model></h:head><h:body>
<select1 ref="/data/tree"><label>Tree</label>
<itemset nodeset="instance('{dataset}')/root/item"><value ref="name"/><label ref="label"/></itemset>
</select1></h:body></h:html>""".encode()


def create_submission(
    form_id: str = "tree_registration",
    *,
    dataset: str = "trees",
    version: str = "1",
    entity_id: str | None = None,
    label: str | None = "Oak",
    values: dict[str, str] | None = None,
    instance_id: str | None = None,
) -> tuple[bytes, str]:
    """A submission creating one entity; returns it and the entity's uuid."""
    entity_id = entity_id or str(uuid_module.uuid4())
    instance_id = instance_id or f"uuid:{uuid_module.uuid4()}"
    values = {"species": "Oak", "height": "10"} if values is None else values
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in values.items())
    label_xml = f"<label>{label}</label>" if label is not None else ""
    xml = (
        f'<data id="{form_id}" version="{version}">{fields}<meta>'
        f"<instanceID>{instance_id}</instanceID>"
        f'<entity dataset="{dataset}" id="{entity_id}" create="1">{label_xml}</entity>'
        "</meta></data>"
    )
    return xml.encode(), entity_id


def update_submission(
    entity_id: str,
    *,
    base_version: str,
    form_id: str = "tree_update",
    dataset: str = "trees",
    version: str = "1",
    values: dict[str, str] | None = None,
    trunk_version: str = "",
    branch_id: str = "",
    label: str | None = None,
    instance_id: str | None = None,
) -> bytes:
    instance_id = instance_id or f"uuid:{uuid_module.uuid4()}"
    values = {"height": "20"} if values is None else values
    fields = "".join(f"<{k}>{v}</{k}>" for k, v in values.items())
    label_xml = f"<label>{label}</label>" if label is not None else ""
    return (
        f'<data id="{form_id}" version="{version}"><tree>{entity_id}</tree>{fields}<meta>'
        f"<instanceID>{instance_id}</instanceID>"
        f'<entity dataset="{dataset}" id="{entity_id}" update="1" baseVersion="{base_version}"'
        f' trunkVersion="{trunk_version}" branchId="{branch_id}">{label_xml}</entity>'
        "</meta></data>"
    ).encode()


def upload(
    client: httpx.Client,
    headers: dict[str, str],
    project_id: int,
    body: bytes,
    *,
    publish: bool = True,
    **params: str,
) -> httpx.Response:
    return client.post(
        f"/v1/projects/{project_id}/forms",
        params={"publish": "true" if publish else "false", **params},
        content=body,
        headers={**headers, "Content-Type": "application/xml"},
    )


def submit(
    client: httpx.Client, headers: dict[str, str], project_id: int, xml: bytes
) -> httpx.Response:
    """An OpenRosa POST, as ODK Collect sends it."""
    return client.post(
        f"/v1/projects/{project_id}/submission",
        files={"xml_submission_file": ("submission.xml", xml, "text/xml")},
        headers={**headers, "X-OpenRosa-Version": "1.0", "User-Agent": "Collect/2024.3"},
    )
