"""The instruments filled by JavaRosa, the engine inside ODK Collect, along the paths a field
team meets: an interview answered in full, one the respondent declines question by question,
one she stops early, one that is not private, one on a form not yet encrypted, a profile whose
group agrees to nothing but the interview, a group with no chair or no code, a visit refused
or cut short, and random combinations of answers; and the wording read aloud."""

from __future__ import annotations

import random

import pytest

from server.data.encryption import generate_managed_key, version_suffix
from server.data.xform import with_public_key
from server.tasks.instruments import LANGUAGES, CompiledInstrument, read_workbook, sheet_records
from tests.instruments.conftest import INSTRUMENTS, FillPaths
from tests.instruments.support import (
    CODE,
    ENUMERATOR,
    INTERVIEW_START,
    PLACE,
    PROFILE_START,
    TMJ,
    UNLISTED,
    choice_lists,
    groups_of,
    rows,
)

# Questions of the member interview the enumerator answers, or that decide whether there is
# an interview at all; every other question is put to the respondent.
NOT_PUT_TO_HER = {
    "kode_pendata",
    "ada_kode",
    "kode_inisiatif",
    "nama_kelompok",
    "mode_latihan",
    "usia_18",
    "persetujuan",
    "sendirian",
    "wawancara_didengar",
    "catatan_pendata",
}
CHECKPOINTS = ["lanjut_b2", "lanjut_b3", "lanjut_b4", "lanjut_b6"]
SECTIONS = {
    "lanjut_b2": "b2",
    "lanjut_b3": "b3",
    "lanjut_b4": "b4",
    "lanjut_b6": "b6",
}

# A respondent who goes on at every stop point and answers whatever is not scripted.
ANSWERED = {**INTERVIEW_START, **{name: "lanjut" for name in CHECKPOINTS}, "*fill": "yes"}

DECISION_TOPICS = (
    "produksi",
    "penggunaan_pendapatan",
    "pembelian_aset",
    "pinjaman",
    "ikut_pelatihan",
    "kesehatan_sendiri",
)
DECISION_INPUTS = {f"masukan_{d}" for d in DECISION_TOPICS}


def put_to_her() -> list[dict[str, str]]:
    """The member interview's questions put to the respondent herself."""
    hidden = ("calculate", "note", "begin_group", "end_group", "start", "end", "today")
    return [
        r
        for r in rows("member_interview")
        if r["type"].split()[0] not in hidden + ("deviceid", "username")
        and r["name"] not in NOT_PUT_TO_HER
        and not r["name"].startswith("lanjut_")
    ]


# A way to decline ---------------------------------------------------------------------------


def test_every_choice_question_put_to_her_can_be_declined() -> None:
    lists = choice_lists("member_interview")
    questions = put_to_her()
    assert len(questions) > 30
    for r in questions:
        words = r["type"].split()
        if words[0] in ("select_one", "select_multiple"):
            assert TMJ in lists[words[1]], r["name"]
        if words[0] == "select_multiple":
            assert f"selected(., '{TMJ}')" in r["constraint"], r["name"]


def test_what_cannot_carry_a_choice_is_optional_or_declined_with_its_section() -> None:
    """Hours are numbers: time use is declined as a whole at its stop point; texts are
    never required."""
    groups = groups_of("member_interview")
    for r in put_to_her():
        kind = r["type"].split()[0]
        if kind in ("select_one", "select_multiple"):
            continue
        if r.get("required") == "yes":
            assert kind == "decimal" and "b6" in groups[r["name"]], r["name"]
    lists = choice_lists("member_interview")
    checkpoint = next(r for r in rows("member_interview") if r["name"] == "lanjut_b6")
    assert "lewati" in lists[checkpoint["type"].split()[1]]


def test_declining_every_question_still_finishes_the_interview(fill: FillPaths) -> None:
    path = {
        **INTERVIEW_START,
        **{name: "lanjut" for name in CHECKPOINTS},
        "lanjut_b6": "lewati",
        "*default": TMJ,
    }
    (declined,) = fill("member_interview", [path])
    assert declined.error is None and declined.finished
    answers = dict(declined.asked)
    her = {r["name"] for r in put_to_her()} - set(path)
    optional = {r["name"] for r in put_to_her() if r.get("required") != "yes"}
    for name, value in answers.items():
        if name in her:
            assert value == TMJ or (value == "" and name in optional), (name, value)
    sensitive = {
        "porsi_pendapatan",
        "punya_rekening",
        "pinjam_12bln",
        "aset_atas_nama",
        "kelompok_lain",
    } | {f"{who}_{d}" for who in ("pengambil", "bisa") for d in ("produksi", "pinjaman")}
    assert sensitive <= set(answers)
    assert not any(name.startswith("jam_") for name in answers)
    assert not any(name.startswith("masukan_") and name in DECISION_INPUTS for name in answers)
    assert "rujukan" in declined.notes
    assert declined.values()["status_wawancara"] == "selesai"


