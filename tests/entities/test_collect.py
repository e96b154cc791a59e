"""A registration and then a visit, as ODK Collect makes them: XLSForms compiled by
pyxform, filled by JavaRosa (the engine inside Collect) with the list the server sends."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from tests.builders import XLSX, xlsform
from tests.entities.builders import submit
from tests.instruments.javarosa import compile_formfill, fill_paths


def _workbook(survey: list[list[Any]], entities: list[list[Any]], form_id: str) -> bytes:
    book = load_workbook(
        io.BytesIO(xlsform(survey, settings=[["form_id", "version"], [form_id, "1"]]))
    )
    sheet = book.create_sheet("entities")
    for row in entities:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


REGISTRATION = _workbook(
    [
        ["type", "name", "label", "save_to"],
        ["text", "nama", "Nama inisiatif", "nama"],
        ["text", "desa", "Desa", "desa"],
    ],
    [["list_name", "label"], ["inisiatif", "concat(${nama}, ' - ', ${desa})"]],
    "registrasi",
)
VISIT = _workbook(
    [
        ["type", "name", "label", "save_to"],
        ["select_one_from_file inisiatif.csv", "pilih", "Inisiatif", ""],
        ["text", "status", "Status", "status"],
    ],
    [["list_name", "entity_id"], ["inisiatif", "${pilih}"]],
    "kunjungan",
)


@pytest.fixture(scope="module")
def formfill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_formfill(tmp_path_factory.mktemp("formfill"))


def _publish(client: httpx.Client, headers: dict[str, str], project_id: int, body: bytes) -> None:
    response = client.post(
        f"/v1/projects/{project_id}/forms",
        params={"publish": "true"},
        content=body,
        headers={**headers, "Content-Type": XLSX},
    )
    assert response.status_code == 200, response.text


def test_a_visit_picks_an_initiative_registered_earlier(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    formfill: Path,
    tmp_path: Path,
) -> None:
    _publish(client, admin_headers, project_id, REGISTRATION)
    _publish(client, admin_headers, project_id, VISIT)
    forms = f"/v1/projects/{project_id}/forms"
    media = tmp_path / "media"
    media.mkdir()

    registration_xml = client.get(f"{forms}/registrasi.xml", headers=admin_headers).content
    [registered] = fill_paths(
        formfill,
        registration_xml,
        media,
        [{"nama": "Koperasi Wanita Sejahtera", "desa": "Barombong"}],
        tmp_path / "registration",
    )
    assert registered.finished, registered.error
    assert submit(client, admin_headers, project_id, registered.xml).status_code == 201
    [entity] = client.get(
        f"/v1/projects/{project_id}/datasets/inisiatif/entities", headers=admin_headers
    ).json()
    assert entity["currentVersion"]["label"] == "Koperasi Wanita Sejahtera - Barombong"

    listed = client.get(f"{forms}/kunjungan/attachments/inisiatif.csv", headers=admin_headers)
    assert listed.status_code == 200
    (media / "inisiatif.csv").write_bytes(listed.content)
    visit_xml = client.get(f"{forms}/kunjungan.xml", headers=admin_headers).content
    [visited] = fill_paths(
        formfill,
        visit_xml,
        media,
        [{"pilih": entity["uuid"], "status": "aktif"}],
        tmp_path / "visit",
    )
    assert visited.finished, visited.error
    assert ("pilih", entity["uuid"]) in visited.asked
    assert submit(client, admin_headers, project_id, visited.xml).status_code == 201
    current = client.get(
        f"/v1/projects/{project_id}/datasets/inisiatif/entities/{entity['uuid']}",
        headers=admin_headers,
    ).json()["currentVersion"]
    assert current["version"] == 2 and current["baseVersion"] == 1
    assert current["data"] == {
        "nama": "Koperasi Wanita Sejahtera",
        "desa": "Barombong",
        "status": "aktif",
    }
