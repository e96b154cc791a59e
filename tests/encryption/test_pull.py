"""`jaring pull --passphrase-stdin`: encrypted submissions written decrypted on the
analyst's machine, the passphrase read from standard input only."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from server.cli import app
from tests.builders import ADMIN_EMAIL, ADMIN_PASSWORD
from tests.encryption.support import (
    FORM,
    PASSPHRASE,
    PHOTO,
    csv_rows,
    enable,
    encrypted,
    post,
    publish_plain,
)


def _files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())


def test_pull_decrypts_with_the_passphrase_from_stdin(
    base_url: str,
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    publish_plain(client, admin_headers, project_id)
    enable(client, admin_headers, project_id)
    sent = encrypted(client, admin_headers, project_id, name="Ibu Rahma")
    assert post(client, admin_headers, project_id, sent).status_code == 201
    monkeypatch.setenv("JARING_EMAIL", ADMIN_EMAIL)
    monkeypatch.setenv("JARING_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("PYODK_CONFIG_FILE", str(tmp_path / "none.toml"))
    out = tmp_path / "pulled"
    args = ["pull", "--server", base_url, "--project", str(project_id), "--out", str(out)]

    wrong = CliRunner().invoke(app, [*args, "--passphrase-stdin"], input="salah sekali\n")
    assert wrong.exit_code == 1
    assert "decryption" in wrong.output.lower()
    assert not [f for f in _files(out) if not f.startswith(f"{FORM}/.pull")]

    sealed = CliRunner().invoke(app, args, catch_exceptions=False)
    assert sealed.exit_code == 0, sealed.output
    assert "Ibu Rahma" not in (out / FORM / f"{FORM}.csv").read_text()
    assert sorted((out / FORM / "media").iterdir()) == [
        out / FORM / "media" / "foto.jpg.enc",
        out / FORM / "media" / "submission.xml.enc",
    ]

    out = tmp_path / "decrypted"
    args = ["pull", "--server", base_url, "--project", str(project_id), "--out", str(out)]

    pulled = CliRunner().invoke(
        app, [*args, "--passphrase-stdin"], input=f"{PASSPHRASE}\n", catch_exceptions=False
    )
    assert pulled.exit_code == 0, pulled.output
    rows = csv_rows((out / FORM / f"{FORM}.csv").read_bytes())
    assert [(r["KEY"], r["name"], r["Status"]) for r in rows] == [
        (sent.instance_id, "Ibu Rahma", "")
    ]
    assert (out / FORM / "media" / "foto.jpg").read_bytes() == PHOTO
    assert not [f for f in _files(out) if f.endswith((".enc", ".part", ".zip"))]
    assert PASSPHRASE not in pulled.output

    xlsx = CliRunner().invoke(app, [*args, "--format", "xlsx", "--passphrase-stdin"], input="x\n")
    assert xlsx.exit_code != 0