SENSITIVE = [
    "porsi_pendapatan",
    "perubahan_pendapatan",
    *(f"{who}_{d}" for d in DECISION_TOPICS for who in ("pengambil", "masukan", "bisa")),
    "punya_rekening",
    "pinjam_12bln",
    "sumber_pinjaman",
    "syarat_izin_suami",
    "aset_atas_nama",
    "hari_biasa",
    "beban_kerja",
]


def test_each_sensitive_question_can_be_declined_and_the_form_finishes(
    fill: FillPaths,
) -> None:
    """One path per question: she declines it (and only it); the form still finishes and sends
    ``tidak_mau_jawab``. Time use is declined as a block at its stop point."""
    before = {
        "pinjam_12bln": "ya",
        "porsi_pendapatan": "kurang_seperempat",
        **{f"pengambil_{d}": "suami_pasangan" for d in DECISION_TOPICS},
    }
    paths = [{**ANSWERED, **before, name: TMJ} for name in SENSITIVE]
    paths.append({**ANSWERED, "lanjut_b6": "lewati"})
    *declined, no_time_use = fill("member_interview", paths)
    for name, result in zip(SENSITIVE, declined, strict=True):
        assert result.error is None and result.finished, (name, result.error)
        assert (name, TMJ) in result.asked, name
        assert TMJ in result.all_values(name), name
    assert no_time_use.error is None and no_time_use.finished
    assert not any(name.startswith("jam_") for name in no_time_use.questions)
    assert no_time_use.values()["status_wawancara"] == "selesai"


def test_prefer_not_to_answer_cannot_be_combined(fill: FillPaths) -> None:
    lists = choice_lists("member_interview")
    multiple = [r for r in put_to_her() if r["type"].startswith("select_multiple")]
    assert len(multiple) >= 8
    paths = []
    for r in multiple:
        other = next(c for c in lists[r["type"].split()[1]] if c != TMJ)
        paths.append(
            {
                **INTERVIEW_START,
                **{name: "lanjut" for name in CHECKPOINTS},
                "pinjam_12bln": "ya",
                "porsi_pendapatan": "kurang_seperempat",
                r["name"]: f"{other} {TMJ}",
                "*fill": "yes",
            }
        )
    for r, result in zip(multiple, fill("member_interview", paths), strict=True):
        assert result.error is not None, r["name"]
        assert result.error.startswith(f"{r['name']} = ") and "constraint" in result.error


# Stopping early ----------------------------------------------------------------------------


@pytest.mark.parametrize("stop_at", CHECKPOINTS)
def test_an_interview_stopped_early_is_complete_so_far(fill: FillPaths, stop_at: str) -> None:
    before = CHECKPOINTS[: CHECKPOINTS.index(stop_at)]
    path = {
        **INTERVIEW_START,
        **{name: "lanjut" for name in before},
        stop_at: "berhenti",
        "*fill": "yes",
    }
    (stopped,) = fill("member_interview", [path])
    assert stopped.error is None and stopped.finished
    values = stopped.values()
    assert values["status_wawancara"] == f"berhenti_sebelum_{SECTIONS[stop_at]}"
    assert values["usia_kelompok"], "answers given before the stop are kept"
    groups = groups_of("member_interview")
    later = {SECTIONS[c] for c in CHECKPOINTS[CHECKPOINTS.index(stop_at) :]} | {"b5", "b7"}
    if stop_at == "lanjut_b6":
        later -= {"b5"}
    asked_later = [n for n in stopped.questions if set(groups.get(n, [])) & later]
    assert asked_later == []
    assert "pesan_kebijakan" not in stopped.questions
    assert "rujukan" in stopped.notes, "referral information is read to everyone"
    assert "wawancara_didengar" in stopped.questions


