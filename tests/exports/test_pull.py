"""`jaring pull`: incremental downloads into a folder, with attachments, and resumption
after an interrupted run."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import sync.pull
from server.cli import app
from sync.central import CentralClient, Credentials
from sync.errors import ServerRefused
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD, submission
from tests.exports.support import FORM, PHOTO, post_submission, seed


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as source:
        return list(csv.DictReader(source))


def _state(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_pull_twice_fetches_only_what_is_new(
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = seed(client, admin_headers, project_id)
    monkeypatch.setenv("JARING_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("JARING_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("PYODK_CONFIG_FILE", str(tmp_path / "none.toml"))
    out = tmp_path / "pulled"
    args = ["pull", "--server", base_url, "--project", str(project_id), "--out", str(out)]
    first = CliRunner().invoke(app, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert f"{FORM}: 3 new or changed, 3 in all, 1 attachment(s) downloaded" in first.output
    root = _rows(out / FORM / f"{FORM}.csv")
    assert sorted(r["__id"] for r in root) == sorted(ids)
    by_id = {r["__id"]: r for r in root}
    assert by_id[ids[0]]["group-members"] == "23"
    assert by_id[ids[0]]["location-Latitude"] == "-5.1477"
    repeat = _rows(out / FORM / f"{FORM}-activity.csv")
    assert sorted((r["kind"], r["PARENT_KEY"]) for r in repeat) == [
        ("kopi", ids[0]),
        ("padi", ids[1]),
        ("tenun", ids[0]),
    ]
    assert (out / FORM / "media" / "a.jpg").read_bytes() == PHOTO

    post_submission(client, admin_headers, project_id, submission(instance_id="uuid:ddd-4"))
    second = CliRunner().invoke(app, args, catch_exceptions=False)
    assert second.exit_code == 0, second.output
    assert f"{FORM}: 1 new or changed, 4 in all, 0 attachment(s) downloaded" in second.output
    assert len(_rows(out / FORM / f"{FORM}.csv")) == 4
    assert len(_rows(out / FORM / f"{FORM}-activity.csv")) == 5
    third = CliRunner().invoke(app, [*args, "--form", FORM], catch_exceptions=False)
    assert f"{FORM}: 0 new or changed, 4 in all" in third.output
    assert not list(out.rglob("*.part"))


def test_pull_formats(
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    tmp_path: Path,
) -> None:
    seed(client, admin_headers, project_id)
    with CentralClient(Credentials(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)) as central:
        sync.pull.pull(central, project_id=project_id, form_id=FORM, out=tmp_path, fmt="xlsx")
        sync.pull.pull(
            central, project_id=project_id, form_id=FORM, out=tmp_path / "g", fmt="geojson"
        )
    workbook = load_workbook(tmp_path / FORM / f"{FORM}.xlsx", read_only=True)
    assert workbook.sheetnames == [FORM, f"{FORM}-activity"]
    assert len(list(workbook[FORM].iter_rows())) == 4
    workbook.close()
    collection = json.loads((tmp_path / "g" / FORM / f"{FORM}.geojson").read_text())
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == 3
    assert collection["features"][0]["geometry"]["coordinates"][:2] == [119.4327, -5.1477]


def test_interrupted_pull_leaves_the_folder_intact_and_resumes(
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed(client, admin_headers, project_id)
    monkeypatch.setattr(sync.pull, "PAGE", 1)
    out = tmp_path / "pulled"
    with CentralClient(Credentials(base_url, ADMIN_EMAIL, ADMIN_PASSWORD)) as central:
        sync.pull.pull(central, project_id=project_id, form_id=FORM, out=out)
        before = _state(out)
        for n in range(2):
            post_submission(
                client, admin_headers, project_id, submission(instance_id=f"uuid:n-{n}")
            )
        calls = {"n": 0}
        real = central.json

        def flaky(method: str, path: str, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 2:  # the second OData page
                raise ServerRefused(502, "connection lost")
            return real(method, path, **kwargs)

        monkeypatch.setattr(central, "json", flaky)
        with pytest.raises(ServerRefused):
            sync.pull.pull(central, project_id=project_id, form_id=FORM, out=out)
        assert _state(out) == before
        monkeypatch.setattr(central, "json", real)
        results = sync.pull.pull(central, project_id=project_id, form_id=FORM, out=out)
    assert (results[0].fetched, results[0].total) == (2, 5)
    assert len(_rows(out / FORM / f"{FORM}.csv")) == 5
