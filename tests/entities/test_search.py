"""``$search`` on entities (entities.csv and OData), read as PostgreSQL's
``websearch_to_tsquery`` in the ``simple`` configuration reads it, as Central does."""

from __future__ import annotations

import httpx
import pytest

from server.data.text_search import matches, parse_search

LABEL = "Koperasi Perempuan Sejahtera - Desa Lamreung"
VALUES = ["simpan-pinjam", "Aceh Besar", "aktif"]


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("koperasi", True),
        ("KOPERASI lamreung", True),  # every word, in any case
        ("koperasi makassar", False),
        ('"perempuan sejahtera"', True),  # a phrase: words in a row
        ('"sejahtera perempuan"', False),
        ('"sejahtera desa"', True),  # punctuation between words is no gap
        ('"lamreung simpan"', False),  # a phrase stays inside one value
        ("simpan-pinjam", True),
        ("makassar or aceh", True),
        ("makassar or gowa", False),
        ("koperasi -aktif", False),
        ("koperasi -tutup", True),
        ('-"aceh besar"', False),
        ("kopera", False),  # whole words, not prefixes
        ("tutup or koperasi aktif", True),  # or binds looser than and
        ("tutup or koperasi makassar", False),
    ],
)
def test_search_reads_like_websearch_to_tsquery(search: str, found: bool) -> None:
    parsed = parse_search(search)
    assert parsed is not None
    assert matches(parsed, [LABEL, *VALUES]) is found


@pytest.mark.parametrize("search", [None, "", "   ", "- or", '""', "!!"])
def test_a_search_without_words_is_no_search(search: str | None) -> None:
    assert parse_search(search) is None


def test_search_on_the_csv_and_odata(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    url = f"/v1/projects/{project_id}/datasets/inisiatif"
    made = client.post(
        f"/v1/projects/{project_id}/datasets", json={"name": "inisiatif"}, headers=admin_headers
    )
    assert made.status_code == 200, made.text
    added = client.post(f"{url}/properties", json={"name": "sektor"}, headers=admin_headers)
    assert added.status_code == 200, added.text
    rows = [
        ("Koperasi Perempuan Sejahtera - Lamreung", "simpan pinjam"),
        ("Kelompok Tenun Ikat - Sumba", "kerajinan"),
        ("Koperasi Nelayan Perempuan - Makassar", "perikanan"),
    ]
    bulk = client.post(
        f"{url}/entities",
        json={
            "entities": [{"label": label, "data": {"sektor": s}} for label, s in rows],
            "source": {"name": "daftar.csv"},
        },
        headers=admin_headers,
    )
    assert bulk.status_code == 200, bulk.text

    def csv_labels(search: str) -> set[str]:
        got = client.get(f"{url}/entities.csv", params={"$search": search}, headers=admin_headers)
        assert got.status_code == 200, got.text
        return {line.split(",")[1] for line in got.text.splitlines()[1:]}

    assert csv_labels("koperasi perempuan") == {rows[0][0], rows[2][0]}
    assert csv_labels("koperasi -perikanan") == {rows[0][0]}
    assert csv_labels('"simpan pinjam" or tenun') == {rows[0][0], rows[1][0]}
    assert len(csv_labels("")) == 3

    odata = client.get(
        f"{url}.svc/Entities",
        params={"$search": "perempuan", "$count": "true", "$top": "1"},
        headers=admin_headers,
    ).json()
    assert odata["@odata.count"] == 2 and len(odata["value"]) == 1
    assert "@odata.nextLink" in odata and "$search=perempuan" in odata["@odata.nextLink"]
    following = client.get(odata["@odata.nextLink"], headers=admin_headers).json()
    labels = {odata["value"][0]["label"], following["value"][0]["label"]}
    assert labels == {rows[0][0], rows[2][0]}
