"""A submission as a point on the console's map: a small GeoJSON Feature.

The Feature holds only what the map draws and its popup shows: the instanceID (as the
Feature's id), the point (longitude first, to 6 decimals, about 10 cm), the initiative's
name (the instance name, else the first text answer), the value of the question the
points are coloured by, and the name of the first photo. A few hundred bytes each, so
ten thousand points stay a light download.

Geopoints are read as the exports read them (`server.data.tables.odata_value`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.data.answers import display_name, name_paths
from server.data.questions import FormQuestions
from server.data.tables import odata_value, repeat_chain
from server.data.xform import FieldInfo

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif")
DECIMALS = 6


def point_fields(fields: list[FieldInfo]) -> list[FieldInfo]:
    """The geopoint fields outside every repeat, in the form's order."""
    return [f for f in fields if f.type == "geopoint" and not repeat_chain(fields, f.path)]


@dataclass(frozen=True)
class PointLayout:
    """Where each part of a point is read from in a submission's values."""

    geo: FieldInfo
    text_paths: tuple[str, ...]  # text questions, for a submission without an instance name
    photo_paths: tuple[str, ...]  # file questions, outside repeats
    colour_path: str | None = None


def point_layout(
    questions: FormQuestions, fields: list[FieldInfo], geo: FieldInfo, colour_path: str | None
) -> PointLayout:
    """The layout of ``geo``'s points: text and file questions outside repeats."""
    outside = [f for f in fields if not repeat_chain(fields, f.path)]
    photos = tuple(f.path for f in outside if f.binary)
    return PointLayout(
        geo=geo,
        text_paths=name_paths(questions, fields),
        photo_paths=photos,
        colour_path=colour_path,
    )


def geopoint(info: FieldInfo, text: str | None) -> tuple[float, float] | None:
    """(longitude, latitude) of a geopoint answer; None when it is empty or not a point."""
    value = odata_value(info, text, False)
    if not isinstance(value, dict):
        return None
    longitude, latitude = value["coordinates"][:2]
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        return None
    return round(longitude, DECIMALS), round(latitude, DECIMALS)


def map_feature(
    layout: PointLayout,
    *,
    instance_id: str,
    instance_name: str | None,
    values: Mapping[str, Any],
) -> dict[str, Any] | None:
    """The Feature of one submission, or None when it has no point."""
    point = geopoint(layout.geo, _text(values, layout.geo.path))
    if point is None:
        return None
    properties: dict[str, Any] = {}
    name = display_name(instance_name, values, layout.text_paths)
    if name:
        properties["name"] = name
    if layout.colour_path is not None:
        properties["color"] = _text(values, layout.colour_path)
    photo = next(
        (
            text
            for path in layout.photo_paths
            if (text := _text(values, path)) and text.lower().endswith(IMAGE_SUFFIXES)
        ),
        None,
    )
    if photo:
        properties["photo"] = photo
    return {
        "type": "Feature",
        "id": instance_id,
        "geometry": {"type": "Point", "coordinates": list(point)},
        "properties": properties,
    }


def _text(values: Mapping[str, Any], path: str) -> str | None:
    value = values.get(path)
    if not isinstance(value, str):
        return None
    return value.strip() or None