def test_the_profile_can_stop_before_governance_or_money(fill: FillPaths) -> None:
    stop_a5, stop_a7 = fill(
        "initiative_profile",
        [
            {**PROFILE_START, "lanjut_a5": "berhenti", "*fill": "yes"},
            {**PROFILE_START, "lanjut_a5": "lanjut", "lanjut_a7": "berhenti", "*fill": "yes"},
        ],
    )
    groups = groups_of("initiative_profile")
    for stopped, status, skipped in (
        (stop_a5, "berhenti_sebelum_a5", {"a5", "a6", "a7", "a8", "a9", "a10", "a11"}),
        (stop_a7, "berhenti_sebelum_a7", {"a7", "a8", "a9", "a10", "a11"}),
    ):
        assert stopped.error is None and stopped.finished
        assert stopped.values()["status_wawancara"] == status
        assert stopped.values()["nama_inisiatif"]
        assert not [n for n in stopped.questions if set(groups.get(n, [])) & skipped]


def test_a_group_that_agrees_only_to_the_interview_still_finishes(fill: FillPaths) -> None:
    """The profile along the "declines everything" path: no publication, no photos,
    governance and money skipped, "don't know" wherever it is offered."""
    path = {
        **PROFILE_START,
        "izin_publikasi": "tidak",
        "izin_foto": "tidak",
        "lanjut_a5": "lewati",
        "lanjut_a7": "lewati",
        "*default": "tidak_tahu",
        "*fill": "yes",
    }
    del path["tahun_berdiri"]
    (declined,) = fill("initiative_profile", [path])
    assert declined.error is None and declined.finished
    groups = groups_of("initiative_profile")
    asked = {g for name in declined.questions for g in groups.get(name, [])}
    assert "a5" not in asked and "a7" not in asked
    assert {"a6", "a8", "a9", "a10", "a11"} <= asked
    for consent in ("izin_lokasi_peta", "izin_publikasi_foto", "kontak_publik", "foto_1"):
        assert consent not in declined.questions, consent
    values = declined.values()
    assert values["tahun_berdiri_tahu"] == "tidak_tahu" and not values.get("tahun_berdiri")
    assert values["dampak_asean"] == "tidak_tahu"
    assert values["terbit_profil"] == "tidak"
    assert values["status_wawancara"] == "selesai"


def test_the_profile_has_a_way_out_for_capital_the_chair_and_barriers(fill: FillPaths) -> None:
    answered = {**PROFILE_START, "lanjut_a5": "lanjut", "lanjut_a7": "lanjut", "*fill": "yes"}
    unknown, other, mixed = fill(
        "initiative_profile",
        [
            {**answered, "sumber_modal": "tidak_tahu", "cara_pilih_ketua": "tidak_tahu"},
            {
                **answered,
                "cara_pilih_ketua": "lainnya",
                "cara_pilih_ketua_lainnya": "Dipilih pengurus lama",
                "hambatan_perempuan": "modal lainnya",
                "hambatan_perempuan_lainnya": "Jarak ke tempat rapat",
            },
            {**answered, "sumber_modal": "simpanan_iuran_anggota tidak_tahu"},
        ],
    )
    for result in (unknown, other):
        assert result.error is None and result.finished
    assert "sumber_modal_lainnya" not in unknown.questions
    assert "cara_pilih_ketua_lainnya" not in unknown.questions
    assert {"cara_pilih_ketua_lainnya", "hambatan_perempuan_lainnya"} <= set(other.questions)
    assert mixed.error is not None and mixed.error.startswith("sumber_modal = ")


# Privacy ---------------------------------------------------------------------------------------


def with_safety_module(xform: bytes) -> bytes:
    """The member interview as a coordinator switches the safety module on after review."""
    switched = xform.replace(
        b'nodeset="/data/b0/modul_b8_aktif" type="string" calculate="\'0\'"',
        b'nodeset="/data/b0/modul_b8_aktif" type="string" calculate="\'1\'"',
    )
    assert switched != xform
    return switched


def test_not_private_no_household_decisions_no_loans(fill: FillPaths) -> None:
    everyone_hears = {**INTERVIEW_START, "sendirian": "tidak", "*fill": "yes"}
    tried, skipped = fill(
        "member_interview",
        [
            {**everyone_hears, **{name: "lanjut" for name in CHECKPOINTS}},
            {
                **everyone_hears,
                **{name: "lanjut" for name in CHECKPOINTS},
                "lanjut_b3": "tidak_pribadi",
                "lanjut_b4": "tidak_pribadi",
            },
        ],
    )
    assert tried.error is not None and tried.error.startswith("lanjut_b3 = lanjut")
    assert skipped.error is None and skipped.finished
    assert "tidak_sendirian" in skipped.notes
    assert {"pindah_b3", "pindah_b4"} <= set(skipped.notes)
    groups = groups_of("member_interview")
    asked = {g for name in skipped.questions for g in groups.get(name, [])}
    assert "b3" not in asked and "b4" not in asked
    assert {"b2", "b5", "b6", "b7"} <= asked
    assert skipped.values()["status_wawancara"] == "selesai"


