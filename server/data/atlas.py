"""An atlas's pure parts: where a published initiative is drawn, its public identifier,
and its open data as CSV and GeoJSON.

Where: ``exact`` is the submitted point (6 decimals); ``rounded`` is that point to 2
decimals (about 1 km); ``village`` (the default) is never the submitted point but the
centre of the place the wilayah answers name. The wilayah lists carry no coordinates
for villages, districts or regencies, so the most precise centre available is the
province's: the centre of the largest island of its outline on the offline basemap
(Natural Earth, 2 decimals). Every initiative of a province is drawn at that point.

The public identifier of an initiative is a digest of the atlas's slug and the
submission's instanceID: it leads back to nothing without the database.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

PRECISIONS = ("village", "rounded", "exact")
DEFAULT_PRECISION = "village"
ROUNDED_DECIMALS = 2  # about 1.1 km at the equator
EXACT_DECIMALS = 6
YES = frozenset({"yes", "ya", "y", "1", "true", "setuju"})
BASEMAP = Path(__file__).resolve().parents[1] / "console/static/basemap/indonesia-provinces.geojson"

# Kemendagri province codes (the wilayah lists) and ISO 3166-2 codes (the basemap).
PROVINCE_ISO = {
    "11": "ID-AC", "12": "ID-SU", "13": "ID-SB", "14": "ID-RI", "15": "ID-JA", "16": "ID-SS",
    "17": "ID-BE", "18": "ID-LA", "19": "ID-BB", "21": "ID-KR", "31": "ID-JK", "32": "ID-JB",
    "33": "ID-JT", "34": "ID-YO", "35": "ID-JI", "36": "ID-BT", "51": "ID-BA", "52": "ID-NB",
    "53": "ID-NT", "61": "ID-KB", "62": "ID-KT", "63": "ID-KS", "64": "ID-KI", "71": "ID-SA",
    "72": "ID-ST", "73": "ID-SN", "74": "ID-SG", "75": "ID-GO", "76": "ID-SR", "81": "ID-MA",
    "82": "ID-MU", "91": "ID-PA", "92": "ID-PB",
}  # fmt: skip


def public_id(slug: str, instance_id: str) -> str:
    """The initiative's identifier in the atlas's addresses and downloads."""
    return hashlib.sha256(f"atlas:{slug}:{instance_id}".encode()).hexdigest()[:16]


def is_yes(raw: str | None) -> bool:
    """Whether a consent answer says yes (``ya``, ``yes``, ``1``, ``true``)."""
    return (raw or "").strip().lower() in YES


def province_of(code: str | None) -> str | None:
    """The province code of a wilayah code (``73.71.01.2001`` is in ``73``)."""
    if not code:
        return None
    head = code.strip().split(".", 1)[0]
    return head if head in PROVINCE_ISO else None


@cache
def province_centres() -> dict[str, tuple[float, float]]:
    """(longitude, latitude) of each province's centre, by Kemendagri code."""
    basemap = json.loads(BASEMAP.read_text(encoding="utf-8"))
    by_iso: dict[str, tuple[float, float]] = {}
    for feature in basemap["features"]:
        iso = feature["properties"].get("iso_3166_2")
        if iso:
            by_iso[iso] = _largest_centre(feature["geometry"])
    return {code: by_iso[iso] for code, iso in PROVINCE_ISO.items() if iso in by_iso}


def _largest_centre(geometry: Mapping[str, Any]) -> tuple[float, float]:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    best: tuple[float, float, float] = (0.0, 0.0, -1.0)
    for polygon in polygons:
        ring = polygon[0]
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if area and abs(area) > best[2]:
            best = (cx / (3 * area), cy / (3 * area), abs(area))
    return round(best[0], 3), round(best[1], 3)


def place(
    precision: str, point: tuple[float, float] | None, province: str | None
) -> tuple[float, float] | None:
    """Where an initiative is drawn, as (longitude, latitude); None for nowhere."""
    if precision == "exact" and point is not None:
        return round(point[0], EXACT_DECIMALS), round(point[1], EXACT_DECIMALS)
    if precision == "rounded" and point is not None:
        return round(point[0], ROUNDED_DECIMALS), round(point[1], ROUNDED_DECIMALS)
    if precision == "village" and province is not None:
        return province_centres().get(province)
    return None


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """A CSV file (UTF-8 with a byte-order mark, so spreadsheets read it right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_no_formula(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode()


def _no_formula(cell: str) -> str:
    """A cell a spreadsheet would run as a formula is kept as text."""
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") and not _number(cell) else cell


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def feature_collection(features: Iterable[Mapping[str, Any]], extra: Mapping[str, Any]) -> bytes:
    """A GeoJSON FeatureCollection with members beside ``features`` (the licence)."""
    body = {"type": "FeatureCollection", **extra, "features": list(features)}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
