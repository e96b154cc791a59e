"""A small initiative form for the atlas's tests, submissions sent to it as ODK Collect
sends them, and an atlas published over the REST API.

The form has public-looking fields (the group's name, its sector, members) and private
ones (the chair's name, her phone number, a note), a consent question, the wilayah
questions, a geopoint and a photo. `Initiative` fills the private fields with marker
strings that no public response may ever contain.
"""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import httpx
from PIL import Image

from tests.builders import XLSX, xlsform

FORM_ID = "atlas_uji"
SLUG = "peta-jaring"
OPENROSA = {"X-OpenRosa-Version": "1.0"}
LANGS = ["label::Bahasa Indonesia (id)", "label::English (en)"]
SURVEY = [
    ["type", "name", *LANGS, "choice_filter", "parameters"],
    ["text", "nama", "Nama kelompok", "Group name", "", ""],
    ["select_one sektor", "sektor", "Bidang utama", "Main sector", "", ""],
    ["integer", "anggota", "Jumlah anggota", "Number of members", "", ""],
    ["text", "ketua", "Nama ketua", "Chair's name", "", ""],
    ["text", "telepon", "Nomor telepon ketua", "Chair's phone", "", ""],
    ["text", "catatan", "Catatan pendata", "Enumerator's note", "", ""],
    [
        "select_one ya_tidak",
        "izin_publikasi",
        "Boleh dipublikasikan?",
        "May it be published?",
        "",
        "",
    ],
    ["select_one ya_tidak", "izin_foto", "Foto boleh terbit?", "Photos public?", "", ""],
    ["select_one_from_file provinces.csv", "provinsi", "Provinsi", "Province", "", ""],
    [
        "select_one_from_file regencies.csv",
        "kab_kota",
        "Kabupaten/Kota",
        "Regency/City",
        "province_code=${provinsi}",
        "",
    ],
    ["geopoint", "lokasi", "Titik lokasi", "Location", "", ""],
    ["image", "foto", "Foto kegiatan", "Photo", "", "max-pixels=1024"],
]
CHOICES = [
    ["list_name", "name", *LANGS],
    ["sektor", "tenun", "Tenun", "Weaving"],
    ["sektor", "kopi", "Kopi", "Coffee"],
    ["ya_tidak", "ya", "Ya", "Yes"],
    ["ya_tidak", "tidak", "Tidak", "No"],
]
SETTINGS = [
    ["form_id", "version", "form_title", "default_language", "instance_name"],
    [FORM_ID, "1", "Atlas uji", "Bahasa Indonesia (id)", "concat(${nama}, ' - ', ${ketua})"],
]
PROVINCES = b"name,label\n73,Sulawesi Selatan\n53,Nusa Tenggara Timur\n"
REGENCIES = (
    b"name,label,province_code\n73.71,Kota Makassar,73\n73.09,Kabupaten Maros,73\n"
    b"53.71,Kota Kupang,53\n"
)
PUBLIC_FIELDS = ["/nama", "/sektor", "/anggota", "/kab_kota"]


def publish_form(client: httpx.Client, headers: dict[str, str], project_id: int) -> str:
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


def photo_with_exif(secret: str) -> bytes:
    """A JPEG whose EXIF holds ``secret`` (as its description and artist) and a GPS
    position."""
    image = Image.new("RGB", (1600, 1200), (122, 46, 95))
    exif = Image.Exif()
    exif[0x010E] = f"desc {secret}"
    exif[0x013B] = f"artist {secret}"
    exif[0x8825] = {1: "S", 2: (5.0, 8.0, 51.59), 3: "E", 4: (119.0, 25.0, 57.83)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@dataclass
class Initiative:
    name: str = "Kelompok Tenun Ina"
    sector: str = "tenun"
    members: str = "12"
    chair: str = field(default_factory=lambda: f"KETUA-{uuid.uuid4().hex[:10]}")
    phone: str = field(default_factory=lambda: f"0812{uuid.uuid4().int % 10**8:08d}")
    note: str = field(default_factory=lambda: f"CATATAN-{uuid.uuid4().hex[:10]}")
    consent: str = "ya"
    photo_consent: str = "ya"
    province: str = "73"
    regency: str = "73.71"
    latitude: float = -5.147665
    longitude: float = 119.432732
    photo: bool = True
    instance_id: str = field(default_factory=lambda: f"uuid:{uuid.uuid4()}")

    @property
    def point_text(self) -> str:
        return f"{self.latitude:.6f} {self.longitude:.6f}"

    @property
    def markers(self) -> list[str]:
        """Values that must never appear in anything public."""
        return [
            self.chair,
            self.phone,
            self.note,
            self.point_text,
            f"{self.latitude:.6f}",
            f"{self.longitude:.6f}",
            self.instance_id,
            self.instance_id.removeprefix("uuid:"),
        ]


def submit(client: httpx.Client, headers: dict[str, str], project_id: int, it: Initiative) -> str:
    photo = "foto.jpg" if it.photo else ""
    xml = (
        f'<data xmlns:jr="http://openrosa.org/javarosa" id="{FORM_ID}" version="1">'
        f"<nama>{escape(it.name)}</nama><sektor>{it.sector}</sektor>"
        f"<anggota>{it.members}</anggota><ketua>{escape(it.chair)}</ketua>"
        f"<telepon>{it.phone}</telepon><catatan>{escape(it.note)}</catatan>"
        f"<izin_publikasi>{it.consent}</izin_publikasi><izin_foto>{it.photo_consent}</izin_foto>"
        f"<provinsi>{it.province}</provinsi><kab_kota>{it.regency}</kab_kota>"
        f"<lokasi>{it.point_text} 12.0 4.5</lokasi><foto>{photo}</foto>"
        f"<meta><instanceID>{it.instance_id}</instanceID>"
        f"<instanceName>{escape(it.name)} - {escape(it.chair)}</instanceName></meta></data>"
    ).encode()
    files = [("xml_submission_file", ("submission.xml", xml, "text/xml"))]
    if photo:
        files.append((photo, (photo, photo_with_exif(it.chair), "image/jpeg")))
    posted = client.post(
        f"/v1/projects/{project_id}/submission", files=files, headers={**headers, **OPENROSA}
    )
    assert posted.status_code == 201, posted.text
    return it.instance_id


def review(
    client: httpx.Client, headers: dict[str, str], project_id: int, instance_id: str, state: str
) -> None:
    response = client.patch(
        f"/v1/projects/{project_id}/forms/{FORM_ID}/submissions/{instance_id}",
        json={"reviewState": state},
        headers=headers,
    )
    assert response.status_code == 200, response.text


def create_atlas(
    client: httpx.Client, headers: dict[str, str], project_id: int, **overrides: object
) -> dict[str, object]:
    body = {
        "slug": SLUG,
        "xmlFormId": FORM_ID,
        "title": {"id": "Peta Inisiatif Perempuan", "en": "Atlas of Women's Initiatives"},
        "introduction": {"id": "Inisiatif ekonomi solidaritas.", "en": "Solidarity economy."},
        "licence": "CC BY 4.0",
        "fields": PUBLIC_FIELDS,
        "photos": ["/foto"],
        "consentField": "/izin_publikasi",
        "published": True,
        **overrides,
    }
    response = client.post(f"/v1/projects/{project_id}/atlases", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())
