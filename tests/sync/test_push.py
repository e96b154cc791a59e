"""`jaring forms push` against a running server: create, update, no-op, and local errors."""

from __future__ import annotations

from pathlib import Path

import httpx
import openpyxl
import pytest
from typer.testing import CliRunner

from server.cli import app
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD


def write_instrument(folder: Path, version: str, label: str) -> Path:
    workbook = openpyxl.Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    for row in (
        ["type", "name", "label"],
        ["text", "nama", label],
        ["select_one_from_file desa.csv", "desa", "Desa"],
    ):
        survey.append(row)
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "version", "form_title"])
    settings.append(["kelompok", version, "Kelompok"])
    folder.mkdir(exist_ok=True)
    (folder / "media").mkdir(exist_ok=True)
    (folder / "media" / "desa.csv").write_text("name,label\n7301,Kepulauan Selayar\n")
    path = folder / "kelompok.xlsx"
    workbook.save(path)
    return path


@pytest.fixture
def push(base_url: str, project_id: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PYODK_CONFIG_FILE", str(tmp_path / "none.toml"))
    monkeypatch.delenv("JARING_PASSWORD", raising=False)
    runner = CliRunner()

    def invoke(*paths: Path, password: str = ADMIN_PASSWORD):  # type: ignore[no-untyped-def]
        args = ["forms", "push", "--server", base_url, "--project", str(project_id)]
        args += ["--email", ADMIN_EMAIL, *map(str, paths)]
        return runner.invoke(app, args, input=f"{password}\n", catch_exceptions=False)

    return invoke


def test_push_creates_updates_and_skips(  # type: ignore[no-untyped-def]
    push, tmp_path: Path, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    folder = tmp_path / "instruments"
    write_instrument(folder, "2026112701", "Nama kelompok")
    first = push(folder)
    assert first.exit_code == 0, first.output
    assert "kelompok version 2026112701: created, uploaded desa.csv" in first.output
    base = f"/v1/projects/{project_id}/forms/kelompok"
    form = client.get(base, headers=admin_headers).json()
    assert form["version"] == "2026112701" and form["publishedAt"] is not None
    media = client.get(f"{base}/attachments/desa.csv", headers=admin_headers)
    assert media.text == "name,label\n7301,Kepulauan Selayar\n"

    again = push(folder)
    assert again.exit_code == 0 and "kelompok version 2026112701: unchanged" in again.output
    assert len(client.get(f"{base}/versions", headers=admin_headers).json()) == 1

    write_instrument(folder, "2026112702", "Nama kelompok usaha")
    changed = push(folder / "kelompok.xlsx")
    assert changed.exit_code == 0, changed.output
    # The media did not change, so it carried over instead of being sent again.
    assert "kelompok version 2026112702: updated\n" in changed.output
    versions = client.get(f"{base}/versions", headers=admin_headers).json()
    assert [v["version"] for v in versions] == ["2026112702", "2026112701"]
    xml = client.get(f"{base}.xml", headers=admin_headers).text
    assert "Nama kelompok usaha" in xml
    assert client.get(f"{base}/attachments/desa.csv", headers=admin_headers).status_code == 200


def test_push_reports_errors_before_sending(  # type: ignore[no-untyped-def]
    push, tmp_path: Path, client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    folder = tmp_path / "instruments"
    write_instrument(folder, "2026112701", "Nama ${tidak_ada}")
    broken = push(folder)
    assert broken.exit_code == 1
    assert "kelompok.xlsx, sheet survey, row 2" in broken.output
    assert client.get(f"/v1/projects/{project_id}/forms", headers=admin_headers).json() == []
    write_instrument(folder, "2026112701", "Nama")
    wrong = push(folder, password="bukan-sandinya")
    assert wrong.exit_code == 1 and "401" in wrong.output