def test_privacy_is_checked_again_before_each_private_section(fill: FillPaths) -> None:
    (overheard,) = fill(
        "member_interview",
        [
            {
                **INTERVIEW_START,
                **{name: "lanjut" for name in CHECKPOINTS},
                "lanjut_b3": "tidak_pribadi",
                "*fill": "yes",
            }
        ],
    )
    assert overheard.error is None and overheard.finished
    groups = groups_of("member_interview")
    asked = {g for name in overheard.questions for g in groups.get(name, [])}
    assert "b3" not in asked and "b4" in asked
    assert "pindah_b3" in overheard.notes


def test_the_safety_module_once_switched_on_is_asked_only_in_private(
    fill: FillPaths, instruments: dict[str, CompiledInstrument]
) -> None:
    xform = with_safety_module(instruments["member_interview"].xform)
    answered = {**INTERVIEW_START, **{name: "lanjut" for name in CHECKPOINTS}, "*fill": "yes"}
    alone, overheard, stopped = fill(
        "member_interview",
        [
            {**answered, "lanjut_b8": "lanjut"},
            {**answered, "sendirian": "tidak", "lanjut_b3": "lewati", "lanjut_b4": "lewati"},
            {**answered, "lanjut_b8": "berhenti"},
        ],
        xform=xform,
    )
    for result in (alone, overheard, stopped):
        assert result.error is None and result.finished
    assert {"dilarang_ikut", "pendapatan_diambil"} <= set(alone.questions)
    assert "lanjut_b8" not in overheard.questions
    assert "dilarang_ikut" not in overheard.questions
    assert stopped.values()["status_wawancara"] == "berhenti_sebelum_b8"
    assert "dilarang_ikut" not in stopped.questions
    assert "rujukan" in stopped.notes


# Encryption ----------------------------------------------------------------------------------


def as_sent_with_managed_encryption(xform: bytes) -> bytes:
    """The XForm as the server rewrites it once the project's managed encryption is on:
    Central's ``[encrypted:…]`` suffix on the primary instance's version and the project's
    public key (`test_encrypted_interview` downloads it from a running server instead)."""
    public_key, _ = generate_managed_key("unused passphrase")
    return with_public_key(xform, public_key, version_suffix(1_764_892_800_000))


def test_encryption_is_promised_only_by_a_form_that_is_encrypted(
    fill: FillPaths, instruments: dict[str, CompiledInstrument]
) -> None:
    consent = next(r for r in rows("member_interview") if r["name"] == "naskah_persetujuan")
    for text in (consent[f"label::{lang}"] for lang in LANGUAGES):
        assert "enkrip" not in text.lower() and "encrypt" not in text.lower()
        assert "sandi" not in text.lower() and "password" not in text.lower()
    path = {**INTERVIEW_START, "persetujuan": "tidak"}
    del path["mode_latihan"]
    (locked,) = fill(
        "member_interview",
        [path],
        xform=as_sent_with_managed_encryption(instruments["member_interview"].xform),
    )
    assert locked.error is None and locked.finished
    assert "mode_latihan" not in locked.questions
    assert "naskah_terkunci" in locked.notes
    assert locked.values()["terkunci"] == "1"
    (training,) = fill("member_interview", [{**path, "mode_latihan": "latihan"}])
    assert training.error is None and training.finished
    assert "naskah_terkunci" not in training.notes
    assert training.values()["terkunci"] == "0"


def test_an_unencrypted_interview_never_reaches_a_real_respondent(fill: FillPaths) -> None:
    (refused,) = fill(
        "member_interview",
        [{**INTERVIEW_START, "mode_latihan": "responden", "*fill": "yes"}],
    )
    assert refused.error is None and refused.finished
    assert refused.questions == [
        "kode_pendata",
        "ada_kode",
        "kode_inisiatif",
        "nama_kelompok",
        "mode_latihan",
    ]
    assert "belum_terkunci" in refused.notes
    assert refused.values()["status_wawancara"] == "belum_terkunci"


# Logic that cannot trap an enumerator ------------------------------------------------------

HOURS = [
    "jam_tidur_istirahat",
    "jam_kerja_usaha_kelompok",
    "jam_usaha_sendiri_kerja_upahan",
    "jam_bertani_beternak",
    "jam_memasak_membersihkan_mencuci",
    "jam_mengasuh_merawat",
    "jam_mengambil_air_kayu",
    "jam_kegiatan_sosial_keagamaan",
    "jam_kegiatan_organisasi_kelompok",
    "jam_perjalanan",
    "jam_lainnya",
]


