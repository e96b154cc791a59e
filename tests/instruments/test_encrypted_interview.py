"""The member interview as a phone downloads it from Jaring, before and after the project's
managed encryption is turned on, filled by JavaRosa: only the encrypted form says the
answers are locked, and only it lets a real respondent be interviewed."""

from __future__ import annotations

import httpx

from server.tasks.instruments import MEANT_ENCRYPTED, CompiledInstrument
from sync import CollectClient
from tests.builders import collect_url, create_app_user, publish_xform
from tests.encryption.support import enable
from tests.instruments.conftest import FillPaths
from tests.instruments.support import INTERVIEW_START

INTERVIEW = "ess_wawancara_anggota"
# A real respondent (no training answer) who declines at once: the consent is what is checked
# here, not the rest of the interview.
REAL_RESPONDENT = {k: v for k, v in INTERVIEW_START.items() if k != "mode_latihan"}


def downloaded(phone: CollectClient) -> bytes:
    [item] = [item for item in phone.form_list() if item.form_id == INTERVIEW]
    return phone.download_form(item)


def test_the_interview_is_the_instrument_meant_to_be_encrypted() -> None:
    assert MEANT_ENCRYPTED == {INTERVIEW}


def test_only_the_encrypted_interview_promises_locked_answers(
    fill: FillPaths,
    instruments: dict[str, CompiledInstrument],
    client: httpx.Client,
    admin_headers: dict[str, str],
    project_id: int,
    base_url: str,
) -> None:
    compiled = instruments["member_interview"]
    assert compiled.form_id == INTERVIEW and not compiled.media
    published = publish_xform(client, admin_headers, project_id, compiled.xform)
    assert published.status_code == 200, published.text
    app_user = create_app_user(client, admin_headers, project_id, forms=(INTERVIEW,))
    with CollectClient(collect_url(base_url, app_user["token"], project_id)) as phone:
        plain = downloaded(phone)
        enable(client, admin_headers, project_id)
        locked = downloaded(phone)
    assert b"base64RsaPublicKey" not in plain and b"base64RsaPublicKey" in locked
    declines = {**REAL_RESPONDENT, "persetujuan": "tidak"}
    (before,) = fill("member_interview", [{**declines, "mode_latihan": "responden"}], xform=plain)
    assert before.error is None and before.finished
    assert before.values()["terkunci"] == "0"
    assert before.values()["status_wawancara"] == "belum_terkunci"
    assert "usia_18" not in before.questions and "naskah_terkunci" not in before.notes
    assert before.questions[-1] == "mode_latihan"
    (after,) = fill("member_interview", [declines], xform=locked)
    assert after.error is None and after.finished
    assert after.values()["terkunci"] == "1"
    assert "mode_latihan" not in after.questions
    assert {"naskah_persetujuan", "naskah_terkunci"} <= set(after.notes)
    assert after.values()["status_wawancara"] == "tidak_setuju"
