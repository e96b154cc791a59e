"""The instruments in ``instruments/``: they compile, validate and are complete and bilingual."""

from __future__ import annotations

import csv
import random
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from server.external.odk_validate import validate_xform
from server.tasks import instruments as tasks
from server.tasks.instruments import (
    LANGUAGES,
    CompiledInstrument,
    compile_instrument,
    find_instruments,
    read_settings,
    read_workbook,
    sheet_records,
)

ROOT = Path(__file__).resolve().parents[2]
INSTRUMENTS = ROOT / "instruments"
PATHS = find_instruments(INSTRUMENTS)
IDS = [path.stem for path in PATHS]
PROVINCES = {"11", "31", "32", "33", "34", "35", "53", "73"}
EXPRESSION_COLUMNS = (
    "relevant",
    "constraint",
    "calculation",
    "choice_filter",
    "required",
    "bind::jaring:public",
)
WILAYAH = INSTRUMENTS / "wilayah"


@pytest.fixture(scope="module", params=PATHS, ids=IDS)
def compiled(request: pytest.FixtureRequest) -> CompiledInstrument:
    return compile_instrument(request.param)


def survey(path: Path) -> list[tuple[int, dict[str, str]]]:
    return list(sheet_records(read_workbook(path)["survey"]))


def choices(path: Path) -> list[tuple[int, dict[str, str]]]:
    return list(sheet_records(read_workbook(path)["choices"]))


def test_the_three_instruments_are_there() -> None:
    assert IDS == ["field_visit_log", "initiative_profile", "member_interview"]
    form_ids = [read_settings(read_workbook(path))["form_id"] for path in PATHS]
    assert form_ids == ["ess_catatan_kunjungan", "ess_profil_inisiatif", "ess_wawancara_anggota"]


def test_compiles_without_warnings_and_passes_odk_validate(compiled: CompiledInstrument) -> None:
    assert compiled.warnings == []
    result = validate_xform(compiled.xform)
    assert result.errors == []
    assert result.warnings == []


def test_settings(compiled: CompiledInstrument) -> None:
    settings = read_settings(read_workbook(compiled.path))
    assert re.fullmatch(r"20[0-9]{8}", compiled.version)
    assert settings["default_language"] == "Bahasa Indonesia (id)"
    assert settings["instance_name"]
    xform = compiled.xform.decode()
    assert f'version="{compiled.version}"' in xform
    assert '<translation lang="Bahasa Indonesia (id)" default="true()">' in xform