def day(*hours: str) -> dict[str, str]:
    assert len(hours) == len(HOURS)
    return dict(zip(HOURS, hours, strict=True))


def test_input_into_a_decision_is_skipped_only_when_she_decides_alone(fill: FillPaths) -> None:
    alone, jointly, husband, declined = fill(
        "member_interview",
        [
            {**ANSWERED, "pengambil_produksi": "saya_sendiri"},
            {**ANSWERED, "pengambil_produksi": "saya_sendiri suami_pasangan"},
            {**ANSWERED, "pengambil_produksi": "suami_pasangan"},
            {**ANSWERED, "pengambil_produksi": TMJ},
        ],
    )
    for result in (alone, jointly, husband, declined):
        assert result.error is None and result.finished
    assert "masukan_produksi" not in alone.questions
    assert "masukan_produksi" in jointly.questions
    assert "masukan_produksi" in husband.questions
    assert "masukan_produksi" not in declined.questions
    assert "bisa_produksi" in declined.questions


def test_income_decisions_only_for_income_from_the_group(fill: FillPaths) -> None:
    none, some = fill(
        "member_interview",
        [
            {**ANSWERED, "porsi_pendapatan": "tidak_ada"},
            {**ANSWERED, "porsi_pendapatan": "kurang_seperempat"},
        ],
    )
    assert none.finished and some.finished
    assert "pengambil_penggunaan_pendapatan" not in none.questions
    assert "pengambil_penggunaan_pendapatan" in some.questions


def test_time_use_takes_a_decimal_point_and_warns_about_a_short_day(fill: FillPaths) -> None:
    guidance = next(r for r in rows("member_interview") if r["name"] == "jam_petunjuk")
    assert (
        "1.5" in guidance[f"label::{LANGUAGES[0]}"]
        and "titik" in guidance[f"label::{LANGUAGES[0]}"]
    )
    assert "1,5" not in "".join(
        r.get(f"hint::{LANGUAGES[0]}", "") for r in rows("member_interview")
    )
    full, short, too_long = fill(
        "member_interview",
        [
            {**ANSWERED, **day("7.5", "3", "0", "2", "3.5", "4", "0.5", "1", "1", "1", "0.5")},
            {**ANSWERED, **day("6", "2", "0", "0", "2", "2", "0", "0", "1", "0.5", "0")},
            {**ANSWERED, **day("9", "3", "0", "2", "3.5", "4", "0.5", "1", "1", "1", "0.5")},
        ],
    )
    assert full.error is None and full.finished
    assert full.values()["total_jam"] == "24"
    assert "jam_perjalanan" in full.questions
    assert "total_jam_kurang" not in full.notes
    assert short.error is None and short.finished
    assert "total_jam_kurang" in short.notes, "a day of 13.5 hours is questioned"
    assert too_long.error is not None and too_long.error.startswith("jam_lainnya")


def test_effects_of_open_markets_are_asked_of_everyone(fill: FillPaths) -> None:
    (member,) = fill("member_interview", [{**ANSWERED, "tahu_mea": "tidak"}])
    assert "dampak_keluarga" in member.questions
    (group,) = fill(
        "initiative_profile",
        [
            {
                **PROFILE_START,
                "lanjut_a5": "lanjut",
                "lanjut_a7": "lanjut",
                "tahu_mea": "tidak",
                "*fill": "yes",
            }
        ],
    )
    assert "dampak_asean" in group.questions


def test_the_profile_has_an_answer_for_every_real_case(fill: FillPaths) -> None:
    unknowns = {
        "tahun_berdiri_tahu": "tidak_tahu",
        "didirikan_oleh": "tidak_tahu",
        "bentuk": "kop_wanita",
        "jenis_koperasi": "tidak_tahu",
        "tipe_anggota": "tidak_tahu",
        "ada_anggota_disabilitas": "tidak_tahu",
        "ada_anggota_muda": "tidak_tahu",
        "ketua_jk": "tidak_ada",
        "pendiri_perempuan": "tidak_tahu",
    }
    path = {**PROFILE_START, "lanjut_a5": "lanjut", "lanjut_a7": "lanjut", "*fill": "yes"}
    del path["tahun_berdiri"]
    (unknown,) = fill("initiative_profile", [{**path, **unknowns}])
    assert unknown.error is None and unknown.finished
    for skipped in ("tahun_berdiri", "anggota_disabilitas", "anggota_muda", "cara_pilih_ketua"):
        assert skipped not in unknown.questions
    assert unknown.values()["status_wawancara"] == "selesai"


