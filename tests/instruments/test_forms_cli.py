"""`jaring forms build|check|dump` on the real instruments and on broken copies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from server.cli import app
from server.data.publication import PUBLIC_COLUMN, PUBLIC_NAMESPACE
from server.tasks import instruments as tasks

INSTRUMENTS = Path(__file__).resolve().parents[2] / "instruments"
runner = CliRunner()


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "instruments"
    shutil.copytree(INSTRUMENTS, target)
    return target


def edit(path: Path, sheet: str, row: int, column: str, value: str | None) -> None:
    workbook = load_workbook(path)
    worksheet = workbook[sheet]
    header = [cell.value for cell in worksheet[1]]
    worksheet.cell(row=row, column=header.index(column) + 1).value = value
    workbook.save(path)


def test_check_passes_on_the_instruments() -> None:
    result = runner.invoke(app, ["forms", "check", "--instruments", str(INSTRUMENTS)])
    assert result.exit_code == 0, result.output
    assert "3 instrument(s) OK" in result.output


def test_check_names_instrument_sheet_and_row(copy: Path) -> None:
    edit(copy / "field_visit_log.xlsx", "survey", 20, "relevant", "${tidak_ada_ini} = 1")
    edit(copy / "member_interview.xlsx", "choices", 3, "label::English (en)", None)
    result = runner.invoke(app, ["forms", "check", "--no-validate", "--instruments", str(copy)])
    assert result.exit_code == 1
    assert "field_visit_log.xlsx, sheet survey, row 20: " in result.output
    assert "tidak_ada_ini" in result.output
    assert "member_interview.xlsx, sheet choices, row 3: label has no English (en) text" in (
        result.output
    )


def test_check_reports_odk_validate_errors(copy: Path) -> None:
    edit(copy / "field_visit_log.xlsx", "survey", 20, "relevant", "bogus(${hasil}) = 1")
    problems = tasks.check(copy)
    assert len(problems) == 1
    assert problems[0].startswith("field_visit_log.xlsx, sheet survey, row 20: ODK Validate")
    assert "bogus" in problems[0]


def test_check_refuses_a_version_that_is_not_a_date(copy: Path) -> None:
    edit(copy / "field_visit_log.xlsx", "settings", 2, "version", "7")
    assert tasks.check(copy, run_validate=False) == [
        "field_visit_log.xlsx, sheet settings, row 2: version '7' is not a date and a "
        "two-digit counter (yyyymmddnn)"
    ]


def mark_public(path: Path, name: str, gate: str) -> None:
    """Give a workbook the publication column and namespace, and mark one field."""
    workbook = load_workbook(path)
    survey, settings = workbook["survey"], workbook["settings"]
    column = survey.max_column + 1
    survey.cell(row=1, column=column).value = PUBLIC_COLUMN
    names = [cell.value for cell in survey["B"]]
    survey.cell(row=names.index(name) + 1, column=column).value = gate
    settings.cell(row=1, column=settings.max_column + 1).value = "namespaces"
    settings.cell(row=2, column=settings.max_column).value = f'jaring="{PUBLIC_NAMESPACE}"'
    workbook.save(path)


def test_check_refuses_a_public_mark_on_the_encrypted_interview(copy: Path) -> None:
    mark_public(copy / "member_interview.xlsx", "pesan_kebijakan", "${persetujuan}")
    assert tasks.check(copy, run_validate=False) == [
        f"member_interview.xlsx, sheet survey: {PUBLIC_COLUMN}: ess_wawancara_anggota is"
        " meant to be encrypted and may mark no field public (pesan_kebijakan)"
    ]


def test_check_refuses_a_public_mark_the_server_cannot_read(copy: Path) -> None:
    mark_public(copy / "field_visit_log.xlsx", "petunjuk_nama", "${ada_petunjuk}")
    names = [cell.value for cell in load_workbook(copy / "field_visit_log.xlsx")["survey"]["B"]]
    row = names.index("petunjuk_nama") + 1
    [problem] = tasks.check(copy, run_validate=False)
    assert problem == (
        f"field_visit_log.xlsx, sheet survey, row {row}: {PUBLIC_COLUMN}: jaring:public on"
        " /c3/petunjuk/petunjuk_nama: its field is inside a repeat"
    )


def test_build_writes_xforms_and_media(tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = runner.invoke(
        app, ["forms", "build", "--out", str(out), "--instruments", str(INSTRUMENTS)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.xml")) == [
        "ess_catatan_kunjungan.xml",
        "ess_profil_inisiatif.xml",
        "ess_wawancara_anggota.xml",
    ]
    media = sorted(p.name for p in (out / "ess_profil_inisiatif-media").iterdir())
    assert media == ["districts.csv", "provinces.csv", "regencies.csv", "villages.csv"]
    assert not (out / "ess_wawancara_anggota-media").exists()


def test_build_fails_on_missing_media(copy: Path, tmp_path: Path) -> None:
    (copy / "media" / "districts.csv").unlink()
    result = runner.invoke(
        app, ["forms", "build", "--out", str(tmp_path / "b"), "--instruments", str(copy)]
    )
    assert result.exit_code == 1
    assert "'districts.csv' is referenced" in result.output
    assert not (tmp_path / "b").exists()


def test_dump_check_fails_until_dump_runs(copy: Path) -> None:
    args = ["forms", "dump", "--instruments", str(copy)]
    assert runner.invoke(app, [*args, "--check"]).exit_code == 0
    edit(copy / "initiative_profile.xlsx", "survey", 8, "label::English (en)", "Consent?")
    stale = runner.invoke(app, [*args, "--check"])
    assert stale.exit_code == 1
    assert "initiative_profile/survey.csv: differs from the workbook" in stale.output
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, [*args, "--check"]).exit_code == 0
    assert "Consent?" in (copy / "CODEBOOK.md").read_text(encoding="utf-8")
