"""The third-party browser files are exactly those the manifest lists, byte for byte."""

from __future__ import annotations

import hashlib

from server.console.rendering import STATIC_DIR

VENDOR = STATIC_DIR / "vendor"


def test_every_vendored_file_matches_the_manifest() -> None:
    listed = {}
    for line in (VENDOR / "MANIFEST.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            digest, path = line.split("  ", 1)
            listed[path] = digest
    present = {
        str(path.relative_to(VENDOR)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in VENDOR.rglob("*")
        if path.is_file() and path.name != "MANIFEST.txt"
    }
    assert present == listed


def test_web_forms_come_with_their_licences() -> None:
    (folder,) = VENDOR.glob("web-forms-*")
    licences = (folder / "LICENCES.txt").read_text()
    for package in ("@getodk/web-forms", "vue ", "ol ", "dompurify", "primevue"):
        assert package in licences
    bundle = "".join(p.read_text() for p in folder.glob("*.js"))
    assert "tile.openstreetmap.org" not in bundle
    assert "fonts.googleapis" not in bundle