def test_the_province_and_the_initiative_code_agree(fill: FillPaths) -> None:
    (profile,) = fill("initiative_profile", [{**PROFILE_START, "provinsi": "35", "*fill": "yes"}])
    assert profile.error is not None and profile.error.startswith("provinsi = 35")
    (visit,) = fill(
        "field_visit_log",
        [{**ENUMERATOR, **PLACE, **UNLISTED, "kode_inisiatif": "35-KWT0012", "*fill": "yes"}],
    )
    assert visit.error is not None and visit.error.startswith("kode_inisiatif = 35-KWT0012")


def test_one_visit_can_serve_a_profile_and_interviews(fill: FillPaths) -> None:
    visit = {**ENUMERATOR, **PLACE, **UNLISTED, **CODE, "*fill": "yes"}
    both, refused = fill(
        "field_visit_log",
        [
            {**visit, "tujuan": "profil_a wawancara_b", "hasil": "selesai"},
            {
                **visit,
                "tujuan": "profil_a wawancara_b",
                "hasil": "menolak",
                "alasan_menolak": "tidak_disebutkan",
            },
        ],
    )
    assert both.error is None and both.finished
    assert "jumlah_wawancara_b" in both.questions
    assert refused.error is None and refused.finished
    assert "jumlah_wawancara_b" not in refused.questions


# SSE principles and gender ---------------------------------------------------------------------


def test_the_member_says_how_she_joined_and_how_she_takes_part(fill: FillPaths) -> None:
    borrowed, did_not = fill(
        "member_interview",
        [{**ANSWERED, "pinjam_12bln": "ya"}, {**ANSWERED, "pinjam_12bln": "tidak"}],
    )
    for result in (borrowed, did_not):
        assert result.error is None and result.finished
        assert {
            "bergabung_sukarela",
            "ikut_memilih_ketua",
            "hadir_rapat_terakhir",
            "terima_laporan_keuangan",
        } <= set(result.questions)
    assert "syarat_izin_suami" in borrowed.questions
    assert "syarat_izin_suami" not in did_not.questions


def test_the_profile_asks_how_surplus_is_shared_and_who_keeps_the_money(
    fill: FillPaths,
) -> None:
    answered = {**PROFILE_START, "lanjut_a5": "lanjut", "lanjut_a7": "lanjut", "*fill": "yes"}
    sharing, credit = fill(
        "initiative_profile",
        [
            {**answered, "surplus": "dibagi_anggota modal_kelompok"},
            {**answered, "kegiatan_ekonomi": "simpan_pinjam", "surplus": "belum_ada_surplus"},
        ],
    )
    for result in (sharing, credit):
        assert result.error is None and result.finished
        assert {"bendahara_jk", "anggota_syarat_bantuan"} <= set(result.questions)
    assert "dasar_pembagian" in sharing.questions
    assert "pinjaman_izin_suami" not in sharing.questions
    assert "dasar_pembagian" not in credit.questions
    assert "pinjaman_izin_suami" in credit.questions


def test_redundant_items_are_gone() -> None:
    names = {
        stem: {r["name"] for r in rows(stem)} for stem in ("initiative_profile", "member_interview")
    }
    assert {"a3b", "usaha", "usaha_omzet"} & names["initiative_profile"] == set()
    assert {"harapan_kebijakan", "yang_memutuskan_pinjam", "jenis_kelamin"} & names[
        "member_interview"
    ] == set()
    assert "pesan_kebijakan" in names["member_interview"]


# Language ---------------------------------------------------------------------------------------


def test_what_is_read_aloud_is_a_question_addressed_to_her() -> None:
    groups = groups_of("member_interview")
    for r in put_to_her():
        label = r[f"label::{LANGUAGES[0]}"]
        if r["name"].endswith("_lainnya") or "jam" in groups[r["name"]]:
            continue
        assert label.endswith("?"), (r["name"], label)
        assert label.split()[0] not in ("Jenis", "Kelompok", "Tempat", "Pendidikan"), label
    jam = next(r for r in rows("member_interview") if r["name"] == "jam")
    assert jam[f"label::{LANGUAGES[0]}"].startswith("Kemarin, berapa jam")
    member = {
        (r["list_name"], r["name"]): r[f"label::{LANGUAGES[0]}"]
        for _n, r in sheet_records(read_workbook(INSTRUMENTS / "member_interview.xlsx")["choices"])
    }
    assert member[("pengambil_keputusan", "saya_sendiri")] == "Ibu sendiri"
    assert not any(" saya" in f" {label.lower()}" for label in member.values())
    assert [
        member[("sejauh_mana", n)] for n in ("tidak_sama_sekali", "sedikit", "sedang", "tinggi")
    ] == [
        "Tidak bisa",
        "Sedikit",
        "Cukup",
        "Sangat bisa",
    ]
    assert member[("beban_kerja", "cukup")] == "Pas"


