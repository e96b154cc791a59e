"""The public side of an atlas: what anyone may see, without signing in.

`snapshot` gathers, once, everything an atlas shows: for each approved, consenting,
not withdrawn submission of the form, only the answers of the fields chosen to be
public (labels in Indonesian and English), its province, where it is drawn (never the
submitted point unless the atlas publishes exact points) and its chosen photos. Nothing
else of a submission is ever copied into it, so no page made from it can show a private
value: pages, downloads and the static export are all made from a snapshot.

A snapshot is kept in memory and used until the atlas's settings or withdrawals change
(its ``changed_at``, read on every request) or it is `FRESH_SECONDS` old, so a newly
approved initiative shows within a minute and a withdrawal at once. Pages made from it
are kept with it (`Snapshot.rendered`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import Counter, OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server import problems
from server.data import atlas as data
from server.data import images, wilayah
from server.data.maps import geopoint, point_fields
from server.domain import Services, submissions
from server.domain.atlas import SLUG, form_choices, reader
from server.domain.browse import SubmissionQuery, matching_rows
from server.domain.downloads import matching_language
from server.domain.labels import FormLabels, form_labels
from server.domain.thumbnails import _write_atomically as write_atomically
from server.store import atlas as store
from server.store import projects as project_store
from server.store.database import Database
from server.store.tables import Atlas

LANGUAGES = ("id", "en")
FRESH_SECONDS = 30.0
CHECK_SECONDS = 1.0  # how long a snapshot is used without reading its atlas's changed_at
PAGE_SIZE = 50
PHOTO_SIZE = 800
RENDERED_ITEMS = 512
PLACE_FILES = ("villages.csv", "districts.csv", wilayah.REGENCIES, wilayah.PROVINCES)


@dataclass(frozen=True)
class Column:
    """A public field: its path, its short name (a CSV header, a filter's parameter) and
    its label in each language."""

    path: str
    name: str
    labels: Mapping[str, str]
    kind: str  # text, number, date, select


@dataclass(frozen=True)
class Option:
    value: str
    labels: Mapping[str, str]
    count: int


@dataclass(frozen=True)
class Filter:
    name: str  # the query parameter
    labels: Mapping[str, str]
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Initiative:
    """One published initiative: public answers only."""

    key: str  # the public identifier
    names: Mapping[str, str]  # its name in each language ("" when no public text field)
    texts: Mapping[str, Mapping[str, str]]  # language -> column path -> answer as read
    raw: Mapping[str, str]  # column path -> answer as sent (selects: their values)
    province: str | None
    place: tuple[float, float] | None  # (longitude, latitude) as published
    photos: int  # how many chosen photos it has
    search: str  # its public text, lower-cased, for the directory's search


@dataclass(frozen=True)
class Figure:
    """A chart of the summary: how many initiatives give each answer."""

    labels: Mapping[str, str]  # the question, per language
    bars: tuple[tuple[Mapping[str, str], int], ...]  # (answer's label per language, count)


@dataclass
class Snapshot:
    atlas: Atlas
    stamp: datetime
    built: float
    columns: list[Column]
    filters: list[Filter]
    provinces: dict[str, str]  # code -> name, the provinces with initiatives
    initiatives: list[Initiative]
    by_key: dict[str, Initiative]
    photo_sources: dict[tuple[str, int], tuple[str, str]] = field(repr=False)
    figures: list[Figure] = field(default_factory=list)
    checked: float = 0.0  # when its atlas's changed_at was last read and found the same
    checking: bool = False  # a request is reading changed_at now
    rendered: OrderedDict[tuple[Any, ...], Any] = field(default_factory=OrderedDict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def title(self, language: str) -> str:
        return self.atlas.title_en if language == "en" else self.atlas.title_id

    def intro(self, language: str) -> str:
        return self.atlas.intro_en if language == "en" else self.atlas.intro_id

    def has(self, key: tuple[Any, ...]) -> bool:
        with self.lock:
            return key in self.rendered

    def kept(self, key: tuple[Any, ...], make: Callable[[], Any]) -> Any:
        """``make()``, made once per snapshot and key (a rendered page, a download)."""
        with self.lock:
            if key in self.rendered:
                self.rendered.move_to_end(key)
                return self.rendered[key]
        value = make()
        with self.lock:
            self.rendered[key] = value
            while len(self.rendered) > RENDERED_ITEMS:
                self.rendered.popitem(last=False)
        return value


_snapshots: weakref.WeakKeyDictionary[Database, dict[str, Snapshot]] = weakref.WeakKeyDictionary()
_building = threading.Lock()


def snapshot(services: Services, slug: str, *, fresh: bool = False) -> Snapshot:
    """The published atlas ``slug`` (404.1 for any other: unknown, unpublished, or a
    slug no atlas could have). ``fresh``: read now, whatever is kept."""
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise problems.not_found()
    kept = _snapshots.setdefault(services.db, {})
    found = kept.get(slug)
    try:
        with services.db.read() as session:
            row = store.atlas_by_slug(session, slug=slug)
    finally:
        if found is not None:
            found.checking = False
    if row is None or not row.published:
        kept.pop(slug, None)
        raise problems.not_found()
    if not fresh and found is not None and found.stamp == row.changed_at:
        found.checked = time.monotonic()
        if found.checked - found.built < FRESH_SECONDS:
            return found
        # Only old, not changed: one thread reads it again, the others use it meanwhile.
        if not _building.acquire(blocking=False):
            return found
        try:
            return _keep(kept, build(services, row))
        finally:
            _building.release()
    with _building:
        current = kept.get(slug)
        if (
            not fresh
            and current is not None
            and current is not found
            and current.stamp == row.changed_at
        ):
            return current  # made by another thread while this one waited
        return _keep(kept, build(services, row))


def _keep(kept: dict[str, Snapshot], built: Snapshot) -> Snapshot:
    built.checked = built.built
    kept[built.atlas.slug] = built
    return built


def recent(services: Services, slug: str) -> Snapshot | None:
    """The snapshot of ``slug`` without reading the database (the fast path of a busy
    atlas), or None when `snapshot` must be asked: every `CHECK_SECONDS` one request
    reads the atlas's ``changed_at`` (others meanwhile use what is kept)."""
    found = _snapshots.get(services.db, {}).get(slug)
    if found is None:
        return None
    now = time.monotonic()
    if now - found.checked < CHECK_SECONDS and now - found.built < FRESH_SECONDS:
        return found
    if found.checking:
        return found
    found.checking = True
    return None


def forget(services: Services, slug: str) -> None:
    """Drop this process's snapshot of ``slug`` (its settings or withdrawals changed);
    other processes see the change within `CHECK_SECONDS`."""
    _snapshots.get(services.db, {}).pop(slug, None)


def build(services: Services, row: Atlas) -> Snapshot:
    """Everything public about the atlas, read now."""
    assert row.id is not None
    actor = reader(row.project_id)
    with services.db.read() as session:
        live = project_store.project_by_id(session, project_id=row.project_id) is not None
        withdrawn = store.withdrawn(session, atlas_id=row.id)
    if not live:
        raise problems.not_found()
    labels = form_labels(services, actor, project_id=row.project_id, xml_form_id=row.xml_form_id)
    choices = form_choices(labels)  # empty for an encrypted form: nothing can be public
    allowed = {c.path: c.kind for c in choices.fields}
    photo_paths = [p for p in row.photos if p in {c.path for c in choices.photos}]
    columns = _columns(labels, [p for p in row.fields if p in allowed], allowed)
    places = [
        q.path
        for name in PLACE_FILES
        if (q := wilayah.file_question(labels.questions, labels.fields, name)) is not None
    ]
    points = point_fields(labels.fields)
    geo = points[0] if points else None
    names = _form_languages(labels)
    name_column = next((c for c in columns if c.kind == "text"), None)
    consent, photo_consent = row.consent_field, row.photo_consent_field
    rows = matching_rows(
        services,
        actor,
        project_id=row.project_id,
        xml_form_id=row.xml_form_id,
        query=SubmissionQuery(review_states=("approved",)),
    )
    initiatives: list[Initiative] = []
    photo_sources: dict[tuple[str, int], tuple[str, str]] = {}
    for submission in rows:
        values = submission.values
        if submission.instance_id in withdrawn or submission.local_key is not None:
            continue
        if consent is not None and not data.is_yes(_text(values, consent)):
            continue
        key = data.public_id(row.slug, submission.instance_id)
        raw = {c.path: text for c in columns if (text := _text(values, c.path))}
        texts = {
            language: {
                path: labels.answer(path, value, names[language]) for path, value in raw.items()
            }
            for language in LANGUAGES
        }
        province = next(
            (p for path in places if (p := data.province_of(_text(values, path)))), None
        )
        point = geopoint(geo, _text(values, geo.path)) if geo is not None else None
        n = 0
        if photo_consent is None or data.is_yes(_text(values, photo_consent)):
            for path in photo_paths:
                name = _text(values, path)
                if name and images.is_image(name):
                    photo_sources[(key, n)] = (submission.instance_id, name)
                    n += 1
        initiative_names = {
            language: texts[language].get(name_column.path, "") if name_column else ""
            for language in LANGUAGES
        }
        initiatives.append(
            Initiative(
                key=key,
                names=initiative_names,
                texts=texts,
                raw=raw,
                province=province,
                place=data.place(row.precision, point, province),
                photos=n,
                search=" ".join(
                    v.lower() for language in LANGUAGES for v in texts[language].values()
                ),
            )
        )
    initiatives.sort(key=lambda i: (i.names["id"].lower(), i.key))
    province_names = _province_names(labels, {i.province for i in initiatives if i.province})
    return Snapshot(
        atlas=row,
        stamp=row.changed_at,
        built=time.monotonic(),
        columns=columns,
        filters=_filters(labels, columns, initiatives, names),
        provinces=province_names,
        initiatives=initiatives,
        by_key={i.key: i for i in initiatives},
        photo_sources=photo_sources,
        figures=_figures(labels, columns, initiatives, province_names, names),
    )


def _form_languages(labels: FormLabels) -> dict[str, str | None]:
    return {
        language: matching_language(labels.questions.languages, language) for language in LANGUAGES
    }


def _columns(labels: FormLabels, paths: list[str], kinds: Mapping[str, str]) -> list[Column]:
    names = _form_languages(labels)
    columns, seen = [], set()
    for path in paths:
        name = path.rsplit("/", 1)[-1]
        if name in seen or name in RESERVED:
            name = path.strip("/").replace("/", "-")
        seen.add(name)
        columns.append(
            Column(
                path=path,
                name=name,
                labels={language: labels.label(path, names[language]) for language in LANGUAGES},
                kind=kinds[path],
            )
        )
    return columns


RESERVED = frozenset({"q", "page", "lang", "province", "id", "name", "licence"})


def _filters(
    labels: FormLabels,
    columns: list[Column],
    initiatives: list[Initiative],
    names: Mapping[str, str | None],
) -> list[Filter]:
    found = []
    for column in columns:
        question = labels.questions.questions.get(column.path)
        if question is None or question.control != "select1":
            continue
        counts = Counter(i.raw[column.path] for i in initiatives if column.path in i.raw)
        options = tuple(
            Option(
                value=value,
                labels={
                    language: labels.answer(column.path, value, names[language])
                    for language in LANGUAGES
                },
                count=count,
            )
            for value, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        )
        found.append(Filter(name=column.name, labels=column.labels, options=options))
    return found


def _figures(
    labels: FormLabels,
    columns: list[Column],
    initiatives: list[Initiative],
    provinces: Mapping[str, str],
    names: Mapping[str, str | None],
) -> list[Figure]:
    """Counts of initiatives by province and by each public select question."""
    found = []
    by_province = Counter(i.province for i in initiatives if i.province)
    if by_province:
        found.append(
            Figure(
                labels={"id": "Provinsi", "en": "Province"},
                bars=tuple(
                    ({"id": provinces[c], "en": provinces[c]}, n)
                    for c, n in by_province.most_common()
                ),
            )
        )
    for column in columns:
        if column.kind != "select":
            continue
        question = labels.questions.questions[column.path]
        counts: Counter[str] = Counter()
        for i in initiatives:
            raw = i.raw.get(column.path, "")
            counts.update(raw.split() if question.control == "select" else [raw] if raw else [])
        if counts:
            found.append(
                Figure(
                    labels=column.labels,
                    bars=tuple(
                        (
                            {
                                language: labels.answer(column.path, value, names[language])
                                for language in LANGUAGES
                            },
                            n,
                        )
                        for value, n in counts.most_common()
                    ),
                )
            )
    return found


def _province_names(labels: FormLabels, codes: set[str]) -> dict[str, str]:
    listed = labels.choice_files.get(wilayah.PROVINCES, {})
    return {code: listed.get(code, code) for code in sorted(codes)}


def _text(values: Mapping[str, Any], path: str) -> str | None:
    value = values.get(path)
    if not isinstance(value, str):
        return None
    return value.strip() or None


# Reading a snapshot


@dataclass(frozen=True)
class Directory:
    initiatives: list[Initiative]
    total: int  # matching initiatives
    page: int
    pages: int
    query: dict[str, str]  # the filters and search understood, by parameter


def directory(found: Snapshot, params: Mapping[str, str]) -> Directory:
    """The initiatives matching the public filters and search in ``params``; any other
    parameter (a private field's name, a sort key, an expression) is ignored."""
    query: dict[str, str] = {}
    matching = found.initiatives
    province = (params.get("province") or "").strip()
    if province:
        query["province"] = province[:20]
        matching = [i for i in matching if i.province == province]
    for public in found.filters:
        wanted = (params.get(public.name) or "").strip()
        if wanted:
            query[public.name] = wanted[:200]
            path = next(c.path for c in found.columns if c.name == public.name)
            matching = [i for i in matching if i.raw.get(path) == wanted]
    search = " ".join((params.get("q") or "").lower().split())[:200]
    if search:
        query["q"] = search
        matching = [i for i in matching if all(w in i.search for w in search.split())]
    pages = max(1, -(-len(matching) // PAGE_SIZE))
    page = _page(params.get("page"))
    start = (page - 1) * PAGE_SIZE
    return Directory(
        initiatives=matching[start : start + PAGE_SIZE] if start < len(matching) else [],
        total=len(matching),
        page=page,
        pages=pages,
        query=query,
    )


def _page(raw: str | None) -> int:
    try:
        page = int((raw or "1").strip()[:12])
    except ValueError:
        return 1
    return page if page >= 1 else 1


def initiative(found: Snapshot, key: str) -> Initiative:
    """A published initiative by its public identifier (404.1 for anything else)."""
    hit = found.by_key.get(key) if isinstance(key, str) else None
    if hit is None:
        raise problems.not_found()
    return hit


def photo(services: Services, found: Snapshot, key: str, number: int) -> bytes:
    """A published photo, made small (at most `PHOTO_SIZE` pixels) and re-encoded,
    which drops its EXIF data (the place it was taken, the phone)."""
    source = found.photo_sources.get((key, number))
    if source is None:
        raise problems.not_found()
    instance_id, name = source
    row = found.atlas
    _attachment, blob = submissions.attachment_blob(
        services,
        reader(row.project_id),
        project_id=row.project_id,
        xml_form_id=row.xml_form_id,
        instance_id=instance_id,
        name=name,
    )
    cached = services.settings.data_dir / "cache" / "atlas" / f"{blob.sha256}-{PHOTO_SIZE}.jpg"
    try:
        return cached.read_bytes()
    except FileNotFoundError:
        pass
    try:
        with services.blobs.open(blob.sha256) as stream:
            small = images.thumbnail(stream, PHOTO_SIZE)
    except (images.NotAnImage, FileNotFoundError) as error:
        raise problems.not_found() from error
    try:
        write_atomically(cached, small)
    except OSError:
        pass
    return small


# Open data


def csv_download(found: Snapshot, language: str) -> bytes:
    """The public fields of every initiative as CSV, with the licence on every row."""
    header = [
        "id",
        *[c.name for c in found.columns],
        "province_code",
        "province",
        "longitude",
        "latitude",
        "licence",
    ]
    rows = (
        [
            i.key,
            *[i.texts[language].get(c.path, "") for c in found.columns],
            i.province or "",
            found.provinces.get(i.province or "", ""),
            _coordinate(i.place, 0),
            _coordinate(i.place, 1),
            found.atlas.licence,
        ]
        for i in found.initiatives
    )
    return data.csv_bytes(header, rows)


def _coordinate(place: tuple[float, float] | None, index: int) -> str:
    return "" if place is None else repr(place[index])


def geojson_download(found: Snapshot, language: str) -> bytes:
    """The public fields of every initiative with a place, as GeoJSON, with the licence."""
    features = (
        {
            "type": "Feature",
            "id": i.key,
            "geometry": {"type": "Point", "coordinates": list(i.place)},
            "properties": {
                **{c.name: i.texts[language].get(c.path) for c in found.columns},
                "province": found.provinces.get(i.province or ""),
            },
        }
        for i in found.initiatives
        if i.place is not None
    )
    return data.feature_collection(features, _about(found, language))


def map_points(found: Snapshot, language: str) -> bytes:
    """The map's points: each initiative's identifier, name and place, nothing more."""
    features = (
        {
            "type": "Feature",
            "id": i.key,
            "geometry": {"type": "Point", "coordinates": list(i.place)},
            "properties": {"name": i.names[language]},
        }
        for i in found.initiatives
        if i.place is not None
    )
    return data.feature_collection(features, {"precision": found.atlas.precision})


def _about(found: Snapshot, language: str) -> dict[str, Any]:
    return {
        "name": found.title(language),
        "licence": found.atlas.licence,
        "precision": found.atlas.precision,
    }