def test_project_rules_hold(compiled: CompiledInstrument) -> None:
    assert tasks.lint_workbook(compiled.path, read_workbook(compiled.path)) == []


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_choice_list_referenced_exists(path: Path) -> None:
    lists = {record["list_name"] for _n, record in choices(path)}
    used = set()
    for number, record in survey(path):
        words = record.get("type", "").split()
        if words and words[0] in ("select_one", "select_multiple"):
            assert len(words) == 2 and words[1] in lists, f"row {number}: {record['type']}"
            used.add(words[1])
        if words and words[0] in ("select_one_from_file", "select_multiple_from_file"):
            listed = words[1].removesuffix(".csv") in tasks.declared_datasets(INSTRUMENTS)
            media = (INSTRUMENTS / "media" / words[1]).is_file()
            assert media != listed, f"row {number}: {words[1]} is neither media nor entity list"
    assert lists - used == set(), "choice lists nobody uses"


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_choice_names_are_codes_and_unique(path: Path) -> None:
    seen: set[tuple[str, str]] = set()
    for number, record in choices(path):
        key = (record["list_name"], record["name"])
        assert re.fullmatch(r"[a-z0-9_]+", record["name"]), f"row {number}: {record['name']!r}"
        assert key not in seen, f"row {number}: duplicate {key}"
        seen.add(key)


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_referenced_field_exists(path: Path) -> None:
    rows = survey(path)
    names = {record["name"] for _n, record in rows if record.get("name")}
    settings = read_settings(read_workbook(path))
    checked = 0
    for number, record in rows:
        for column, text in record.items():
            if column in EXPRESSION_COLUMNS or column.startswith(("label::", "hint::")):
                for name in re.findall(r"\$\{([^}]*)\}", text):
                    assert name in names, f"row {number}, {column}: ${{{name}}}"
                    checked += 1
    for name in re.findall(r"\$\{([^}]*)\}", settings["instance_name"]):
        assert name in names
    for number, record in sheet_records(read_workbook(path).get("entities", [])):
        for column, text in record.items():
            for name in re.findall(r"\$\{([^}]*)\}", text):
                assert name in names, f"entities row {number}, {column}: ${{{name}}}"
    assert checked > 0


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_text_in_both_languages(path: Path) -> None:
    sheets = read_workbook(path)
    for sheet_name in ("survey", "choices"):
        header = sheets[sheet_name][0]
        assert "label" not in header and "hint" not in header
        for base in ("label", "hint", "constraint_message"):
            if sheet_name == "choices" and base != "label":
                continue
            for lang in LANGUAGES:
                assert f"{base}::{lang}" in header, f"{sheet_name}: {base}::{lang}"
        for number, record in sheet_records(sheets[sheet_name]):
            kind = record.get("type", "")
            for base in ("label", "hint", "constraint_message"):
                texts = [record.get(f"{base}::{lang}", "") for lang in LANGUAGES]
                assert all(texts) or not any(texts), f"{sheet_name} row {number}: {base}"
            if sheet_name == "choices" or kind.split()[0] in (
                "note",
                "begin_group",
                "begin_repeat",
            ):
                assert record.get(f"label::{LANGUAGES[0]}"), f"{sheet_name} row {number}"
            if record.get("constraint"):
                assert record.get(f"constraint_message::{LANGUAGES[0]}"), f"row {number}"


def test_questions_have_labels(compiled: CompiledInstrument) -> None:
    hidden = {
        "start",
        "end",
        "today",
        "deviceid",
        "username",
        "calculate",
        "end_group",
        "end_repeat",
    }
    for number, record in survey(compiled.path):
        if record["type"] not in hidden:
            assert record.get(f"label::{LANGUAGES[1]}"), f"row {number}"


def test_consent_gates_the_interviews() -> None:
    for path in PATHS:
        if path.stem == "field_visit_log":
            continue
        rows = dict((r["name"], r) for _n, r in survey(path) if r.get("name"))
        assert rows["persetujuan"]["required"] == "yes"
        depth, top_level = 0, []
        for _n, record in survey(path):
            if record["type"] in ("begin_group", "begin_repeat"):
                if depth == 0:
                    top_level.append(record)
                depth += 1
            elif record["type"] in ("end_group", "end_repeat"):
                depth -= 1
        consent_group, *later = top_level
        assert "persetujuan" in {r["name"] for _n, r in survey(path)}
        assert later and all("${persetujuan} = 'ya'" in g["relevant"] for g in later), path.name


def test_initiative_profile_pieces() -> None:
    path = INSTRUMENTS / "initiative_profile.xlsx"
    rows = {r["name"]: r for _n, r in survey(path) if r.get("name")}
    assert rows["lokasi"]["type"] == "geopoint"
    assert "capture-accuracy=10" in rows["lokasi"]["parameters"]
    photos = [r for r in rows.values() if r["type"] == "image"]
    assert photos and all(r["relevant"] == "${izin_foto} = 'ya'" for r in photos)
    xform = compile_instrument(path).xform.decode()
    assert 'accuracyThreshold="10"' in xform
    assert "instance('villages')/root/item[district_code= /data/a2/kecamatan ]" in xform
    assert "starts-with" not in xform and "search(" not in xform