def test_no_jargon_where_a_plain_word_will_do() -> None:
    for stem in ("initiative_profile", "member_interview", "field_visit_log"):
        sheets = read_workbook(INSTRUMENTS / f"{stem}.xlsx")
        for sheet in ("survey", "choices"):
            for _n, r in sheet_records(sheets[sheet]):
                for lang in LANGUAGES:
                    for column in ("label", "hint"):
                        text = r.get(f"{column}::{lang}", "").lower()
                        assert "enkrip" not in text and "encrypt" not in text, (stem, r["name"])
    values = {r["name"]: r for r in rows("initiative_profile") if r["name"].startswith("nilai_")}
    assert len(values) == 7
    for name, r in values.items():
        for lang in LANGUAGES:
            label = r[f"label::{lang}"]
            assert ": " in label and len(label.split(": ", 1)[1]) > 20, (name, lang)


# Linking to the initiative -------------------------------------------------------------------


def test_no_form_traps_a_group_without_a_code(fill: FillPaths) -> None:
    no_code = {"ada_kode": "belum"}
    (profile,) = fill(
        "initiative_profile",
        [
            {
                **PROFILE_START,
                **no_code,
                "provinsi": "35",
                "kab_kota": "35.01",
                "kecamatan": "35.01.01",
                "desa": "",
                "desa_lainnya": "Desa Baru",
                "*fill": "yes",
            }
        ],
    )
    assert profile.error is None and profile.finished
    assert "kode_inisiatif" not in profile.questions and "kode_belum" in profile.notes
    (interview,) = fill(
        "member_interview",
        [{**INTERVIEW_START, **no_code, "nama_kelompok": "KWT Mawar", "persetujuan": "tidak"}],
    )
    assert interview.error is None and interview.finished
    assert interview.values()["kode_responden"].startswith("BARU-E012-")
    (not_found,) = fill(
        "field_visit_log",
        [
            {
                **ENUMERATOR,
                **PLACE,
                **UNLISTED,
                **no_code,
                "nama_kelompok": "KWT Melati",
                "hasil": "tidak_ditemukan",
                "*fill": "yes",
            }
        ],
    )
    assert not_found.error is None and not_found.finished
    assert "kode_inisiatif" not in not_found.questions


def test_a_typed_code_comes_with_the_group_name_to_check_it(fill: FillPaths) -> None:
    """Until the initiative is picked from a list, the group's name is recorded beside a
    typed code in the interview and the visit log, so that the coordinator catches a code
    with a swapped digit that still matches the pattern."""
    (interview,) = fill("member_interview", [{**INTERVIEW_START, "persetujuan": "tidak"}])
    (visit,) = fill(
        "field_visit_log", [{**ENUMERATOR, **PLACE, **UNLISTED, **CODE, "*fill": "yes"}]
    )
    for result in (interview, visit):
        assert result.error is None and result.finished
        assert result.questions.index("nama_kelompok") == 1 + result.questions.index(
            "kode_inisiatif"
        )
        values = result.values()
        assert (values["kode_inisiatif"], values["nama_kelompok"]) == ("53-KWT0012", "KWT Mawar")
    assert interview.values()["kode_responden"].startswith("53-KWT0012-")


def test_leads_are_listed_one_by_one_with_or_without_a_card(fill: FillPaths) -> None:
    (visit,) = fill(
        "field_visit_log",
        [
            {
                **ENUMERATOR,
                **PLACE,
                **UNLISTED,
                **CODE,
                "ada_petunjuk": "ya",
                "*repeat:petunjuk": "2",
                "petunjuk_nama": "Bank Sampah Lestari",
                "petunjuk_desa": "Naibonat, Kupang Timur",
                "petunjuk_kode": "",
                "*fill": "yes",
            }
        ],
    )
    assert visit.error is None and visit.finished
    assert visit.repeats == ["petunjuk", "petunjuk"]
    assert visit.all_values("petunjuk_nama") == ["Bank Sampah Lestari"] * 2


# Whole forms --------------------------------------------------------------------------------


