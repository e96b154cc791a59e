"""The heart of the atlas: nothing private is ever public.

Submissions carry unique marker strings in their private fields (the chair's name, her
phone number, a note, the exact point, the instanceID, a photo's EXIF). Every public
response, every page, JSON, CSV, GeoJSON and photo, for every language, filter and
crafted parameter, is scanned for every marker. Submissions that are not approved, did
not consent or were withdrawn must not show at all, not even their names.
"""

from __future__ import annotations

import io
import re
from urllib.parse import urljoin

import httpx
from PIL import Image

from server.data.atlas import public_id
from tests.atlas.support import SLUG, Initiative, create_atlas, publish_form, review, submit

HREF = re.compile(r'(?:href|src)="([^"]+)"')


def seed(
    client: httpx.Client, headers: dict[str, str], project_id: int
) -> tuple[list[Initiative], list[Initiative]]:
    """Published initiatives and hidden ones (each hidden for a different reason)."""
    publish_form(client, headers, project_id)
    create_atlas(client, headers, project_id)
    shown = [
        Initiative(name="Tenun Ina Makassar"),
        Initiative(
            name="Kopi Flores Bersama",
            sector="kopi",
            province="53",
            regency="53.71",
            latitude=-10.171234,
            longitude=123.607654,
            photo=False,
        ),
    ]
    hidden = {
        "no consent": Initiative(name="HIDDEN-NOCONSENT Tenun", consent="tidak"),
        "received": Initiative(name="HIDDEN-RECEIVED Kopi"),
        "rejected": Initiative(name="HIDDEN-REJECTED Kopi"),
        "has issues": Initiative(name="HIDDEN-ISSUES Kopi"),
        "withdrawn": Initiative(name="HIDDEN-WITHDRAWN Tenun"),
    }
    for it in shown:
        submit(client, headers, project_id, it)
        review(client, headers, project_id, it.instance_id, "approved")
    for reason, it in hidden.items():
        submit(client, headers, project_id, it)
        state = {"received": None, "rejected": "rejected", "has issues": "hasIssues"}.get(
            reason, "approved"
        )
        if state:
            review(client, headers, project_id, it.instance_id, state)
    withdrawn = client.post(
        f"/v1/projects/{project_id}/atlases/{SLUG}/withdrawals",
        json={"instanceId": hidden["withdrawn"].instance_id, "reason": "consent"},
        headers=headers,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    return shown, list(hidden.values())


def crawl(client: httpx.Client, start: list[str]) -> dict[str, httpx.Response]:
    """Every page of the atlas reachable from ``start`` by its links."""
    seen: dict[str, httpx.Response] = {}
    queue = list(start)
    while queue:
        url = queue.pop()
        if url in seen or not url.startswith(f"/atlas/{SLUG}"):
            continue
        response = client.get(url)
        seen[url] = response
        if "text/html" in response.headers.get("content-type", ""):
            for link in HREF.findall(response.text):
                link = link.replace("&amp;", "&")
                queue.append(urljoin(url, link) if not link.startswith("/") else link)
        if "json" in response.headers.get("content-type", ""):
            for key in re.findall(r'"id":"([0-9a-f]{16})"', response.text):
                queue.append(f"/atlas/{SLUG}/initiatives/{key}")
    return seen


def crafted(hidden: list[Initiative], shown: list[Initiative]) -> list[str]:
    base = f"/atlas/{SLUG}"
    guesses = [f"{base}/initiatives/{public_id(SLUG, it.instance_id)}" for it in hidden]
    guesses += [
        f"{base}/initiatives/{public_id(SLUG, it.instance_id)}/photos/0.jpg" for it in hidden
    ]
    guesses += [f"{base}/initiatives/{it.instance_id}" for it in shown + hidden]
    first = shown[0]
    return guesses + [
        f"{base}/initiatives?field=ketua",
        f"{base}/initiatives?ketua={first.chair}",
        f"{base}/initiatives?telepon={first.phone}",
        f"{base}/initiatives?q={first.chair}",
        f"{base}/initiatives?q={first.phone}",
        f"{base}/initiatives?q=HIDDEN",
        f"{base}/initiatives?$filter=ketua eq '{first.chair}'",
        f"{base}/initiatives?sort=ketua&order=desc",
        f"{base}/initiatives?page=99999999999999999999",
        f"{base}/initiatives?page=-3",
        f"{base}/initiatives?sektor=tenun&province=73&lang=en",
        f"{base}/initiatives?izin_publikasi=tidak",
        f"{base}/data.csv?fields=/ketua",
        f"{base}/data.geojson?fields=/ketua&lang=en",
        f"{base}/points.geojson?field=lokasi",
        f"{base}/initiatives/{public_id(SLUG, first.instance_id)}/photos/7.jpg",
        f"{base}/initiatives/{public_id(SLUG, first.instance_id)}/photos/-1.jpg",
        f"{base}/initiatives/..%2F..%2Fv1",
        "/atlas/..%2Fv1",
        "/atlas/PETA",
        "/atlas/peta-jaring%00",
    ]


def test_no_private_value_in_any_public_response(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    shown, hidden = seed(client, admin_headers, project_id)
    with httpx.Client(base_url=str(client.base_url), timeout=30) as anonymous:
        check_everything_public(anonymous, shown, hidden)


def check_everything_public(
    anonymous: httpx.Client, shown: list[Initiative], hidden: list[Initiative]
) -> None:
    base = f"/atlas/{SLUG}"
    starts = [base, f"{base}?lang=en", f"{base}/initiatives", f"{base}/initiatives?lang=en"]
    responses = crawl(anonymous, starts)
    for url in crafted(hidden, shown):
        responses[url] = anonymous.get(url)
    pages = [u for u, r in responses.items() if "text/html" in r.headers.get("content-type", "")]
    initiative_pages = {
        u for u in pages if "/initiatives/" in u and responses[u].status_code == 200
    }
    photos = [u for u, r in responses.items() if r.headers.get("content-type") == "image/jpeg"]
    assert len(initiative_pages) >= 4, sorted(responses)  # both initiatives, both languages
    assert photos, sorted(responses)
    for kind in ("data.csv", "data.geojson", "points.geojson"):
        assert any(kind in u and r.status_code == 200 for u, r in responses.items()), kind

    markers = [m for it in shown + hidden for m in it.markers]
    markers += [it.name for it in hidden]
    for url, response in responses.items():
        assert response.status_code in (200, 404), (url, response.status_code)
        body = response.content
        for marker in markers:
            if marker in url:
                continue  # a page may say which address was asked for; the asker knew it
            assert marker.encode() not in body, (url, marker)
    for it in hidden:
        assert (
            anonymous.get(f"{base}/initiatives/{public_id(SLUG, it.instance_id)}").status_code
            == 404
        )
    for url in photos:
        image = Image.open(io.BytesIO(responses[url].content))
        assert not image.getexif(), url
        assert max(image.size) <= 800
    # Published values do appear, so the scan above looks where it should.
    everything = b"".join(r.content for r in responses.values())
    for it in shown:
        assert it.name.encode() in everything


def test_an_encrypted_form_publishes_no_field(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    publish_form(client, admin_headers, project_id)
    create_atlas(client, admin_headers, project_id)
    turned_on = client.post(
        f"/v1/projects/{project_id}/key",
        json={"passphrase": "kata sandi rahasia", "hint": "h"},
        headers=admin_headers,
    )
    assert turned_on.status_code == 200, turned_on.text
    refused = client.patch(
        f"/v1/projects/{project_id}/atlases/{SLUG}",
        json={"fields": ["/nama"]},
        headers=admin_headers,
    )
    assert refused.status_code == 400, refused.text
    assert "encrypted" in refused.json()["message"]
    emptied = client.patch(
        f"/v1/projects/{project_id}/atlases/{SLUG}",
        json={"fields": [], "photos": [], "consentField": None},
        headers=admin_headers,
    )
    assert emptied.status_code == 200, emptied.text
