"""The summary of a form: counts and shares of every choice (select_multiple included),
count, least, median and greatest of every number, under the form's groups, with the
review state, province and regency filters; charts as escaped, accessible SVG; who may
see it. Then the counting itself, on numbers alone."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from lxml import etree

from server.data.summary import DISTINCT_LIMIT, ChoiceTally, NumberTally, median_of_counts
from server.domain import Services
from server.domain.accounts import create_user
from server.formats.svg_charts import Bar, bar_chart
from tests.console.initiatives import FORM_ID, Initiative, publish_form, review, submit
from tests.console.support import Console, page, text

PASSWORD = "sandi-yang-panjang"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def summary(admin_console: Console, admin_headers: dict[str, str], project_id: int) -> str:
    """Five initiatives, one approved; the summary page's address."""
    client = admin_console.client
    publish_form(client, admin_headers, project_id)
    sent = [
        Initiative(sector="tenun", activities="produksi pemasaran", members="10", turnover="2.5"),
        Initiative(
            sector="tenun", activities="produksi", members="20", turnover="4", regency="73.09"
        ),
        Initiative(
            sector="kopi",
            activities="simpan",
            members="30",
            turnover="1",
            province="53",
            regency="53.71",
        ),
        Initiative(sector="kopi", activities="", members="", turnover=""),
        Initiative(sector="pangan", activities="produksi simpan", members="5", turnover="10.5"),
    ]
    ids = [submit(client, admin_headers, project_id, it) for it in sent]
    review(client, admin_headers, project_id, ids[2], "approved")
    return f"/projects/{project_id}/forms/{FORM_ID}/summary"


def _charts(response: Any) -> dict[str, str]:
    """Each chart's question and the figures its SVG describes."""
    charts = {}
    for figure in page(response).cssselect("figure.chart-figure"):
        label = figure.cssselect("figcaption strong")[0].text_content()
        desc = figure.cssselect("svg desc")
        charts[label] = desc[0].text_content() if desc else ""
    return charts


def _numbers(response: Any) -> dict[str, list[str]]:
    rows = page(response).cssselect(".summary-numbers tbody tr")
    return {
        row.cssselect("th")[0].text_content(): [td.text_content() for td in row.cssselect("td")]
        for row in rows
    }


def test_counts_shares_and_medians(admin_console: Console, summary: str) -> None:
    shown = admin_console.get(summary)
    assert shown.status_code == 200
    assert text(shown, ".tabs a[aria-current=page]") == ["Rangkuman"]
    assert text(shown, "#summary-count") == ["5 kiriman dihitung"]
    assert _charts(shown) == {
        "Bidang utama": "Tenun: 2 · 40%; Kopi: 2 · 40%; Olahan pangan: 1 · 20%",
        # A select_multiple: the share of the 4 submissions that answered it.
        "Kegiatan bersama": "Produksi: 3 · 75%; Pemasaran bersama: 1 · 25%; Simpan pinjam: 2 · 50%",
        # From the wilayah lists: the names, only those chosen, most chosen first.
        "Provinsi": "Sulawesi Selatan: 4 · 80%; Nusa Tenggara Timur: 1 · 20%",
        "Kabupaten/Kota": "Kota Makassar: 3 · 60%; Kabupaten Maros: 1 · 20%; Kota Kupang: 1 · 20%",
    }
    captions = text(shown, "figure.chart-figure figcaption .muted")
    assert captions[1] == (
        "Dijawab di 4 dari 5 kiriman. Boleh memilih lebih dari satu jawaban,"
        " jadi jumlah persentasenya bisa lebih dari 100%."
    )
    assert _numbers(shown) == {
        "Jumlah anggota": ["4", "5", "15", "30"],
        "Omzet bulanan (juta)": ["4", "1", "3,25", "10,5"],
    }
    # Under the form's groups, in the form's order.
    assert text(shown, ".summary-section > h2") == ["Profil kelompok", "Pertanyaan lainnya"]
    first = page(shown).cssselect(".summary-section")[0]
    assert [s.text_content() for s in first.cssselect("figcaption strong")] == [
        "Bidang utama",
        "Kegiatan bersama",
    ]
    # Bars are as long as their share of 74 % of the width.
    bars = page(shown).cssselect("figure.chart-figure svg")[0].iter(f"{SVG}rect", "rect")
    widths = [r.get("width") for r in bars if r.get("class") == "chart-bar"]
    assert widths == ["29.60%", "29.60%", "14.80%"]