def _media_rows(name: str) -> list[dict[str, str]]:
    with (INSTRUMENTS / "media" / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize(
    "path",
    [p for p in PATHS if p.stem != "member_interview"],
    ids=[s for s in IDS if s != "member_interview"],
)
def test_location_cascade_resolves_sampled_villages(path: Path) -> None:
    """For sampled villages of every province, each filtered list offers the next code."""
    cascade = []
    for _n, record in survey(path):
        words = record["type"].split()
        if words[0] == "select_one_from_file" and words[1] != "inisiatif.csv":
            column, parent = None, None
            if record.get("choice_filter"):
                match = re.fullmatch(r"\s*(\w+)\s*=\s*\$\{(\w+)\}\s*", record["choice_filter"])
                assert match, f"not a plain equality: {record['choice_filter']}"
                column, parent = match.groups()
            cascade.append((record["name"], _media_rows(words[1]), column, parent))
    assert [step[0] for step in cascade] == ["provinsi", "kab_kota", "kecamatan", "desa"]
    villages = cascade[-1][1]
    assert {row["name"] for row in cascade[0][1]} == PROVINCES
    rng = random.Random(36720)
    for province in sorted(PROVINCES):
        codes = [row["name"] for row in villages if row["name"].startswith(province + ".")]
        assert codes, province
        for code in rng.sample(codes, 5):
            parts = code.split(".")
            wanted = {
                "provinsi": parts[0],
                "kab_kota": ".".join(parts[:2]),
                "kecamatan": ".".join(parts[:3]),
                "desa": code,
            }
            answers: dict[str, str] = {}
            for name, rows, column, parent in cascade:
                offered = [
                    r["name"] for r in rows if column is None or r[column] == answers[parent]
                ]
                assert wanted[name] in offered, (code, name)
                assert all(r["label"] for r in rows if r["name"] in offered)
                answers[name] = wanted[name]


def test_media_labels_are_unique_within_their_parent() -> None:
    for name, column in (
        ("regencies.csv", "province_code"),
        ("districts.csv", "regency_code"),
        ("villages.csv", "district_code"),
    ):
        seen: set[tuple[str, str]] = set()
        for row in _media_rows(name):
            key = (row[column], row["label"])
            assert key not in seen, (name, key)
            seen.add(key)
    assert (INSTRUMENTS / "media" / "WILAYAH-SOURCE.md").read_text(encoding="utf-8").count(
        "Cahya DSN"
    ) >= 2


def test_media_are_derived_from_the_wilayah_lists(tmp_path: Path) -> None:
    tasks.write_wilayah_media(WILAYAH, tmp_path)
    for made in tmp_path.iterdir():
        assert made.read_bytes() == (INSTRUMENTS / "media" / made.name).read_bytes(), made.name


def test_text_form_and_codebook_in_sync() -> None:
    assert tasks.out_of_sync(INSTRUMENTS) == []


def test_codebook_names_every_field() -> None:
    text = (INSTRUMENTS / tasks.CODEBOOK_NAME).read_text(encoding="utf-8")
    for path in PATHS:
        for _n, record in survey(path):
            if record.get("name"):
                assert f"`{record['name']}`" in text
    assert "(README.md)" not in text
    sections = text.split("\n## ")[1:]
    assert len(sections) == len(PATHS)
    for section in sections:
        encrypted = "form_id `ess_wawancara_anggota`" in section
        assert ("**Encrypted**" in section) == encrypted
        assert ("**May be published**: nothing." in section) == (
            "form_id `ess_profil_inisiatif`" not in section
        )
    assert "CODEBOOK.md" in (INSTRUMENTS / "README.md").read_text(encoding="utf-8")


def test_out_of_sync_notices_an_edited_label(tmp_path: Path) -> None:
    copy = tmp_path / "instruments"
    shutil.copytree(INSTRUMENTS, copy)
    assert tasks.out_of_sync(copy) == []
    workbook = load_workbook(copy / "field_visit_log.xlsx")
    sheet = workbook["choices"]
    sheet.cell(row=2, column=3).value = "Ya sekali"
    workbook.save(copy / "field_visit_log.xlsx")
    problems = tasks.out_of_sync(copy)
    assert any("field_visit_log/choices.csv" in p for p in problems)
    assert any("CODEBOOK.md" in p for p in problems)
    tasks.dump(copy)
    assert tasks.out_of_sync(copy) == []
    assert "Ya sekali" in (copy / "text" / "field_visit_log" / "choices.csv").read_text(
        encoding="utf-8"
    )


def _lists(path: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for _n, record in choices(path):
        out.setdefault(record["list_name"], []).append(record["name"])
    return out


def test_choices_indonesian_respondents_need() -> None:
    member = _lists(INSTRUMENTS / "member_interview.xlsx")
    assert {"pnm_mekaar", "bank_keliling", "lainnya"} <= set(member["sumber_pinjaman"])
    assert {"perhiasan_emas", "lainnya"} <= set(member["aset"])
    assert {"simpanan_kelompok", "lainnya"} <= set(member["rekening"])
    profile = _lists(INSTRUMENTS / "initiative_profile.xlsx")
    assert {"aisyiyah", "muslimat_fatayat_nu", "gereja", "lainnya"} <= set(profile["pendukung"])


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_every_other_has_a_text(path: Path) -> None:
    lists = _lists(path)
    rows = survey(path)
    for index, (number, record) in enumerate(rows):
        words = record["type"].split()
        if words[0] not in ("select_one", "select_multiple") or "lainnya" not in lists[words[1]]:
            continue
        name = record["name"]
        follow = rows[index + 1][1]
        assert follow["type"] == "text", f"row {number}: {name} has no text for 'lainnya'"
        assert f"${{{name}}}" in follow["relevant"] and "'lainnya'" in follow["relevant"]


# Answers that mean "nothing of the kind" or "no answer", never to be ticked with another.
EXCLUSIVE = {
    "tidak_ada",
    "tidak_ada_keputusan",
    "tidak_tahu",
    "tidak_mau_jawab",
    "tidak_merasakan",
    "belum_ada_surplus",
    "tidak_dijual",
}


@pytest.mark.parametrize("path", PATHS, ids=IDS)
def test_none_and_no_answer_stand_alone_in_every_multiple_choice(path: Path) -> None:
    lists = _lists(path)
    for number, record in survey(path):
        words = record["type"].split()
        if words[0] != "select_multiple":
            continue
        for name in EXCLUSIVE & set(lists[words[1]]):
            assert f"selected(., '{name}')" in record["constraint"], (number, record["name"], name)
            assert "count-selected(.) > 1" in record["constraint"], (number, record["name"])


def _band(label: str) -> tuple[float, bool, float, bool]:
    """(low, low included, high, high included) of a turnover band, in millions of rupiah."""

    def amount(text: str) -> float:
        match = re.fullmatch(r"Rp([0-9]+) (juta|miliar)", text.strip())
        assert match, text
        return float(match.group(1)) * (1000 if match.group(2) == "miliar" else 1)

    if label.startswith("Kurang dari "):
        return (0.0, True, amount(label.removeprefix("Kurang dari ")), False)
    low_part, _, high_part = label.partition(" sampai ")
    low_open = low_part.startswith("Lebih dari ")
    low = amount(low_part.removeprefix("Lebih dari "))
    if not high_part:
        return (low, not low_open, float("inf"), False)
    high_open = high_part.startswith("di bawah ")
    return (low, not low_open, amount(high_part.removeprefix("di bawah ")), not high_open)


def test_turnover_bands_do_not_overlap_or_leave_gaps() -> None:
    bands = [
        _band(record[f"label::{LANGUAGES[0]}"])
        for _n, record in choices(INSTRUMENTS / "initiative_profile.xlsx")
        if record["list_name"] == "omzet_band"
        and record["name"] not in ("tidak_tahu", "tidak_mau_jawab")
    ]
    assert len(bands) == 6
    for (_lo, _li, high, high_in), (low, low_in, _hi, _hin) in zip(bands, bands[1:], strict=False):
        assert high == low and high_in != low_in, (high, low)
    assert bands[-1][2] == float("inf")


def test_referral_information_names_the_hotline_and_the_local_service() -> None:
    for stem, name in (("member_interview", "rujukan"), ("initiative_profile", "rujukan_kartu")):
        note = next(r for _n, r in survey(INSTRUMENTS / f"{stem}.xlsx") if r["name"] == name)
        for lang in LANGUAGES:
            text = note[f"label::{lang}"]
            assert "SAPA 129" in text and "08111-129-129" in text and "UPTD PPA" in text
    readme = (INSTRUMENTS / "README.md").read_text(encoding="utf-8")
    assert "## Referral card" in readme and "08111-129-129" in readme
