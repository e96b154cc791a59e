"""Fixtures of the instrument tests: the instruments compiled once, and JavaRosa fills."""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from server.tasks.instruments import CompiledInstrument, compile_instrument
from tests.instruments.javarosa import Fill, compile_formfill, fill_paths

INSTRUMENTS = Path(__file__).resolve().parents[2] / "instruments"

FillPaths = Callable[..., list[Fill]]


@pytest.fixture(scope="session")
def instruments() -> dict[str, CompiledInstrument]:
    """Every instrument compiled, by workbook stem."""
    return {path.stem: compile_instrument(path) for path in sorted(INSTRUMENTS.glob("*.xlsx"))}


@pytest.fixture(scope="session")
def fill(
    instruments: dict[str, CompiledInstrument], tmp_path_factory: pytest.TempPathFactory
) -> FillPaths:
    """``fill(stem, paths, xform=None, lists=None)``: JavaRosa fills of one instrument, one
    per path.

    ``xform`` replaces the compiled XForm (for a variant of it, such as the one the server
    sends once managed encryption is on). ``lists`` gives the entity lists on the phone by
    file name (CSV bytes, as the server sends them or as Collect keeps them); an entity list
    not given is `LISTED_INITIATIVES`."""
    classes = compile_formfill(tmp_path_factory.mktemp("formfill"))
    runs = itertools.count()

    def run(
        stem: str,
        paths: Sequence[Mapping[str, str]],
        xform: bytes | None = None,
        lists: Mapping[str, bytes] | None = None,
    ) -> list[Fill]:
        compiled = instruments[stem]
        work = tmp_path_factory.mktemp(f"fill-{stem}-{next(runs)}")
        media = work / "media"
        media.mkdir()
        for name, source in compiled.media.items():
            (media / name).symlink_to(source)
        for name in compiled.entity_lists:
            given = (lists or {}).get(name)
            (media / name).write_bytes(given if given is not None else listed_initiatives())
        return fill_paths(classes, xform or compiled.xform, media, paths, work)

    return run


# The phone's list of initiatives when a test gives none: two in the regency of `PLACE`
# (one active with a code, one not found at the last visit and without a code) and one in
# another regency, with the columns the server sends (`name,label,__version`, then the
# properties the profile saves).
LISTED_INITIATIVES = [
    {
        "name": "5a1e0c4e-1b7a-4e55-9d1a-3c6f0b2a9e01",
        "label": "KWT Mawar - Babau",
        "__version": "1",
        "nama": "KWT Mawar",
        "kode": "53-KWT0012",
        "provinsi": "53",
        "kab_kota": "53.01",
        "kecamatan": "53.01.06",
        "desa": "53.01.06.1001",
        "lokasi": "-10.1772 123.607 45 5",
        "sektor": "pertanian",
        "desa_nama": "Babau",
        "status": "aktif",
        "kunjungan_terakhir": "2026-11-20",
    },
    {
        "name": "5a1e0c4e-1b7a-4e55-9d1a-3c6f0b2a9e02",
        "label": "Bank Sampah Lestari - Babau",
        "__version": "3",
        "nama": "Bank Sampah Lestari",
        "kode": "",
        "provinsi": "53",
        "kab_kota": "53.01",
        "kecamatan": "53.01.06",
        "desa": "53.01.06.1001",
        "lokasi": "",
        "sektor": "sampah_daur_ulang",
        "desa_nama": "Babau",
        "status": "tidak_ditemukan",
        "kunjungan_terakhir": "2026-11-25",
    },
    {
        "name": "5a1e0c4e-1b7a-4e55-9d1a-3c6f0b2a9e03",
        "label": "Koperasi Wanita Widoro - Widoro",
        "__version": "2",
        "nama": "Koperasi Wanita Widoro",
        "kode": "35-KOP0001",
        "provinsi": "35",
        "kab_kota": "35.01",
        "kecamatan": "35.01.01",
        "desa": "35.01.01.2001",
        "lokasi": "",
        "sektor": "keuangan_simpan_pinjam",
        "desa_nama": "Widoro",
        "status": "aktif",
        "kunjungan_terakhir": "2026-10-02",
    },
]


def entity_list_csv(rows: Sequence[Mapping[str, str]]) -> bytes:
    """An entity list as CSV, columns in the order of the first row."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def listed_initiatives() -> bytes:
    return entity_list_csv(LISTED_INITIATIVES)


# Answers (by path) that bring a complete visit log to the regency of `LISTED_INITIATIVES`,
# so that the initiative question has something to pick.
LISTED_REGION = {"/data/c1/provinsi": "53", "/data/c1/kab_kota": "53.01"}


def phone_media(compiled: CompiledInstrument, folder: Path) -> dict[str, Path]:
    """The files a phone holds for ``compiled``: its media, and its entity lists as
    `LISTED_INITIATIVES` written into ``folder``."""
    media = dict(compiled.media)
    for name in compiled.entity_lists:
        target = folder / name
        target.write_bytes(listed_initiatives())
        media[name] = target
    return media
