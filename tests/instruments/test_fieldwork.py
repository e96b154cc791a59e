"""The instruments filled by JavaRosa, the engine inside ODK Collect, along the paths a field
team meets: an interview answered in full, and one the respondent declines."""

from __future__ import annotations

from tests.instruments.conftest import FillPaths

PLACE = {
    "provinsi": "53",
    "kab_kota": "53.01",
    "kecamatan": "53.01.06",
    "desa": "53.01.06.1001",
}
ENUMERATOR = {"kode_pendata": "E012", "tahun_berdiri": "2015"}
CODE = {"kode_inisiatif": "53-KWT0012"}


def test_every_instrument_can_be_filled_to_the_end(fill: FillPaths) -> None:
    for stem in ("initiative_profile", "member_interview", "field_visit_log"):
        (done,) = fill(stem, [{**ENUMERATOR, **CODE, **PLACE, "*fill": "yes"}])
        assert done.error is None, (stem, done.error)
        assert done.finished, stem


def test_a_refusal_ends_the_interview(fill: FillPaths) -> None:
    (profile,) = fill("initiative_profile", [{**ENUMERATOR, "persetujuan": "tidak"}])
    assert profile.finished and profile.error is None
    assert profile.questions == ["kode_pendata", "persetujuan"]
    (interview,) = fill(
        "member_interview", [{**ENUMERATOR, **CODE, "usia_18": "ya", "persetujuan": "tidak"}]
    )
    assert interview.finished and interview.error is None
    assert "tidak_setuju" in interview.notes
