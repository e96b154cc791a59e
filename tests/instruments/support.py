"""What the instrument tests share: the workbooks read back row by row, and the answers
that begin each kind of path through a form."""

from __future__ import annotations

from server.tasks.instruments import read_workbook, sheet_records
from tests.instruments.conftest import INSTRUMENTS

PLACE = {
    "provinsi": "53",
    "kab_kota": "53.01",
    "kecamatan": "53.01.06",
    "desa": "53.01.06.1001",
}
ENUMERATOR = {"kode_pendata": "E012"}
CODE = {"ada_kode": "ya", "kode_inisiatif": "53-KWT0012", "nama_kelompok": "KWT Mawar"}
# A visit to a group that is not in the phone's list of initiatives: typed as before.
UNLISTED = {"dari_daftar": "tidak"}
TMJ = "tidak_mau_jawab"

INTERVIEW_START = {
    **ENUMERATOR,
    **CODE,
    "mode_latihan": "latihan",
    "usia_18": "ya",
    "persetujuan": "ya",
    "sendirian": "ya",
    "wawancara_didengar": "tidak",
}
PROFILE_START = {
    **ENUMERATOR,
    **CODE,
    **PLACE,
    "persetujuan": "ya",
    "kolektif": "ya",
    "aktif_12bln": "ya",
    "swakelola": "ya",
    "tahun_berdiri": "2015",
}


def rows(stem: str) -> list[dict[str, str]]:
    return [r for _n, r in sheet_records(read_workbook(INSTRUMENTS / f"{stem}.xlsx")["survey"])]


def choice_lists(stem: str) -> dict[str, list[str]]:
    lists: dict[str, list[str]] = {}
    for _n, r in sheet_records(read_workbook(INSTRUMENTS / f"{stem}.xlsx")["choices"]):
        lists.setdefault(r["list_name"], []).append(r["name"])
    return lists


def groups_of(stem: str) -> dict[str, list[str]]:
    """Field name → the names of its enclosing groups, outermost first."""
    out: dict[str, list[str]] = {}
    stack: list[str] = []
    for r in rows(stem):
        kind = r["type"]
        if kind in ("end_group", "end_repeat"):
            stack.pop()
            continue
        if r.get("name"):
            out[r["name"]] = list(stack)
        if kind in ("begin_group", "begin_repeat"):
            stack.append(r["name"])
    return out
