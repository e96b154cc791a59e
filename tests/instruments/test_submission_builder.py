"""The submission builder used by the round-trip test, checked on its own."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import Workbook

from server.external.xlsform import convert_xlsform
from server.tasks.instruments import CompiledInstrument, compile_instrument, find_instruments
from tests.instruments.conftest import LISTED_REGION, phone_media
from tests.instruments.submission_builder import build_submission, string_matching, tiny_png

INSTRUMENTS = Path(__file__).resolve().parents[2] / "instruments"
PATHS = find_instruments(INSTRUMENTS)


@pytest.fixture(scope="module", params=PATHS, ids=[p.stem for p in PATHS])
def compiled(request: pytest.FixtureRequest) -> CompiledInstrument:
    return compile_instrument(request.param)


def leaves(element: etree._Element) -> list[etree._Element]:
    return [e for e in element.iter() if len(e) == 0]


def test_every_leaf_is_filled(compiled: CompiledInstrument, tmp_path: Path) -> None:
    submission = build_submission(
        compiled.xform,
        phone_media(compiled, tmp_path),
        overrides=LISTED_REGION if compiled.entity_lists else {},
    )
    root = etree.fromstring(submission.xml)
    assert root.get("id") == compiled.form_id
    assert root.get("version") == compiled.version
    empty = [root.getroottree().getpath(e) for e in leaves(root) if not (e.text or "").strip()]
    assert empty == []
    assert root.findtext("meta/instanceID") == submission.instance_id
    assert len(submission.values) == len(leaves(root))


def test_repeats_get_two_instances_and_photos_an_attachment() -> None:
    submission = build_submission(_xform_with_a_repeat())
    root = etree.fromstring(submission.xml)
    activities = root.findall("g/kegiatan")
    assert len(activities) == 2
    assert all(a.findtext("jenis") == "x" for a in activities)
    assert all(int(a.findtext("jumlah") or 0) >= 3 for a in activities)
    assert "/data/g/kegiatan[2]/jumlah" in submission.values
    compiled = compile_instrument(INSTRUMENTS / "initiative_profile.xlsx")
    submission = build_submission(compiled.xform, compiled.media)
    root = etree.fromstring(submission.xml)
    photos = [root.findtext(f"a11/foto_{i}") for i in (1, 2, 3)]
    assert sorted(photos) == sorted(submission.attachments)
    assert all(data.startswith(b"\x89PNG") for data in submission.attachments.values())


def _xform_with_a_repeat() -> bytes:
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "constraint"])
    survey.append(["begin_group", "g", "G", ""])
    survey.append(["begin_repeat", "kegiatan", "Kegiatan", ""])
    survey.append(["select_one l", "jenis", "Jenis", ""])
    survey.append(["integer", "jumlah", "Jumlah", ". >= 3"])
    survey.append(["end_repeat", "", "", ""])
    survey.append(["end_group", "", "", ""])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["l", "x", "X"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return convert_xlsform(buffer.getvalue(), form_id_fallback="t").xform


def test_values_honour_types_constraints_and_the_cascade() -> None:
    compiled = compile_instrument(INSTRUMENTS / "initiative_profile.xlsx")
    submission = build_submission(
        compiled.xform, compiled.media, overrides={"/data/a2/provinsi": "53"}
    )
    values = submission.values
    village = values["/data/a2/desa"]
    assert village.startswith(values["/data/a2/kecamatan"] + ".")
    assert values["/data/a2/kecamatan"].startswith(values["/data/a2/kab_kota"] + ".")
    assert values["/data/a2/kab_kota"].startswith("53.")
    assert re.fullmatch(r"[0-9]{2}-[A-Z0-9]{4,8}", values["/data/a2/kode_inisiatif"])
    assert 1945 <= int(values["/data/a2/tahun_berdiri"]) <= 2026
    assert len(values["/data/a11/tantangan"].split()) <= 3
    lat, lon, _alt, accuracy = map(float, values["/data/a2/lokasi"].split())
    assert accuracy <= 10
    assert "tidak_ada" not in values["/data/a3/praktik"].split()


def test_time_use_adds_up_to_a_day_at_most() -> None:
    compiled = compile_instrument(INSTRUMENTS / "member_interview.xlsx")
    values = build_submission(compiled.xform, compiled.media).values
    hours = [float(v) for k, v in values.items() if "/jam/jam_" in k and "petunjuk" not in k]
    assert len(hours) == 11 and sum(hours) <= 24


def test_string_matching() -> None:
    assert string_matching("^E[0-9]{3}$") == "E000"
    assert re.fullmatch("[0-9]{2}-[A-Z0-9]{4,8}", string_matching("^[0-9]{2}-[A-Z0-9]{4,8}$"))
    with pytest.raises(ValueError):
        string_matching("^(a|b)$")


def test_tiny_png_is_a_png() -> None:
    data = tiny_png()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data.endswith(b"IEND\xaeB`\x82")


def test_unsupported_choice_filter_is_refused() -> None:
    compiled = compile_instrument(INSTRUMENTS / "field_visit_log.xlsx")
    xform = compiled.xform.replace(
        b"[province_code= /data/c1/provinsi ]", b"[starts-with(name, /data/c1/provinsi)]"
    )
    assert xform != compiled.xform
    with pytest.raises(ValueError, match="choice filter"):
        build_submission(xform, compiled.media)
