"""The registry of initiatives end to end over HTTP: the instruments published as the first
run and `jaring forms push` publish them (the profile first), a profile filled by JavaRosa
registers an initiative that the server lists in ``inisiatif.csv`` for the visit log, and a
visit picked from that list updates its status and last visit, also when the visit was made
offline on the same phone and reaches the server before the registration."""

from __future__ import annotations

import csv
import io
import shutil
import uuid as uuid_module
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import etree
from typer.testing import CliRunner

from server.cli import app
from server.data.entities import read_entity_spec
from server.domain import Services
from server.tasks.instrument_publishing import publish_instruments
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.entities.builders import submit
from tests.instruments.conftest import INSTRUMENTS, FillPaths
from tests.instruments.javarosa import Fill
from tests.instruments.test_registry import REGISTERED, VISIT, entity

PROFILE = "ess_profil_inisiatif"
VISITS = "ess_catatan_kunjungan"
PROPERTIES = {
    "nama",
    "kode",
    "provinsi",
    "kab_kota",
    "kecamatan",
    "desa",
    "desa_nama",
    "sektor",
    "status",
    "lokasi",
    "kunjungan_terakhir",
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The profile and the visit log with their media, as in ``instruments/``."""
    out = tmp_path / "instruments"
    out.mkdir()
    for stem in ("field_visit_log", "initiative_profile"):
        shutil.copyfile(INSTRUMENTS / f"{stem}.xlsx", out / f"{stem}.xlsx")
    (out / "media").symlink_to(INSTRUMENTS / "media")
    return out


@pytest.fixture
def published(services: Services, project_id: int, folder: Path) -> list[str]:
    """The two instruments published as `jaring setup` publishes them; their form ids in
    the order they went out."""
    outcomes = publish_instruments(services, project_id=project_id, instruments_dir=folder)
    assert [o.action for o in outcomes] == ["created", "created"]
    return [o.form_id for o in outcomes]


def _linked_list(client: httpx.Client, headers: dict[str, str], project_id: int) -> None:
    forms = f"/v1/projects/{project_id}/forms"
    attachments = client.get(f"{forms}/{VISITS}/attachments", headers=headers).json()
    [listed] = [a for a in attachments if a["name"] == "inisiatif.csv"]
    assert listed["datasetExists"] is True and listed["exists"] is True
    dataset = client.get(f"/v1/projects/{project_id}/datasets/inisiatif", headers=headers)
    assert dataset.status_code == 200, dataset.text
    assert {p["name"] for p in dataset.json()["properties"]} == PROPERTIES


def test_the_first_run_publishes_the_profile_before_the_visit_log(
    published: list[str], client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    assert published == [PROFILE, VISITS]
    _linked_list(client, admin_headers, project_id)


def test_forms_push_publishes_the_profile_before_the_visit_log(
    base_url: str,
    folder: Path,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYODK_CONFIG_FILE", str(tmp_path / "none.toml"))
    monkeypatch.delenv("JARING_PASSWORD", raising=False)
    args = ["forms", "push", "--server", base_url, "--project", str(project_id)]
    args += ["--email", ADMIN_EMAIL, str(folder)]
    result = CliRunner().invoke(app, args, input=f"{ADMIN_PASSWORD}\n", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if ": created" in line]
    assert [line.split()[0] for line in lines] == [PROFILE, VISITS]
    assert "inisiatif.csv" not in result.output, "an entity list is linked, never uploaded"
    _linked_list(client, admin_headers, project_id)


def _form_xml(client: httpx.Client, headers: dict[str, str], project_id: int, form: str) -> bytes:
    response = client.get(f"/v1/projects/{project_id}/forms/{form}.xml", headers=headers)
    assert response.status_code == 200, response.text
    return response.content


def _server_list(
    client: httpx.Client, headers: dict[str, str], project_id: int
) -> tuple[list[str], list[dict[str, str]]]:
    """``inisiatif.csv`` as the server sends it to the visit log: columns and rows."""
    response = client.get(
        f"/v1/projects/{project_id}/forms/{VISITS}/attachments/inisiatif.csv", headers=headers
    )
    assert response.status_code == 200, response.text
    reader = csv.DictReader(io.StringIO(response.text))
    rows = list(reader)
    return list(reader.fieldnames or []), rows


def _as_collect_keeps(
    columns: list[str],
    server_rows: list[dict[str, str]],
    local: Sequence[Mapping[str, str]] = (),
) -> bytes:
    """The list as Collect offers it to a form: each server row with its version as trunk
    and a branch of this download; entities made offline on the phone with version 1, no
    trunk and a branch of their own (Collect's ``LocalEntityUseCases``)."""
    rows = [
        {**row, "__trunkVersion": row["__version"], "__branchId": str(uuid_module.uuid4())}
        for row in server_rows
    ]
    rows += local
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=[*columns, "__trunkVersion", "__branchId"], lineterminator="\r\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _audits(client: httpx.Client, headers: dict[str, str], action: str) -> list[dict[str, Any]]:
    response = client.get("/v1/audits", params={"action": action}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json())


def _entity(
    client: httpx.Client, headers: dict[str, str], project_id: int, uuid: str
) -> dict[str, Any]:
    response = client.get(
        f"/v1/projects/{project_id}/datasets/inisiatif/entities/{uuid}", headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _register(
    fill: FillPaths, client: httpx.Client, headers: dict[str, str], project_id: int
) -> Fill:
    (registration,) = fill(
        "initiative_profile", [REGISTERED], xform=_form_xml(client, headers, project_id, PROFILE)
    )
    assert registration.error is None and registration.finished, registration.error
    return registration


def test_a_registered_initiative_is_listed_for_visits_and_a_visit_updates_it(
    published: list[str],
    fill: FillPaths,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    registration = _register(fill, client, admin_headers, project_id)
    uuid = entity(registration)["id"]
    day = registration.values()["tanggal_profil"]
    assert submit(client, admin_headers, project_id, registration.xml).status_code == 201

    columns, rows = _server_list(client, admin_headers, project_id)
    assert columns[:3] == ["name", "label", "__version"] and set(columns[3:]) == PROPERTIES
    [listed] = rows
    assert {k: listed[k] for k in ("name", "label", "__version")} == {
        "name": uuid,
        "label": "KWT Mawar - Babau",
        "__version": "1",
    }
    assert {k: listed[k] for k in PROPERTIES} == {
        "nama": "KWT Mawar",
        "kode": "53-KWT0012",
        "provinsi": "53",
        "kab_kota": "53.01",
        "kecamatan": "53.01.06",
        "desa": "53.01.06.1001",
        "desa_nama": "Babau",
        "sektor": "pertanian",
        "status": "aktif",
        "lokasi": "-10.1772 123.607 45.0 5.0",  # as JavaRosa writes a point
        "kunjungan_terakhir": day,
    }

    phone = _as_collect_keeps(columns, rows)
    visit_xml = _form_xml(client, admin_headers, project_id, VISITS)
    (visit,) = fill(
        "field_visit_log",
        [{**VISIT, "tanggal_kunjungan": day, "inisiatif": uuid, "hasil": "tidak_aktif_lagi"}],
        xform=visit_xml,
        lists={"inisiatif.csv": phone},
    )
    assert entity(visit)["baseVersion"] == "1" and entity(visit)["trunkVersion"] == "1"
    assert submit(client, admin_headers, project_id, visit.xml).status_code == 201
    current = _entity(client, admin_headers, project_id, uuid)["currentVersion"]
    assert current["version"] == 2 and current["label"] == "KWT Mawar - Babau"
    assert current["data"]["status"] == "tidak_aktif"
    assert current["data"]["kunjungan_terakhir"] == day
    assert current["data"]["nama"] == "KWT Mawar", "what the visit does not touch stays"
    _columns, [relisted] = _server_list(client, admin_headers, project_id)
    assert (relisted["__version"], relisted["status"]) == ("2", "tidak_aktif")

    (typed,) = fill(
        "field_visit_log",
        [{**VISIT, "dari_daftar": "tidak", "ada_kode": "belum", "nama_kelompok": "KWT Melati"}],
        xform=visit_xml,
        lists={"inisiatif.csv": phone},
    )
    assert submit(client, admin_headers, project_id, typed.xml).status_code == 201
    assert _entity(client, admin_headers, project_id, uuid)["currentVersion"]["version"] == 2
    assert _audits(client, admin_headers, "entity.error") == []


def test_a_visit_made_offline_after_the_registration_may_reach_the_server_first(
    published: list[str],
    fill: FillPaths,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
) -> None:
    """On one phone, offline: a profile registers an initiative, which Collect adds to its
    own list at once; a visit then picks it. The visit is sent before the profile."""
    profile_xml = _form_xml(client, admin_headers, project_id, PROFILE)
    registration = _register(fill, client, admin_headers, project_id)
    made = entity(registration)
    root = etree.fromstring(registration.xml)
    [declaration] = read_entity_spec(profile_xml).datasets  # type: ignore[union-attr]
    saved = {
        prop: "".join(root.xpath(f"/*{path}/text()"))  # paths below the instance root
        for prop, path in declaration.properties.items()
    }
    assert (saved["kab_kota"], saved["status"]) == ("53.01", "aktif")
    branch = str(uuid_module.uuid4())
    local = {
        "name": made["id"],
        "label": made["label"],
        "__version": "1",
        "__trunkVersion": "",
        "__branchId": branch,
        **saved,
    }
    columns, rows = _server_list(client, admin_headers, project_id)
    assert rows == [], "nothing has reached the server yet"
    day = registration.values()["tanggal_profil"]
    (visit,) = fill(
        "field_visit_log",
        [{**VISIT, "tanggal_kunjungan": day, "inisiatif": made["id"], "hasil": "sebagian"}],
        xform=_form_xml(client, admin_headers, project_id, VISITS),
        lists={"inisiatif.csv": _as_collect_keeps(columns, rows, [local])},
    )
    update = entity(visit)
    assert (update["baseVersion"], update["trunkVersion"], update["branchId"]) == ("1", "", branch)
    assert visit.values()["inisiatif_nama"] == "KWT Mawar"

    assert submit(client, admin_headers, project_id, visit.xml).status_code == 201
    assert _server_list(client, admin_headers, project_id)[1] == []
    assert len(_audits(client, admin_headers, "submission.backlog.hold")) == 1
    assert submit(client, admin_headers, project_id, registration.xml).status_code == 201

    registered = _entity(client, admin_headers, project_id, made["id"])
    current = registered["currentVersion"]
    assert current["version"] == 2 and current["branchId"] == branch
    assert current["data"]["status"] == "aktif" and current["data"]["kunjungan_terakhir"] == day
    assert registered["conflict"] is None
    _columns, [listed] = _server_list(client, admin_headers, project_id)
    assert (listed["name"], listed["__version"]) == (made["id"], "2")
    assert _audits(client, admin_headers, "entity.error") == []