def test_filters_narrow_what_is_counted(admin_console: Console, summary: str) -> None:
    approved = admin_console.get(summary, params={"state": "approved"})
    assert text(approved, "#summary-count") == ["1 kiriman dihitung"]
    assert (
        _charts(approved)["Bidang utama"] == "Tenun: 0 · 0%; Kopi: 1 · 100%; Olahan pangan: 0 · 0%"
    )
    assert _numbers(approved)["Jumlah anggota"] == ["1", "30", "30", "30"]
    assert "status pemeriksaan “Disetujui”" in text(approved, "#summary-scope")[0]

    south = admin_console.get(summary, params={"province": "73"})
    assert text(south, "#summary-count") == ["4 kiriman dihitung"]
    assert _charts(south)["Kegiatan bersama"] == (
        "Produksi: 3 · 100%; Pemasaran bersama: 1 · 33,3%; Simpan pinjam: 1 · 33,3%"
    )
    assert _numbers(south)["Jumlah anggota"] == ["3", "5", "10", "20"]
    # The regencies offered are the province's.
    regencies = [o.text for o in page(south).cssselect("select[name=regency] option")]
    assert regencies == ["Semua kabupaten/kota", "Kota Makassar", "Kabupaten Maros"]

    makassar = admin_console.get(summary, params={"province": "73", "regency": "73.71"})
    assert text(makassar, "#summary-count") == ["3 kiriman dihitung"]
    assert _numbers(makassar)["Jumlah anggota"] == ["2", "5", "7,5", "10"]
    scope = text(makassar, "#summary-scope")[0]
    assert "provinsi Sulawesi Selatan" in scope and "kabupaten/kota Kota Makassar" in scope
    # A regency of another province (the province changed since) is dropped.
    moved = admin_console.get(summary, params={"province": "73", "regency": "53.71"})
    assert text(moved, "#summary-count") == ["4 kiriman dihitung"]

    nothing = admin_console.get(summary, params={"province": "53", "state": "received"})
    assert text(nothing, "#summary-count") == ["0 kiriman dihitung"]
    assert "belum ada yang bisa dihitung" in text(nothing, ".empty")[0]
    assert admin_console.get(summary, params={"state": "selesai"}).status_code == 400


def test_numbers_and_shares_follow_the_language(admin_console: Console, summary: str) -> None:
    admin_console.post("/language", {"language": "en", "next": "/projects"})
    shown = admin_console.get(summary, params={"province": "73"})
    assert text(shown, "#summary-count") == ["4 submissions counted"]
    assert _charts(shown)["Joint activities"] == (
        "Production: 3 · 100%; Joint marketing: 1 · 33.3%; Savings and credit: 1 · 33.3%"
    )
    assert _numbers(shown)["Monthly turnover (millions)"] == ["3", "2.5", "4", "10.5"]


def test_the_page_prints_as_a_handout(admin_console: Console, summary: str) -> None:
    shown = admin_console.get(summary)
    tree = page(shown)
    [button] = tree.cssselect("button[data-print]")
    assert button.get("type") == "button" and button.text == "Cetak"
    assert "no-print" in tree.cssselect("#summary-filters")[0].get("class")
    for select in tree.cssselect("#summary-filters select"):
        assert tree.cssselect(f"label[for={select.get('id')}]"), select.get("name")
    # Every chart is an image with a title and a description, named by its question.
    for svg in tree.cssselect("svg.chart"):
        title_id, desc_id = svg.get("aria-labelledby").split()
        assert svg.get("role") == "img"
        assert tree.get_element_by_id(title_id).tag == "title"
        assert tree.get_element_by_id(desc_id).tag == "desc"


