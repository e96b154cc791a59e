"""`jaring atlas export`: the atlas as a folder that works from ``file://``, under the
same privacy rules: no private value in any of its files."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image
from typer.testing import CliRunner

from server.cli import app
from server.settings import Settings
from tests.atlas.support import SLUG
from tests.atlas.test_leakage import seed

LINK = re.compile(r'(?:href|src)="([^"#]+)"')


def export(settings: Settings, monkeypatch: pytest.MonkeyPatch, out: Path, slug: str = SLUG):  # type: ignore[no-untyped-def]
    if settings.database_url:
        monkeypatch.setenv("DATABASE_URL", settings.database_url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    return CliRunner().invoke(
        app,
        ["atlas", "export", slug, "--out", str(out), "--data-dir", str(settings.data_dir)],
        catch_exceptions=False,
    )


def test_the_folder_holds_every_page_and_no_private_value(
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    shown, hidden = seed(client, admin_headers, project_id)
    out = tmp_path / "atlas"
    result = export(settings, monkeypatch, out)
    assert result.exit_code == 0, result.output
    assert "2 initiatives" in result.output
    files = [p for p in out.rglob("*") if p.is_file()]
    names = {str(p.relative_to(out)) for p in files}
    assert {"index.html", "index-en.html", "initiatives.html", "data/atlas-id.csv"} <= names
    assert "assets/leaflet/leaflet.js" in names and "assets/basemap.js" in names
    assert len([n for n in names if n.startswith("initiatives/")]) == 4
    assert len([n for n in names if n.startswith("photos/")]) == 1

    markers = [m for it in shown + hidden for m in it.markers] + [it.name for it in hidden]
    for path in files:
        body = path.read_bytes()
        for marker in markers:
            assert marker.encode() not in body, (path, marker)
        if path.suffix == ".jpg":
            assert not Image.open(io.BytesIO(body)).getexif(), path
        if path.suffix == ".html":
            for link in LINK.findall(body.decode()):
                if link.startswith("data:"):
                    continue
                assert not link.startswith(("/", "http:", "https:")), (path, link)
                target = (path.parent / link.split("?")[0]).resolve()
                assert target.is_file(), (path, link)
    everything = b"".join(p.read_bytes() for p in files)
    for it in shown:
        assert it.name.encode() in everything


def test_an_unpublished_or_unknown_atlas_is_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = export(settings, monkeypatch, tmp_path / "out", slug="tidak-ada")
    assert result.exit_code == 1
    assert "no published atlas" in result.output
