"""The public atlas as pages: the same templates for the live site (``/atlas/{slug}``)
and for the folder copy (`server.tasks.atlas_export`), which differ only in their
addresses (`LiveLinks`, `FolderLinks`).

Pages are made from a `Snapshot` alone, which holds nothing but public values; every
template autoescapes, and the map's script puts every text in as text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from server.console import i18n, urls
from server.console.rendering import Templates, static
from server.domain.atlas_public import LANGUAGES, Directory, Figure, Initiative, Snapshot

ID_SLOT = "__ID__"
VENDOR = {
    "leaflet.css": "vendor/leaflet-1.9.4/dist/leaflet.css",
    "leaflet.js": "vendor/leaflet-1.9.4/dist/leaflet.js",
    "cluster.css": "vendor/leaflet.markercluster-1.5.3/dist/MarkerCluster.css",
    "cluster.js": "vendor/leaflet.markercluster-1.5.3/dist/leaflet.markercluster.js",
    "atlas.css": "atlas.css",
    "atlas.js": "atlas.js",
    "basemap": "basemap/indonesia-provinces.geojson",
}


class LiveLinks:
    """Addresses on this server; the language travels in ``?lang=``."""

    local_filters = False

    def __init__(self, slug: str) -> None:
        self.base = f"/atlas/{quote(slug, safe='')}"

    def home(self, lang: str) -> str:
        return urls.with_query(self.base, lang=lang)

    def directory(self, lang: str, query: Mapping[str, str] | None = None, page: int = 1) -> str:
        return urls.with_query(
            f"{self.base}/initiatives",
            lang=lang,
            **dict(query or {}),
            page=page if page > 1 else None,
        )

    def directory_action(self, lang: str) -> str:
        return f"{self.base}/initiatives"

    def initiative(self, key: str, lang: str) -> str:
        return urls.with_query(f"{self.base}/initiatives/{key}", lang=lang)

    def points(self, lang: str) -> str:
        return urls.with_query(f"{self.base}/points.geojson", lang=lang)

    def points_script(self, lang: str) -> str | None:
        return None

    def basemap_script(self) -> str | None:
        return None

    def download(self, kind: str, lang: str) -> str:
        return urls.with_query(f"{self.base}/data.{kind}", lang=lang)

    def photo(self, key: str, number: int) -> str:
        return f"{self.base}/initiatives/{key}/photos/{number}.jpg"

    def asset(self, name: str) -> str:
        return static(VENDOR[name])


class FolderLinks:
    """Relative addresses inside the folder copy, from a page ``depth`` folders down."""

    local_filters = True

    def __init__(self, depth: int = 0) -> None:
        self.up = "../" * depth

    @staticmethod
    def _suffix(lang: str) -> str:
        return "" if lang == "id" else f"-{lang}"

    def home(self, lang: str) -> str:
        return f"{self.up}index{self._suffix(lang)}.html"

    def directory(self, lang: str, query: Mapping[str, str] | None = None, page: int = 1) -> str:
        return f"{self.up}initiatives{self._suffix(lang)}.html"

    def directory_action(self, lang: str) -> str:
        return self.directory(lang)

    def initiative(self, key: str, lang: str) -> str:
        return f"{self.up}initiatives/{key}{self._suffix(lang)}.html"

    def points(self, lang: str) -> str:
        return f"{self.up}data/points-{lang}.geojson"

    def points_script(self, lang: str) -> str | None:
        return f"{self.up}data/points-{lang}.js"

    def basemap_script(self) -> str | None:
        return f"{self.up}assets/basemap.js"

    def download(self, kind: str, lang: str) -> str:
        return f"{self.up}data/atlas-{lang}.{kind}"

    def photo(self, key: str, number: int) -> str:
        return f"{self.up}photos/{key}-{number}.jpg"

    def asset(self, name: str) -> str:
        return f"{self.up}assets/{FOLDER_ASSETS[name]}"


FOLDER_ASSETS = {
    "leaflet.css": "leaflet/leaflet.css",
    "leaflet.js": "leaflet/leaflet.js",
    "cluster.css": "leaflet/MarkerCluster.css",
    "cluster.js": "leaflet/leaflet.markercluster.js",
    "atlas.css": "atlas.css",
    "atlas.js": "atlas.js",
    "basemap": "basemap.geojson",
}

Links = LiveLinks | FolderLinks


def _bars(figure: Figure, lang: str) -> Markup:
    """A horizontal bar chart as SVG (attributes only: the pages allow no inline style)."""
    top = max((n for _label, n in figure.bars), default=1) or 1
    row, width, label_w = 22, 320, 130
    parts = [
        f'<svg viewBox="0 0 {width + 40} {row * len(figure.bars) + 4}" role="img" '
        f'aria-label="{Markup.escape(figure.labels[lang])}">'
    ]
    for n, (label, count) in enumerate(figure.bars):
        y = n * row + 2
        text = str(label.get(lang, ""))
        short = text if len(text) <= 20 else text[:19] + "…"
        bar = max(2, round((width - label_w) * count / top))
        parts.append(
            f'<text x="0" y="{y + 14}">{Markup.escape(short)}'
            f"<title>{Markup.escape(text)}</title></text>"
            f'<rect class="atlas-bar" x="{label_w}" y="{y + 3}" width="{bar}" height="14"></rect>'
            f'<text x="{label_w + bar + 4}" y="{y + 14}">{count}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _texts(gettext: Any) -> dict[str, str]:
    _ = gettext
    return {
        "provinces": _("Provinces (offline map)"),
        "osm": _("OpenStreetMap (needs the internet)"),
        "open": _("Open the initiative"),
        "noName": _("Initiative without a name"),
        "none": _("No initiative to show on the map yet."),
        "failed": _("The map could not be loaded. Reload the page to try again."),
    }


def render(
    templates: Templates,
    name: str,
    *,
    found: Snapshot,
    lang: str,
    links: Links,
    other: str,
    context: Mapping[str, Any],
) -> str:
    """A page of the atlas in ``lang``; ``other`` is the same page in the other language."""
    environment = templates.environments[lang]
    gettext = i18n.translations(lang).gettext
    template = environment.get_template(f"atlas/{name}")
    return template.render(
        {
            "lang": lang,
            "other_lang": next(code for code in LANGUAGES if code != lang),
            "other_url": other,
            "atlas": found,
            "links": links,
            "title": found.title(lang),
            "texts": _texts(gettext),
            "bars": _bars,
            "province_name": lambda code: found.provinces.get(code or "", ""),
            **context,
        }
    )


def home_page(templates: Templates, found: Snapshot, lang: str, links: Links, other: str) -> str:
    return render(
        templates,
        "home.html",
        found=found,
        lang=lang,
        links=links,
        other=other,
        context={"figures": found.figures, "count": len(found.initiatives)},
    )


def directory_page(
    templates: Templates,
    found: Snapshot,
    listing: Directory,
    lang: str,
    links: Links,
    other: str,
) -> str:
    return render(
        templates,
        "directory.html",
        found=found,
        lang=lang,
        links=links,
        other=other,
        context={"listing": listing},
    )


def initiative_page(
    templates: Templates,
    found: Snapshot,
    initiative: Initiative,
    lang: str,
    links: Links,
    other: str,
) -> str:
    return render(
        templates,
        "initiative.html",
        found=found,
        lang=lang,
        links=links,
        other=other,
        context={"initiative": initiative},
    )