def test_every_instrument_can_be_filled_to_the_end(fill: FillPaths) -> None:
    for stem, start in (
        ("initiative_profile", PROFILE_START),
        ("member_interview", {**INTERVIEW_START, **{c: "lanjut" for c in CHECKPOINTS}}),
        ("field_visit_log", {**ENUMERATOR, **UNLISTED, **CODE, **PLACE}),
    ):
        (done,) = fill(stem, [{**start, "*fill": "yes"}])
        assert done.error is None, (stem, done.error)
        assert done.finished, stem
        if stem != "field_visit_log":
            assert done.values()["status_wawancara"] == "selesai"
    (profile,) = fill("initiative_profile", [{**PROFILE_START, "*fill": "yes"}])
    assert "peran_responden" in profile.questions


def random_answers(stem: str, start: dict[str, str], rng: random.Random) -> dict[str, str]:
    """A path that picks one random choice at every multiple or single choice not in
    ``start`` and fills the rest: what an enumerator meets across many real cases."""
    lists = choice_lists(stem)
    path = {**start, "*fill": "yes"}
    for r in rows(stem):
        words = r["type"].split()
        if words[0] in ("select_one", "select_multiple") and r["name"] not in start:
            path[r["name"]] = rng.choice(lists[words[1]])
    path.pop("sektor_lain", None)  # its choices leave out the main sector
    if path.get("peran_responden") == "pendamping":
        path["izin_publikasi"] = "tidak"  # only the group itself may agree (tested above)
    return path


@pytest.mark.parametrize(
    ("stem", "start"),
    [
        ("member_interview", INTERVIEW_START),
        ("initiative_profile", PROFILE_START),
        ("field_visit_log", {**ENUMERATOR, **PLACE, **CODE}),
    ],
    ids=["member_interview", "initiative_profile", "field_visit_log"],
)
def test_no_combination_of_answers_traps_the_enumerator(
    fill: FillPaths, stem: str, start: dict[str, str]
) -> None:
    rng = random.Random(f"{stem}-2026")
    paths = [random_answers(stem, start, rng) for _ in range(8)]
    for path, result in zip(paths, fill(stem, paths), strict=True):
        assert result.error is None and result.finished, (result.error, path)


def test_a_visit_refused_without_reason_or_cut_short_is_still_logged(fill: FillPaths) -> None:
    visit = {**ENUMERATOR, **PLACE, **UNLISTED, "tujuan": "profil_a", "ada_petunjuk": "tidak"}
    refused, unsafe = fill(
        "field_visit_log",
        [
            {
                **visit,
                "ada_kode": "belum",
                "nama_kelompok": "KWT Melati",
                "hasil": "menolak",
                "alasan_menolak": "tidak_disebutkan",
                "insiden": "tidak_ada",
                "sinyal": "tidak_ada",
            },
            {
                **visit,
                **CODE,
                "hasil": "tidak_aman",
                "insiden": "keamanan_pendata",
                "insiden_catatan": "Didatangi orang yang melarang pendataan.",
                "sinyal": "2g_lemah",
            },
        ],
    )
    for result in (refused, unsafe):
        assert result.error is None and result.finished
        assert "jumlah_wawancara_b" not in result.questions
    assert refused.values()["alasan_menolak"] == "tidak_disebutkan"
    assert unsafe.values()["insiden_catatan"]
    assert "tidak_aman_catatan" in unsafe.notes and "tidak_aman_catatan" not in refused.notes


def test_a_respondent_turned_away_still_gets_the_card() -> None:
    """Under 18 or not consenting: the interview ends, the referral card is still given."""
    notes = {r["name"]: r for r in rows("member_interview")}
    for name in ("di_bawah_18", "tidak_setuju"):
        indonesian, english = (notes[name][f"label::{lang}"] for lang in LANGUAGES)
        assert "kartu" in indonesian and "rujukan" in indonesian, name
        assert "card" in english and "referral" in english, name


def test_a_refusal_ends_the_interview(fill: FillPaths) -> None:
    (profile,) = fill("initiative_profile", [{**ENUMERATOR, "persetujuan": "tidak"}])
    assert profile.finished and profile.error is None
    assert profile.questions == ["kode_pendata", "persetujuan"]
    assert profile.values()["status_wawancara"] == "tidak_setuju"
    (interview,) = fill(
        "member_interview",
        [
            {
                **ENUMERATOR,
                **CODE,
                "mode_latihan": "latihan",
                "usia_18": "ya",
                "persetujuan": "tidak",
            }
        ],
    )
    assert interview.finished and interview.error is None
    assert "tidak_setuju" in interview.notes
    assert interview.values()["status_wawancara"] == "tidak_setuju"
