"""A small profile form for the tests of the submission pages, and submissions sent to it
as ODK Collect sends them (multipart, with their files; an edit names the version it
replaces in ``meta/deprecatedID``).

The form has labels in Bahasa Indonesia and English, a text, a group with a select_one,
a select_multiple and an integer, the wilayah questions (``provinces.csv`` and
``regencies.csv``), a geopoint, a photo, a document, and a repeat of products.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import httpx
from PIL import Image

from tests.builders import XLSX, xlsform

FORM_ID = "profil_uji"
OPENROSA = {"X-OpenRosa-Version": "1.0"}
LANGS = ["label::Bahasa Indonesia (id)", "label::English (en)"]
SURVEY = [
    ["type", "name", *LANGS, "choice_filter", "parameters"],
    ["text", "nama", "Nama inisiatif", "Initiative name", ""],
    ["begin_group", "profil", "Profil kelompok", "Group profile", ""],
    ["select_one sektor", "sektor", "Bidang utama", "Main sector", ""],
    ["select_multiple kegiatan", "kegiatan", "Kegiatan bersama", "Joint activities", ""],
    ["integer", "anggota", "Jumlah anggota", "Number of members", ""],
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
    ["file", "dokumen", "Dokumen", "Document", ""],
    ["begin_repeat", "produk", "Produk", "Products", ""],
    ["text", "nama_produk", "Nama produk", "Product name", ""],
    ["integer", "harga", "Harga", "Price", ""],
    ["end_repeat", "", "", "", ""],
]
CHOICES = [
    ["list_name", "name", *LANGS],
    ["sektor", "tenun", "Tenun", "Weaving"],
    ["sektor", "kopi", "Kopi", "Coffee"],
    ["kegiatan", "produksi", "Produksi", "Production"],
    ["kegiatan", "pemasaran", "Pemasaran bersama", "Joint marketing"],
]
SETTINGS = [
    ["form_id", "version", "form_title", "default_language", "instance_name"],
    [FORM_ID, "1", "Profil uji", "Bahasa Indonesia (id)", "${nama}"],
]
PROVINCES = b"name,label\n73,Sulawesi Selatan\n53,Nusa Tenggara Timur\n"
REGENCIES = (
    b"name,label,province_code\n73.71,Kota Makassar,73\n73.09,Kabupaten Maros,73\n"
    b"53.71,Kota Kupang,53\n"
)


def photo(width: int = 640, height: int = 480) -> bytes:
    """A JPEG photo larger than a thumbnail."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (122, 46, 95)).save(out, "JPEG")
    return out.getvalue()


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
class Profile:
    name: str = "Kelompok Tenun Ina"
    sector: str = "tenun"
    activities: str = "produksi pemasaran"
    members: str = "12"
    province: str = "73"
    regency: str = "73.71"
    point: str = "-5.147665 119.432732 12.0 4.5"
    photo: bool = False
    document: bool = False
    products: list[tuple[str, str]] = field(default_factory=lambda: [("Sarung", "350000")])
    instance_id: str = field(default_factory=lambda: f"uuid:{uuid.uuid4()}")
    deprecated_id: str | None = None


def submission_xml(it: Profile) -> bytes:
    products = "".join(
        f"<produk><nama_produk>{escape(n)}</nama_produk><harga>{escape(h)}</harga></produk>"
        for n, h in it.products
    )
    deprecated = f"<deprecatedID>{it.deprecated_id}</deprecatedID>" if it.deprecated_id else ""
    return (
        f'<data xmlns:jr="http://openrosa.org/javarosa" id="{FORM_ID}" version="1">'
        f"<nama>{escape(it.name)}</nama>"
        f"<profil><sektor>{escape(it.sector)}</sektor><kegiatan>{escape(it.activities)}</kegiatan>"
        f"<anggota>{escape(it.members)}</anggota></profil>"
        f"<provinsi>{escape(it.province)}</provinsi><kab_kota>{escape(it.regency)}</kab_kota>"
        f"<lokasi>{escape(it.point)}</lokasi>"
        f"<foto>{'foto-kegiatan.jpg' if it.photo else ''}</foto>"
        f"<dokumen>{'laporan.pdf' if it.document else ''}</dokumen>{products}"
        f"<meta><instanceID>{it.instance_id}</instanceID>{deprecated}"
        f"<instanceName>{escape(it.name)}</instanceName></meta></data>"
    ).encode()


def submit(client: httpx.Client, token: str, project_id: int, it: Profile) -> str:
    """Send one submission as ODK Collect does, with its files; its instanceID."""
    files = [("xml_submission_file", ("submission.xml", submission_xml(it), "text/xml"))]
    if it.photo:
        files.append(("foto-kegiatan.jpg", ("foto-kegiatan.jpg", photo(), "image/jpeg")))
    if it.document:
        files.append(("laporan.pdf", ("laporan.pdf", b"%PDF-1.4 laporan", "application/pdf")))
    posted = client.post(
        f"/v1/key/{token}/projects/{project_id}/submission", files=files, headers=OPENROSA
    )
    assert posted.status_code == 201, posted.text
    return it.instance_id
