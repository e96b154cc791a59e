"""The registry of initiatives inside the instruments, filled by JavaRosa (the engine inside
ODK Collect): the profile registers an initiative as an entity of ``inisiatif`` with a label
that does not depend on the form's language; the visit log picks it from the phone's list of
the enumerator's regency, falls back to typing when it is not there, and says what the visit
changes (status, last visit)."""

from __future__ import annotations

from typing import Any

from lxml import etree

from server.tasks.instruments import CompiledInstrument, publishing_order
from tests.instruments.conftest import LISTED_INITIATIVES, FillPaths, entity_list_csv
from tests.instruments.javarosa import Fill
from tests.instruments.support import ENUMERATOR, PLACE, PROFILE_START, UNLISTED, rows

MAWAR, LESTARI, WIDORO = (row["name"] for row in LISTED_INITIATIVES)
NO_INITIATIVE = "00000000-0000-4000-8000-000000000000"
VISIT = {
    **ENUMERATOR,
    "tanggal_kunjungan": "2026-12-01",
    "provinsi": "53",
    "kab_kota": "53.01",
    "dari_daftar": "ya",
    "tujuan": "tindak_lanjut",
    "hasil": "selesai",
    "ada_petunjuk": "tidak",
    "*fill": "yes",
}
REGISTERED = {
    **PROFILE_START,
    "nama_inisiatif": "KWT Mawar",
    "tempat_di_rumah": "tidak",
    "lokasi": "-10.1772 123.607 45 5",
    "sektor_utama": "pertanian",
    "*fill": "yes",
}


def entity(result: Fill) -> dict[str, Any]:
    """The ``meta/entity`` block of a finalised instance: its attributes and label."""
    assert result.error is None and result.finished, result.error
    root = etree.fromstring(result.xml)
    [block] = [e for e in root.iter() if etree.QName(e).localname == "entity"]
    label = next((e.text or "" for e in block if etree.QName(e).localname == "label"), None)
    return {**dict(block.attrib), "label": label}


def test_the_profile_registers_the_initiative_with_what_visits_need(fill: FillPaths) -> None:
    registered, other_village, declined, inactive, out_of_scope = fill(
        "initiative_profile",
        [
            REGISTERED,
            {**REGISTERED, "desa": "", "desa_lainnya": "Babau Baru"},
            {**ENUMERATOR, "persetujuan": "tidak"},
            {**REGISTERED, "aktif_12bln": "tidak"},
            {**REGISTERED, "kolektif": "tidak"},
        ],
    )
    made = entity(registered)
    assert made["dataset"] == "inisiatif" and made["create"] in ("1", "true")
    assert made["label"] == "KWT Mawar - Babau"
    assert len(made["id"]) == 36
    values = registered.values()
    assert values["status_inisiatif"] == "aktif"
    assert values["tanggal_profil"] == values["today"] != ""
    assert values["desa_nama"] == "Babau"
    assert (values["kab_kota"], values["desa"], values["sektor_utama"]) == (
        "53.01",
        "53.01.06.1001",
        "pertanian",
    )
    assert entity(other_village)["label"] == "KWT Mawar - Babau Baru"
    assert entity(declined)["create"] in ("0", "false"), "no consent, no registration"
    assert inactive.values()["status_inisiatif"] == "tidak_aktif"
    assert out_of_scope.values()["status_inisiatif"] == "luar_lingkup"


def test_the_label_does_not_depend_on_the_forms_language(
    instruments: dict[str, CompiledInstrument],
) -> None:
    """Phones show the label whatever language the enumerator chose, so it is made only of
    what she typed or picked from the location list (one label there), never of itext."""
    root = etree.fromstring(instruments["initiative_profile"].xform)
    [label] = [
        b.get("calculate", "")
        for b in root.iter("{http://www.w3.org/2002/xforms}bind")
        if b.get("nodeset", "").endswith("/meta/entity/label")
    ]
    assert "nama_inisiatif" in label and "desa_nama" in label
    assert "itext" not in label and "choice-name" not in label
    [name] = [r for r in rows("initiative_profile") if r["name"] == "desa_nama"]
    assert "instance('villages')" in name["calculation"] and "desa_lainnya" in name["calculation"]