def test_labels_are_escaped_inside_the_charts(
    admin_console: Console, admin_headers: dict[str, str], project_id: int
) -> None:
    client = admin_console.client
    publish_form(client, admin_headers, project_id)
    # A value the form's list does not know is shown as it came.
    submit(client, admin_headers, project_id, Initiative(sector="<b>lain</b>&co"))
    shown = admin_console.get(f"/projects/{project_id}/forms/{FORM_ID}/summary")
    assert "<b>lain</b>" not in shown.text
    assert "&lt;b&gt;lain&lt;/b&gt;&amp;co" in shown.text
    assert _charts(shown)["Bidang utama"].endswith("<b>lain</b>&co: 1 · 100%")


def test_a_chart_is_wellformed_escaped_svg() -> None:
    chart = bar_chart(
        [Bar('<script>alert("x")</script> & "kopi"', 0.5, "1 · 50%"), Bar("Tenun", 1.5, "9")],
        title="<b>Bidang</b>",
        chart_id='c1"><x',
    )
    assert "<script>" not in chart and "<b>" not in chart and '"><x' not in chart
    svg = etree.fromstring(str(chart))
    assert svg.find(f"{SVG}title").text == "<b>Bidang</b>"
    assert svg.find(f"{SVG}desc").text == '<script>alert("x")</script> & "kopi": 1 · 50%; Tenun: 9'
    labels = ["".join(t.itertext()) for t in svg.iter(f"{SVG}text")]
    assert labels == ['<script>alert("x")</script> & "kopi"', "1 · 50%", "Tenun", "9"]
    widths = [r.get("width") for r in svg.iter(f"{SVG}rect") if r.get("class") == "chart-bar"]
    assert widths == ["37.00%", "74.00%"]  # a share above 1 is drawn as a full bar
    long = bar_chart([Bar("kata " * 60, 0.1, "1")], title="t", chart_id="c2")
    assert len(etree.fromstring(str(long)).findall(f".//{SVG}tspan")) == 3
    assert "…" in long


def test_who_may_see_the_summary(
    services: Services,
    admin_console: Console,
    summary: str,
    console_as: Callable[[str, str], Console],
) -> None:
    project_id = int(summary.split("/")[2])
    for role in ("viewer", "formfill"):
        create_user(services, email=f"{role}@example.org", password=PASSWORD)
        admin_console.post(
            f"/projects/{project_id}/members", {"email": f"{role}@example.org", "role": role}
        )
    viewer = console_as("viewer@example.org", PASSWORD)
    assert text(viewer.get(summary), "#summary-count") == ["5 kiriman dihitung"]
    refused = console_as("formfill@example.org", PASSWORD).get(summary)
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]


# The counting itself -----------------------------------------------------------------------


def test_the_median_is_exact_with_few_or_many_distinct_numbers() -> None:
    assert median_of_counts({}) is None
    assert median_of_counts({3: 1}) == 3
    assert median_of_counts({1: 1, 2: 1}) == 1.5
    assert median_of_counts({1: 2, 5: 1, 9: 1}) == 3  # 1 1 5 9
    assert median_of_counts({1: 3, 9: 1}) == 1
    few, many = NumberTally(integer=True), NumberTally(integer=False)
    for n in range(1, 2 * DISTINCT_LIMIT + 2):  # 1 … 4097: beyond the distinct limit
        many.add(f"{n / 4}")
        few.add(str(n % 7))
    few.add("bukan angka")
    assert many.count == 2 * DISTINCT_LIMIT + 1 and many.median() == (DISTINCT_LIMIT + 1) / 4
    assert (many.minimum, many.maximum) == (0.25, (2 * DISTINCT_LIMIT + 1) / 4)
    assert few.count == 2 * DISTINCT_LIMIT + 1 and few.median() == 3
    empty = NumberTally(integer=True)
    empty.add("")
    assert (empty.count, empty.median(), empty.minimum) == (0, None, None)


def test_choices_count_each_submission_once() -> None:
    tally = ChoiceTally(multiple=True)
    for raw in ("a b", "b b c", "", None, "  "):
        tally.add(raw)
    assert tally.answered == 2 and dict(tally.counts) == {"a": 1, "b": 2, "c": 1}
    assert tally.share("b") == 1.0
    assert tally.ordered(["c", "x", "a"], every_known=True) == [
        ("c", 1),
        ("x", 0),
        ("a", 1),
        ("b", 2),
    ]
    assert tally.ordered(["c", "x"], every_known=False) == [("c", 1), ("b", 2), ("a", 1)]
