"""A small mapping form for the map and summary tests, and submissions sent to it as ODK
Collect sends them.

The form has two languages, a name, a group with a select_one "sector", a
select_multiple, an integer and a decimal, the wilayah questions (province and regency
from ``provinces.csv`` and ``regencies.csv``, published with the form), a geopoint and a
photo.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

import httpx

from tests.builders import XLSX, xlsform
from tests.instruments.submission_builder import tiny_png

FORM_ID = "peta_uji"
OPENROSA = {"X-OpenRosa-Version": "1.0"}
LANGS = ["label::Bahasa Indonesia (id)", "label::English (en)"]
SURVEY = [
    ["type", "name", *LANGS, "choice_filter", "parameters"],
    ["text", "nama", "Nama inisiatif", "Initiative name", ""],
    ["begin_group", "profil", "Profil kelompok", "Group profile", ""],
    ["select_one sektor", "sektor", "Bidang utama", "Main sector", ""],
    ["select_multiple kegiatan", "kegiatan", "Kegiatan bersama", "Joint activities", ""],
    ["integer", "anggota", "Jumlah anggota", "Number of members", ""],
    ["decimal", "omzet", "Omzet bulanan (juta)", "Monthly turnover (millions)", ""],
    ["end_group", "", "", "", ""],
    ["select_one_from_file provinces.csv", "provinsi", "Provinsi", "Province", ""],
    [
        "select_one_from_file regencies.csv",
        "kab_kota",
        "Kabupaten/Kota",
        "Regency/City",
        "province_code=${provinsi}",
    ],
    ["geopoint", "lokasi", "Titik lokasi", "Location", ""],
    ["image", "foto", "Foto kegiatan", "Photo", "", "max-pixels=1024"],
]
CHOICES = [
    ["list_name", "name", *LANGS],
    ["sektor", "tenun", "Tenun", "Weaving"],
    ["sektor", "kopi", "Kopi", "Coffee"],
    ["sektor", "pangan", "Olahan pangan", "Food processing"],
    ["kegiatan", "produksi", "Produksi", "Production"],
    ["kegiatan", "pemasaran", "Pemasaran bersama", "Joint marketing"],
    ["kegiatan", "simpan", "Simpan pinjam", "Savings and credit"],
]
SETTINGS = [
    ["form_id", "version", "form_title", "default_language"],
    [FORM_ID, "1", "Peta uji", "Bahasa Indonesia (id)"],
]
PROVINCES = b"name,label\n73,Sulawesi Selatan\n53,Nusa Tenggara Timur\n"
REGENCIES = (
    b"name,label,province_code\n73.71,Kota Makassar,73\n73.09,Kabupaten Maros,73\n"
    b"53.71,Kota Kupang,53\n"
)


def publish_form(client: httpx.Client, headers: dict[str, str], project_id: int) -> str:
    """Upload the form as a draft, add its two lists, publish it; its xmlFormId."""
    created = client.post(
        f"/v1/projects/{project_id}/forms",
        params={"publish": "false"},
        content=xlsform(SURVEY, choices=CHOICES, settings=SETTINGS),
        headers={**headers, "Content-Type": XLSX},
    )
    assert created.status_code == 200, created.text
    base = f"/v1/projects/{project_id}/forms/{FORM_ID}"
    for name, body in (("provinces.csv", PROVINCES), ("regencies.csv", REGENCIES)):
        uploaded = client.post(
            f"{base}/draft/attachments/{name}",
            content=body,
            headers={**headers, "Content-Type": "text/csv"},
        )
        assert uploaded.status_code == 200, uploaded.text
    published = client.post(f"{base}/draft/publish", headers=headers)
    assert published.status_code == 200, published.text
    return FORM_ID


@dataclass
class Initiative:
    name: str = "Kelompok Tenun Ina"
    sector: str = "tenun"
    activities: str = "produksi pemasaran"
    members: str = "12"
    turnover: str = "2.5"
    province: str = "73"
    regency: str = "73.71"
    point: str = "-5.147665 119.432732 12.0 4.5"
    photo: bool = False
    instance_name: str | None = None


def submit(
    client: httpx.Client,
    headers: dict[str, str],
    project_id: int,
    initiative: Initiative,
    *,
    app_user_token: str | None = None,
) -> str:
    """Send one submission as ODK Collect does (multipart, with its photo), as a web user
    or through an app user's URL; its instanceID."""
    instance_id = f"uuid:{uuid.uuid4()}"
    it = initiative
    photo = "foto-kegiatan.png" if it.photo else ""
    name = f"<instanceName>{escape(it.instance_name)}</instanceName>" if it.instance_name else ""
    xml = (
        f'<data xmlns:jr="http://openrosa.org/javarosa" id="{FORM_ID}" version="1">'
        f"<nama>{escape(it.name)}</nama>"
        f"<profil><sektor>{escape(it.sector)}</sektor><kegiatan>{escape(it.activities)}</kegiatan>"
        f"<anggota>{escape(it.members)}</anggota><omzet>{escape(it.turnover)}</omzet></profil>"
        f"<provinsi>{escape(it.province)}</provinsi><kab_kota>{escape(it.regency)}</kab_kota>"
        f"<lokasi>{escape(it.point)}</lokasi><foto>{photo}</foto>"
        f"<meta><instanceID>{instance_id}</instanceID>{name}</meta></data>"
    ).encode()
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    if photo:
        files.append((photo, (photo, tiny_png(), "image/png")))
    prefix = f"/v1/key/{app_user_token}" if app_user_token else "/v1"
    posted = client.post(
        f"{prefix}/projects/{project_id}/submission", files=files, headers={**headers, **OPENROSA}
    )
    assert posted.status_code == 201, posted.text
    return instance_id


def review(
    client: httpx.Client, headers: dict[str, str], project_id: int, instance_id: str, state: str
) -> None:
    response = client.patch(
        f"/v1/projects/{project_id}/forms/{FORM_ID}/submissions/{instance_id}",
        json={"reviewState": state},
        headers=headers,
    )
    assert response.status_code == 200, response.text
