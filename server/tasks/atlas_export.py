"""`jaring atlas export SLUG --out DIR`: the whole public atlas as a folder of files.

The folder works from any web host, or opened straight from a disk or a USB stick
(``file://``), with no network: pages in Indonesian (``index.html``) and English
(``index-en.html``), a page per initiative, the directory (its filters and search run in
the page), the open data, the published photos (made small, without their EXIF data)
and every script, style and the offline basemap. A page opened from a folder cannot
fetch files, so the map's points and basemap also come as small scripts.

It is made from the same snapshot as the live atlas (`server.domain.atlas_public`):
the same public fields, consent, approvals and withdrawals, nothing else.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from server.console.atlas_site import (
    FOLDER_ASSETS,
    VENDOR,
    FolderLinks,
    directory_page,
    home_page,
    initiative_page,
)
from server.console.rendering import STATIC_DIR, Templates
from server.domain import Services
from server.domain import atlas_public as public

LICENCES = {
    "leaflet/LICENSE-leaflet.txt": "vendor/leaflet-1.9.4/LICENSE",
    "leaflet/LICENSE-markercluster.txt": "vendor/leaflet.markercluster-1.5.3/MIT-LICENCE.txt",
    "BASEMAP-SOURCE.md": "basemap/SOURCE.md",
}


class ExportError(Exception):
    """The folder cannot be written (it is not empty, or the atlas is not published)."""


@dataclass(frozen=True)
class ExportSummary:
    folder: Path
    initiatives: int
    photos: int
    files: int


def export_atlas(services: Services, slug: str, out: Path) -> ExportSummary:
    """Write the published atlas ``slug`` into ``out`` (a new or empty folder)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ExportError(f"{out} is not an empty folder")
    try:
        found = public.snapshot(services, slug, fresh=True)
    except Exception as error:
        raise ExportError(f"no published atlas is called {slug!r}") from error
    templates = Templates(services.settings)
    files: dict[str, bytes] = {}
    top, down = FolderLinks(0), FolderLinks(1)
    for lang in public.LANGUAGES:
        other = next(code for code in public.LANGUAGES if code != lang)
        suffix = "" if lang == "id" else f"-{lang}"
        files[f"index{suffix}.html"] = home_page(
            templates, found, lang, top, top.home(other)
        ).encode()
        everything = public.Directory(
            initiatives=found.initiatives,
            total=len(found.initiatives),
            page=1,
            pages=1,
            query={},
        )
        files[f"initiatives{suffix}.html"] = directory_page(
            templates, found, everything, lang, top, top.directory(other)
        ).encode()
        for item in found.initiatives:
            files[f"initiatives/{item.key}{suffix}.html"] = initiative_page(
                templates, found, item, lang, down, down.initiative(item.key, other)
            ).encode()
        points = public.map_points(found, lang)
        files[f"data/points-{lang}.geojson"] = points
        files[f"data/points-{lang}.js"] = _script("ATLAS_POINTS", points)
        files[f"data/atlas-{lang}.csv"] = public.csv_download(found, lang)
        files[f"data/atlas-{lang}.geojson"] = public.geojson_download(found, lang)
    photos = 0
    for item in found.initiatives:
        for number in range(item.photos):
            files[f"photos/{item.key}-{number}.jpg"] = public.photo(
                services, found, item.key, number
            )
            photos += 1
    for name, source in VENDOR.items():
        files[f"assets/{FOLDER_ASSETS[name]}"] = (STATIC_DIR / source).read_bytes()
    files["assets/basemap.js"] = _script("ATLAS_BASEMAP", files["assets/basemap.geojson"])
    for target, source in LICENCES.items():
        files[f"assets/{target}"] = (STATIC_DIR / source).read_bytes()
    out.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        path = out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    shutil.copytree(STATIC_DIR / "vendor/leaflet-1.9.4/dist/images", out / "assets/leaflet/images")
    return ExportSummary(
        folder=out, initiatives=len(found.initiatives), photos=photos, files=len(files)
    )


def _script(name: str, body: bytes) -> bytes:
    """A JSON document as a script that sets ``window.NAME`` (JSON is valid JavaScript;
    ``</`` is escaped so no text can close the script early)."""
    text = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":"))
    safe = text.replace("</", "<\\/")
    return f"window.{name}={safe};\n".encode()
