"""What the instruments allow to be published: the ``jaring:public`` marks, the consents they
depend on, and what `server.data.publication` makes of a real submission."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import Workbook

from server.data.publication import PUBLIC_NAMESPACE, PublicField, public_fields, publishable
from server.data.submission import flatten_values
from server.data.xform import read_xform
from server.data.xml import XmlError, parse_untrusted_xml
from server.external.odk_validate import validate_xform
from server.external.xlsform import convert_xlsform
from server.tasks.instruments import CompiledInstrument
from tests.instruments.conftest import FillPaths
from tests.instruments.javarosa import Fill
from tests.instruments.support import PROFILE_START, rows

PROFILE = "/a2/nama_inisiatif"
ALWAYS_PRIVATE = {
    "alamat",
    "lokasi_catatan",
    "deskripsi",
    "catatan_pendata",
    "kode_pendata",
    "kode_inisiatif",
    "omzet_tahun",
    "campur_tangan",
    "campur_tangan_siapa",
}
# Free texts typed in the field that may still be published: the group's own name and public
# contact, and a village name missing from the official list.
PUBLIC_TEXTS = {"nama_inisiatif", "kontak_publik", "desa_lainnya"}


def test_the_profile_marks_exactly_these_fields_public(
    instruments: dict[str, CompiledInstrument],
) -> None:
    xform = instruments["initiative_profile"].xform
    assert f'xmlns:jaring="{PUBLIC_NAMESPACE}"'.encode() in xform
    assert validate_xform(xform).ok
    marked = public_fields(xform)
    assert marked == [
        PublicField("/a2/nama_inisiatif", "/terbit_profil"),
        PublicField("/a2/provinsi", "/terbit_profil"),
        PublicField("/a2/kab_kota", "/terbit_profil"),
        PublicField("/a2/kecamatan", "/terbit_profil"),
        PublicField("/a2/desa", "/terbit_profil"),
        PublicField("/a2/desa_lainnya", "/terbit_profil"),
        PublicField("/a2/wilayah_perkotaan", "/terbit_profil"),
        PublicField("/a2/lokasi", "/terbit_titik"),
        PublicField("/a2/tahun_berdiri", "/terbit_profil"),
        PublicField("/a2/kontak_publik", "/terbit_profil"),
        PublicField("/a3/bentuk", "/terbit_profil"),
        PublicField("/a3/sektor_utama", "/terbit_profil"),
        PublicField("/a4/anggota_perempuan", "/terbit_profil"),
        PublicField("/a4/anggota_laki", "/terbit_profil"),
        PublicField("/a4/ketua_jk", "/terbit_profil"),
        PublicField("/a4/dipimpin_perempuan", "/terbit_profil"),
        PublicField("/a11/foto_1", "/terbit_foto_1"),
        PublicField("/a11/foto_2", "/terbit_foto_2"),
        PublicField("/a11/foto_3", "/terbit_foto_3"),
    ]


def test_no_private_field_is_marked_public(instruments: dict[str, CompiledInstrument]) -> None:
    assert public_fields(instruments["member_interview"].xform) == []
    assert public_fields(instruments["field_visit_log"].xform) == []
    public = {
        field.path.rsplit("/", 1)[-1]
        for field in public_fields(instruments["initiative_profile"].xform)
    }
    assert public & ALWAYS_PRIVATE == set()
    texts = {r["name"] for r in rows("initiative_profile") if r["type"] == "text"}
    assert public & texts == PUBLIC_TEXTS
    assert not any(name.endswith("_lainnya") for name in public - PUBLIC_TEXTS)


def test_every_gate_needs_consent_to_publish() -> None:
    calculations = {r["name"]: r.get("calculation", "") for r in rows("initiative_profile")}
    assert "${izin_publikasi} = 'ya'" in calculations["terbit_profil"]
    assert "${persetujuan} = 'ya'" in calculations["terbit_profil"]
    for gate in ("terbit_titik", "terbit_foto_1", "terbit_foto_2", "terbit_foto_3"):
        assert "${terbit_profil} = 'ya'" in calculations[gate]
    assert "${izin_lokasi_peta} = 'ya'" in calculations["terbit_titik"]
    assert "${tempat_di_rumah} = 'tidak'" in calculations["terbit_titik"]
    for n in (1, 2, 3):
        assert "${izin_publikasi_foto} = 'ya'" in calculations[f"terbit_foto_{n}"]
        assert f"${{foto_{n}_wajah}} = 'ya_hanya_tim'" not in calculations[f"terbit_foto_{n}"]


def test_what_a_profile_lets_the_atlas_publish(
    fill: FillPaths, instruments: dict[str, CompiledInstrument]
) -> None:
    xform = instruments["initiative_profile"].xform
    agreed = {
        **PROFILE_START,
        "nama_inisiatif": "KWT Mawar",
        "izin_publikasi": "ya",
        "izin_lokasi_peta": "ya",
        "izin_foto": "ya",
        "izin_publikasi_foto": "ya",
        "tempat_di_rumah": "tidak",
        "alamat": "Dusun Oelbiteno RT 03",
        "lokasi": "-10.1772 123.607 45 5",
        "foto_1": "produk.jpg",
        "foto_1_wajah": "tidak",
        "foto_2": "rapat.jpg",
        "foto_2_wajah": "ya_hanya_tim",
        "*fill": "yes",
    }
    everything, no_publication, at_home = fill(
        "initiative_profile",
        [
            agreed,
            {**agreed, "izin_publikasi": "tidak"},
            {**agreed, "tempat_di_rumah": "ya"},
        ],
    )
    fields = read_xform(xform).fields
    marked = public_fields(xform)

    def published(result: Fill) -> dict[str, Any]:
        assert result.error is None and result.finished
        return publishable(marked, flatten_values(parse_untrusted_xml(result.xml), fields))

    shown = published(everything)
    assert shown[PROFILE] == "KWT Mawar"
    assert "/a2/lokasi" in shown and shown["/a11/foto_1"] == "produk.jpg"
    assert "/a11/foto_2" not in shown, "a face kept for the team is not published"
    assert "/a2/alamat" not in shown and "/a2/deskripsi" not in shown
    assert published(no_publication) == {}
    home = published(at_home)
    assert "/a2/lokasi" not in home and home["/a2/desa"] == "53.01.06.1001"
    assert "alamat" not in at_home.questions and "lokasi" not in at_home.questions


def test_only_the_group_itself_can_agree_to_publication(fill: FillPaths) -> None:
    outsider = {**PROFILE_START, "peran_responden": "pendamping", "*fill": "yes"}
    agreed, declined = fill(
        "initiative_profile",
        [{**outsider, "izin_publikasi": "ya"}, {**outsider, "izin_publikasi": "tidak"}],
    )
    assert agreed.error is not None and agreed.error.startswith("izin_publikasi = ya")
    assert declined.error is None and declined.finished
    assert declined.values()["terbit_profil"] == "tidak"


def _xform(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label", "calculation", "bind::jaring:public"])
    for row in rows:
        survey.append(row)
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "version", "namespaces"])
    settings.append(["t", "1", f'jaring="{PUBLIC_NAMESPACE}"'])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return convert_xlsform(buffer.getvalue()).xform


def test_a_mark_must_name_a_field_outside_repeats() -> None:
    good = _xform(
        [
            ["text", "nama", "Nama", "", "${boleh}"],
            ["calculate", "boleh", "", "'ya'", ""],
        ]
    )
    assert public_fields(good) == [PublicField("/nama", "/boleh")]
    assert publishable(public_fields(good), {"/nama": "A", "/boleh": "ya"}) == {"/nama": "A"}
    assert publishable(public_fields(good), {"/nama": "A", "/boleh": "tidak"}) == {}
    unknown = good.replace(b'jaring:public=" /data/boleh "', b'jaring:public=" /data/hilang "')
    assert unknown != good
    with pytest.raises(XmlError, match="gate is not a field"):
        public_fields(unknown)
    in_repeat = _xform(
        [
            ["begin_repeat", "r", "R", "", ""],
            ["text", "nama", "Nama", "", "${boleh}"],
            ["end_repeat", "", "", "", ""],
            ["calculate", "boleh", "", "'ya'", ""],
        ]
    )
    with pytest.raises(XmlError, match="inside a repeat"):
        public_fields(in_repeat)