def test_the_visit_picks_the_initiative_from_the_list_of_its_regency(fill: FillPaths) -> None:
    picked, elsewhere = fill(
        "field_visit_log",
        [{**VISIT, "inisiatif": MAWAR}, {**VISIT, "inisiatif": WIDORO}],
    )
    assert elsewhere.error == f"inisiatif does not offer {WIDORO} here"
    update = entity(picked)
    assert update["dataset"] == "inisiatif" and update["update"] in ("1", "true")
    assert (update["id"], update["baseVersion"]) == (MAWAR, "1")
    for retyped in ("kecamatan", "desa", "ada_kode", "kode_inisiatif", "nama_kelompok"):
        assert retyped not in picked.questions
    assert "inisiatif_cek" in picked.notes
    values = picked.values()
    assert (values["inisiatif_nama"], values["inisiatif_kode"]) == ("KWT Mawar", "53-KWT0012")
    assert (values["status_baru"], values["kunjungan_terakhir"]) == ("aktif", "2026-12-01")


def test_what_a_visit_changes_in_the_registry(fill: FillPaths) -> None:
    """The outcome sets the status; a group found again is active; a visit logged late,
    older than the last one known, changes neither the status nor the last visit."""
    closed, found_again, logged_late, refused = fill(
        "field_visit_log",
        [
            {**VISIT, "inisiatif": MAWAR, "hasil": "tidak_aktif_lagi"},
            {**VISIT, "inisiatif": LESTARI, "hasil": "selesai"},
            {
                **VISIT,
                "inisiatif": LESTARI,
                "tanggal_kunjungan": "2026-11-01",
                "hasil": "bukan_ess",
            },
            {**VISIT, "inisiatif": LESTARI, "hasil": "menolak"},
        ],
    )
    assert closed.values()["status_baru"] == "tidak_aktif"
    assert entity(found_again)["baseVersion"] == "3"
    assert found_again.values()["status_baru"] == "aktif"
    late = logged_late.values()
    assert (late["status_baru"], late["kunjungan_terakhir"]) == ("tidak_ditemukan", "2026-11-25")
    assert refused.values()["status_baru"] == "tidak_ditemukan"


def test_a_group_not_in_the_list_is_typed_and_changes_no_entity(fill: FillPaths) -> None:
    """A new group, or a phone whose list is not up to date: the visit goes on as before,
    and where the regency has nothing in the list, picking from it is refused at once."""
    empty = entity_list_csv([{**LISTED_INITIATIVES[0], "kab_kota": "53.02"}])
    typed, nothing_listed = fill(
        "field_visit_log",
        [
            {**VISIT, **PLACE, **UNLISTED, "ada_kode": "belum", "nama_kelompok": "KWT Melati"},
            {**VISIT, "inisiatif": MAWAR},
        ],
        lists={"inisiatif.csv": empty},
    )
    update = entity(typed)
    assert update["update"] in ("0", "false")
    # Not blank: Central audits a blank entity id as an error even when nothing is updated.
    assert update["id"] == NO_INITIATIVE and update["baseVersion"] == ""
    assert "inisiatif" not in typed.questions and "nama_kelompok" in typed.questions
    assert nothing_listed.error is not None
    assert nothing_listed.error.startswith("dari_daftar = ya breaks its constraint")


def test_the_profile_is_published_before_the_visit_log(
    instruments: dict[str, CompiledInstrument],
) -> None:
    profile, visits, interview = (
        instruments[stem] for stem in ("initiative_profile", "field_visit_log", "member_interview")
    )
    assert profile.creates == ("inisiatif",) and visits.creates == ()
    assert visits.entity_lists == ("inisiatif.csv",) and "inisiatif.csv" not in visits.media
    by_file_name = [visits, profile, interview]
    assert publishing_order(by_file_name) == [profile, visits, interview]
    assert publishing_order([visits, interview, profile]) == [interview, profile, visits]
    assert publishing_order([profile, interview, visits]) == [profile, interview, visits]
