"""Exports of a form's submissions: CSV (zip), XLSX, GeoJSON and OData, all as streams.

Each function checks the caller's rights (``submission.read``, or ``submission.list``
for GeoJSON, as Central), reads the form's field schema, and fetches the first page of
rows before it returns, so a bad ``$filter`` or a missing form is a proper Problem and
not a broken body. The rest is read page by page while the body streams: memory holds
one page, whatever the number of submissions. Rows are read newest first; an export only
reads submissions that existed when it started.

Encrypted submissions are exported as Central does: without passphrases, with empty
data and a status; with the passphrase of a managed key, decrypted on the way out
(`server.domain.decrypting`), their media in ``media/`` under their plain names. A
decrypting export spools nothing to disk: each table is a pass of its own over the rows.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement

from server.data import odata_filter
from server.data import tables as t
from server.data.xform import FieldInfo
from server.domain import Services
from server.domain.access import SUBMISSION_LIST, SUBMISSION_READ, Actor
from server.domain.decrypting import decrypt_row, decrypted_media
from server.domain.encryption import NO_KEYS, OpenKeys, open_keys
from server.domain.forms import authorised_form
from server.formats import odata as odata_format
from server.formats.tabular import csv_bytes, geojson_bytes, xlsx_bytes
from server.formats.zipstream import ZipStream
from server.problems import Problem
from server.store import exports as store
from server.store import forms as form_store
from server.store.exports import AttachmentRow, Cursor, ExportRow
from server.store.tables import Form

log = logging.getLogger("jaring.exports")

ATTACHMENT_PAGE = 500


@dataclass
class Export:
    """A body to stream: file name, content type, the chunks, and an ETag if any."""

    filename: str | None
    content_type: str
    body: Iterator[bytes]
    etag: str | None = None


@dataclass
class FormData:
    form: Form
    fields: list[FieldInfo]
    xml: bytes
    form_id: int


@dataclass
class CsvOptions:
    attachments: bool = True
    group_paths: bool = True
    split_select_multiples: bool = False
    deleted_fields: bool = False
    filter: str | None = None
    # Managed keys' passphrases by key id: given, the export decrypts what they open.
    passphrases: dict[int, str] = field(default_factory=dict, repr=False)


def _form_data(
    services: Services,
    actor: Actor,
    project_id: int,
    xml_form_id: str,
    verb: str,
    *,
    deleted_fields: bool = False,
    draft: bool = False,
) -> FormData:
    """The form and the fields of its published definition (of its draft, with ``draft``)."""
    form = authorised_form(services, actor, project_id, xml_form_id, verb)
    def_id = form.draft_def_id if draft else form.current_def_id
    if def_id is None or form.id is None:
        raise Problem("404.1", "Could not find the resource you were looking for.")
    with services.db.read() as session:
        current = form_store.form_def_by_id(session, form_def_id=def_id)
        assert current is not None
        versions = [current.schema_]
        if deleted_fields:
            versions += [
                d.schema_
                for d in form_store.published_defs(session, form_id=form.id)
                if d.id != current.id
            ]
    schemas = [[FieldInfo.from_json(f) for f in version] for version in versions]
    fields = t.merged_fields(schemas) if deleted_fields else schemas[0]
    return FormData(form=form, fields=fields, xml=current.xml, form_id=form.id)


def _condition(
    services: Services, filter_text: str | None, *, draft: bool = False
) -> ColumnElement[bool]:
    dialect = "sqlite" if services.db.is_sqlite else "postgresql"
    return store.filter_clause(odata_filter.parse_filter(filter_text), dialect=dialect, draft=draft)


class _Rows:
    """The rows of one export: the first page read now, the rest on each pass."""

    def __init__(
        self,
        services: Services,
        form_id: int,
        condition: ColumnElement[bool],
        keys: OpenKeys = NO_KEYS,
        fields: list[FieldInfo] | None = None,
    ) -> None:
        self.services = services
        self.form_id = form_id
        self.condition = condition
        self.keys = keys
        self.fields = fields or []
        with services.db.read() as session:
            self.until_id = store.newest_id(session, form_id=form_id)
            self.first = store.export_page(
                session, form_id=form_id, condition=condition, after=None, until_id=self.until_id
            )

    @property
    def decrypting(self) -> bool:
        return self.keys.given

    def __call__(self) -> Iterator[ExportRow]:
        if not self.decrypting:
            yield from self._stored()
            return
        for row in self._stored():
            decrypted = decrypt_row(self.services, self.keys, self.fields, row)
            if decrypted is not None:
                yield decrypted

    def _stored(self) -> Iterator[ExportRow]:
        yield from self.first
        if len(self.first) < store.PAGE_SIZE:
            return
        yield from store.iterate_rows(
            self.services.db.read,
            form_id=self.form_id,
            condition=self.condition,
            until_id=self.until_id,
            after=self.first[-1].cursor,
        )


def _etag(services: Services, form_id: int, *extra: Any) -> str:
    with services.db.read() as session:
        parts = store.etag_parts(session, form_id=form_id)
    digest = hashlib.md5(repr((parts, extra)).encode()).hexdigest()  # noqa: S324
    return f'"{digest}"'


def _select_values(data: FormData, rows: _Rows) -> dict[str, list[str]]:
    paths = set(t.select_multiple_paths(data.fields))
    if not paths:
        return {}
    chosen: dict[str, set[str]] = {}
    for row in rows():
        t.collect_choices(row.values, paths, chosen)
    return {path: sorted(values) for path, values in chosen.items()}


def _tables(
    data: FormData, rows: _Rows, options: CsvOptions, *, root_only: bool = False
) -> list[t.CsvTable]:
    select_values = _select_values(data, rows) if options.split_select_multiples else None
    return t.csv_tables(
        data.fields,
        data.form.xml_form_id,
        select_values=select_values,
        group_paths=options.group_paths,
        root_only=root_only,
    )


def _table_rows(table: t.CsvTable, rows: _Rows) -> Iterator[list[Any]]:
    for row in rows():
        yield from t.csv_rows(table, row)


def _csv_source(
    services: Services, actor: Actor, project_id: int, xml_form_id: str, options: CsvOptions
) -> tuple[FormData, _Rows]:
    """The form and its filtered submissions, for the CSV and XLSX exports."""
    data = _form_data(
        services,
        actor,
        project_id,
        xml_form_id,
        SUBMISSION_READ,
        deleted_fields=options.deleted_fields,
    )
    keys = open_keys(services, options.passphrases)
    condition = _condition(services, options.filter)
    return data, _Rows(services, data.form_id, condition, keys, data.fields)


def csv_zip(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, options: CsvOptions
) -> Export:
    """Central's ``submissions.csv.zip``: root CSV, one CSV per repeat, ``media/`` files."""
    data, rows = _csv_source(services, actor, project_id, xml_form_id, options)
    tables = _tables(data, rows, options)
    etag = _etag(services, data.form_id, "zip", _etag_options(options))

    def body() -> Iterator[bytes]:
        archive = ZipStream()
        root, repeats = tables[0], tables[1:]
        if rows.decrypting:
            # Cleartext never goes to disk: one pass over the rows per table.
            for table in tables:
                yield from archive.entry(
                    table.file_name, csv_bytes(table.header, _table_rows(table, rows))
                )
            if options.attachments:
                yield from _media_entries(services, archive, data.form_id, rows)
            yield from archive.close()
            return
        with ExitStack() as stack:
            spools = [
                stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", newline=""))
                for _ in repeats
            ]
            writers = [csv.writer(spool, lineterminator="\n") for spool in spools]
            for table, writer in zip(repeats, writers, strict=True):
                writer.writerow(table.header)

            def root_rows() -> Iterator[list[Any]]:
                # One pass: the root rows stream out, repeat rows wait in files on disk.
                for row in rows():
                    yield from t.csv_rows(root, row)
                    for table, writer in zip(repeats, writers, strict=True):
                        writer.writerows(t.csv_rows(table, row))

            yield from archive.entry(root.file_name, csv_bytes(root.header, root_rows()))
            for table, spool in zip(repeats, spools, strict=True):
                spool.seek(0)
                yield from archive.entry(table.file_name, _spooled(spool))
        if options.attachments:
            yield from _media_entries(services, archive, data.form_id, rows)
        yield from archive.close()

    name = t.sanitize_file_name(data.form.xml_form_id)
    return Export(
        f"{name}.zip" if options.attachments else f"{name}.csv.zip", "application/zip", body(), etag
    )


def csv_root(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, options: CsvOptions
) -> Export:
    """Central's ``submissions.csv``: the root table alone."""
    data, rows = _csv_source(services, actor, project_id, xml_form_id, options)
    table = _tables(data, rows, options, root_only=True)[0]
    etag = _etag(services, data.form_id, "csv", _etag_options(options))
    name = t.sanitize_file_name(data.form.xml_form_id)
    return Export(
        f"{name}.csv", "text/csv", csv_bytes(table.header, _table_rows(table, rows)), etag
    )


def xlsx(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    options: CsvOptions,
    labels: bool = False,
    language: str | None = None,
) -> Export:
    """One sheet per table, the CSV's columns; a second header row of labels if asked."""
    data, rows = _csv_source(services, actor, project_id, xml_form_id, options)
    tables = _tables(data, rows, options)
    names = t.field_labels(data.xml, language) if labels or language else None

    def sheets() -> Iterator[tuple[str, list[list[str]], Iterator[list[Any]]]]:
        for table in tables:
            headers = [table.header]
            if names is not None:
                headers.append(t.label_row(table, names))
            yield table.file_name.removesuffix(".csv"), headers, _typed(_table_rows(table, rows))

    name = t.sanitize_file_name(data.form.xml_form_id)
    return Export(
        f"{name}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        xlsx_bytes(sheets()),
    )


def _typed(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
    for row in rows:
        yield ["" if v is None else v for v in row]


def geojson(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    fieldpath: str | None = None,
    filter_text: str | None = None,
    limit: int | None = None,
) -> Export:
    """Central's ``submissions.geojson``: a Feature per submission with a geometry."""
    data = _form_data(services, actor, project_id, xml_form_id, SUBMISSION_LIST)
    geos = t.geo_fields(data.fields)
    geo = next((g for g in geos if g.path == fieldpath), None) if fieldpath else None
    if fieldpath and geo is None:
        raise Problem(
            "404.1", "Could not find the resource you were looking for.", {"fieldpath": fieldpath}
        )
    if geo is None and geos:
        geo = next((g for g in geos if not t.repeat_chain(data.fields, g.path)), geos[0])
    rows = _Rows(services, data.form_id, _condition(services, filter_text))
    properties = t.root_properties(data.fields)

    def features() -> Iterator[dict[str, Any]]:
        if geo is None:
            return
        count = 0
        for row in rows():
            if limit is not None and count >= limit:
                return
            feature = t.geojson_feature(data.fields, geo, row, properties)
            if feature is not None:
                count += 1
                yield feature

    etag = _etag(services, data.form_id, "geojson", fieldpath, filter_text, limit)
    return Export(None, "application/geo+json", geojson_bytes(features()), etag)


def _etag_options(options: CsvOptions) -> dict[str, Any]:
    """What of the options changes the body; of the passphrases, only which keys."""
    shown: dict[str, Any] = {k: v for k, v in vars(options).items() if k != "passphrases"}
    shown["keys"] = sorted(options.passphrases)
    return shown


def _media_entries(
    services: Services, archive: ZipStream, form_id: int, rows: _Rows
) -> Iterator[bytes]:
    """The zip's ``media/`` files: plain attachments as stored; encrypted ones decrypted
    when their key was opened, left out otherwise (as Central)."""
    seen: set[str] = set()
    for attachment in _attachments(services, form_id, rows.until_id):
        if attachment.local_key is None:
            name, chunks = attachment.name, _file_chunks(services, attachment.blob_sha)
        else:
            opened = decrypted_media(services, rows.keys, attachment) if rows.decrypting else None
            if opened is None:
                continue
            name, chunks = opened
        safe = t.sanitize_file_name(name)
        if not safe or safe in seen:
            chunks.close()  # type: ignore[attr-defined]
            continue
        seen.add(safe)
        yield from archive.entry(f"media/{safe}", chunks, compress=False)


def _attachments(services: Services, form_id: int, until_id: int) -> Iterator[AttachmentRow]:
    after: tuple[int, str] | None = None
    while True:
        with services.db.read() as session:
            page = store.attachments_page(
                session, form_id=form_id, until_id=until_id, after=after, limit=ATTACHMENT_PAGE
            )
        for attachment in page:
            if services.blobs.exists(attachment.blob_sha):
                yield attachment
            else:
                # Left out of the zip, as a file never received is; the operator is told.
                log.error(
                    "blob %s of %s is missing from the blob store; left out of the export",
                    attachment.blob_sha,
                    attachment.name,
                )
            after = (attachment.submission_id, attachment.name)
        if len(page) < ATTACHMENT_PAGE:
            return


def _spooled(spool: Any) -> Iterator[bytes]:
    while chunk := spool.read(64 * 1024):
        yield chunk.encode("utf-8")


def _file_chunks(services: Services, sha: str) -> Iterator[bytes]:
    with services.blobs.open(sha) as source:
        while chunk := source.read(256 * 1024):
            yield chunk


# ---------------------------------------------------------------------------- OData


@dataclass
class ODataQuery:
    top: str | None = None
    skip: str | None = None
    count: bool = False
    filter: str | None = None
    select: str | None = None
    expand: str | None = None
    wkt: bool = False
    skiptoken: str | None = None
    orderby: str | None = None


@dataclass
class ODataPage:
    """Entities to stream and the footer completed once they have all gone out."""

    entities: Iterator[dict[str, Any]]
    footer: dict[str, Any] = field(default_factory=dict)


def odata_fields(
    services: Services, actor: Actor, *, project_id: int, xml_form_id: str, draft: bool = False
) -> FormData:
    """The form behind ``….svc`` and ``$metadata`` (``submission.read`` needed), or behind
    its draft's ``draft.svc``."""
    return _form_data(services, actor, project_id, xml_form_id, SUBMISSION_READ, draft=draft)


def _int_option(name: str, raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError as error:
        raise Problem(
            "400.8",
            f"Unexpected {name} value {raw}; expected an integer.",
            {"field": name, "value": raw, "reason": "expected an integer."},
        ) from error
    return max(0, value)


def _options(query: ODataQuery, fields: list[FieldInfo], table: str) -> t.ODataOptions:
    if query.expand is not None and query.expand != "*":
        raise Problem(
            "501.6",
            f'The given OData expand expression is not supported by this server: "{query.expand}".'
            ' Currently, only "$expand=*" is supported.',
            {"text": query.expand},
        )
    if query.select is not None and query.expand is not None:
        raise Problem("501.11", "This server doesn't support $select query parameter with $expand.")
    if query.orderby is not None and query.skiptoken is not None:
        raise odata_filter.orderby_with_skiptoken()
    select = None
    if query.select is not None and query.select.strip() != "*":
        select = [p.strip() for p in query.select.split(",") if p.strip()]
        known = _selectable(fields, table)
        for name in select:
            if name not in known:
                raise Problem(
                    "400.23", f"Could not find a property named '{name}'", {"property": name}
                )
    return t.ODataOptions(wkt=query.wkt, expand=query.expand == "*", select=select)


def _selectable(fields: list[FieldInfo], table: str) -> set[str]:
    names = {"__id"}
    prefix = ""
    if table == "Submissions":
        names |= {"__system"} | {f"__system/{k}" for k in t.odata_system_keys()}
    else:
        repeat = t.odata_tables(fields)[table]
        assert repeat is not None
        prefix = repeat.path
        chain = t.repeat_chain(fields, repeat.path)
        parent = ["Submissions"] + (
            [t.sanitize_odata(p) for p in chain[-2].split("/")[1:]] if len(chain) > 1 else []
        )
        names.add(f"__{'-'.join(parent)}-id")
    for info in fields:
        if not info.path.startswith(prefix + "/"):
            continue
        rest = info.path[len(prefix) + 1 :]
        if t.repeat_chain(fields, info.path)[-1:] != ([prefix] if prefix else []):
            if not (
                info.type == "repeat"
                and t.repeat_chain(fields, info.path)[:-1][-1:] == ([prefix] if prefix else [])
            ):
                continue
        names.add("/".join(t.sanitize_odata(p) for p in rest.split("/")))
    return names


def odata_table(
    services: Services,
    actor: Actor,
    *,
    project_id: int,
    xml_form_id: str,
    table: str,
    query: ODataQuery,
    next_link: Callable[[dict[str, Any]], str],
    context_url: str,
    instance_id: str | None = None,
    draft: bool = False,
) -> ODataPage:
    """A page of ``Submissions`` or of a repeat table (all of it without ``$top``); with
    ``draft``, of the draft's test submissions (``draft.svc``)."""
    data = _form_data(services, actor, project_id, xml_form_id, SUBMISSION_READ, draft=draft)
    tables = t.odata_tables(data.fields)
    if table not in tables:
        raise Problem("404.1", "Could not find the resource you were looking for.")
    options = _options(query, data.fields, table)
    top = _int_option("$top", query.top)
    skip = 0 if query.skiptoken else (_int_option("$skip", query.skip) or 0)
    token = None
    if query.skiptoken:
        token = odata_format.parse_skiptoken(query.skiptoken)
        if token is None:
            raise Problem("400.35", "Invalid $skiptoken")
    condition = _condition(services, query.filter, draft=draft)
    order = odata_filter.parse_orderby(query.orderby)
    shape = t.ODataShape.of(data.fields)
    footer: dict[str, Any] = {"@odata.context": f"{context_url}#{table}"}
    repeat = tables[table]
    if repeat is None:
        return _submissions_page(
            services,
            data,
            shape,
            condition,
            options,
            top,
            skip,
            token,
            query.count,
            footer,
            next_link,
            instance_id,
            order,
        )
    return _repeat_page(
        services,
        data,
        shape,
        repeat,
        condition,
        options,
        top,
        skip,
        token,
        query.count,
        footer,
        next_link,
        instance_id,
        order,
    )


def _submissions_page(
    services: Services,
    data: FormData,
    shape: t.ODataShape,
    condition: ColumnElement[bool],
    options: t.ODataOptions,
    top: int | None,
    skip: int,
    token: dict[str, Any] | None,
    want_count: bool,
    footer: dict[str, Any],
    next_link: Callable[[dict[str, Any]], str],
    instance_id: str | None,
    order: odata_filter.Order,
) -> ODataPage:
    """Keyset pages newest first; in an ``$orderby``, pages by offset (its next link
    carries ``$skip``, as Central's does)."""
    after: Cursor | None = None
    with services.db.read() as session:
        if token is not None:
            if "instanceId" not in token:
                raise Problem("400.35", "Invalid $skiptoken")
            after = store.cursor_of(
                session, form_id=data.form_id, instance_id=str(token["instanceId"])
            )
            if after is None:
                raise Problem("400.34", "Record associated with the provided $skiptoken not found.")
        total = (
            store.count_rows(session, form_id=data.form_id, condition=condition)
            if want_count
            else None
        )
        if instance_id is not None:
            found = store.export_page(
                session,
                form_id=data.form_id,
                condition=condition,
                after=None,
                instance_id=instance_id,
                limit=1,
            )
            if not found:
                raise Problem("404.1", "Could not find the resource you were looking for.")
            footer["@odata.context"] = footer["@odata.context"]
            return ODataPage(iter([t.odata_submission(shape, found[0], options)]), footer)
        first = store.export_page(
            session,
            form_id=data.form_id,
            condition=condition,
            after=after,
            offset=skip,
            limit=store.PAGE_SIZE if top is None else min(top + 1, store.PAGE_SIZE),
            order=order,
        )

    def entities() -> Iterator[dict[str, Any]]:
        sent = 0
        last: ExportRow | None = None
        page = first
        while page:
            for row in page:
                if top is not None and sent >= top:
                    if last is None:  # $top=0
                        return
                    footer["@odata.nextLink"] = next_link(
                        {"skip": skip + sent} if order else {"instanceId": last.instance_id}
                    )
                    return
                yield t.odata_submission(shape, row, options)
                sent += 1
                last = row
            if len(page) < (store.PAGE_SIZE if top is None else min(top + 1, store.PAGE_SIZE)):
                return
            limit = store.PAGE_SIZE if top is None else min(top + 1 - sent, store.PAGE_SIZE)
            with services.db.read() as session:
                page = store.export_page(
                    session,
                    form_id=data.form_id,
                    condition=condition,
                    after=None if order else page[-1].cursor,
                    offset=skip + sent if order else 0,
                    limit=max(limit, 1),
                    order=order,
                )

    if total is not None:
        footer["@odata.count"] = total
    return ODataPage(entities(), footer)


def _repeat_page(
    services: Services,
    data: FormData,
    shape: t.ODataShape,
    repeat: FieldInfo,
    condition: ColumnElement[bool],
    options: t.ODataOptions,
    top: int | None,
    skip: int,
    token: dict[str, Any] | None,
    want_count: bool,
    footer: dict[str, Any],
    next_link: Callable[[dict[str, Any]], str],
    instance_id: str | None,
    order: odata_filter.Order,
) -> ODataPage:
    start: Cursor | None = None
    repeat_id: str | None = None
    with services.db.read() as session:
        until_id = store.newest_id(session, form_id=data.form_id)
        if token is not None:
            repeat_id = token.get("repeatId")
            if not isinstance(repeat_id, str):
                raise Problem("400.35", "Invalid $skiptoken")
            if isinstance(token.get("instanceId"), str) and not want_count:
                start = store.cursor_of(
                    session, form_id=data.form_id, instance_id=token["instanceId"]
                )
        if instance_id is not None:
            found = store.export_page(
                session,
                form_id=data.form_id,
                condition=condition,
                after=None,
                instance_id=instance_id,
                limit=1,
            )
            if not found:
                raise Problem("404.1", "Could not find the resource you were looking for.")
            first = found
        else:
            # start is inclusive: the page after the submission that held the last row sent
            after = None if start is None else Cursor(start.created_at, start.id + 1)
            first = store.export_page(
                session,
                form_id=data.form_id,
                condition=condition,
                after=after,
                until_id=until_id,
                order=order,
            )
        if repeat_id is not None and start is not None and instance_id is None:
            ids = (
                {e["__id"] for e in t.odata_repeat_rows(shape, repeat, first[0], t.ODataOptions())}
                if first
                else set()
            )
            if repeat_id not in ids:
                raise Problem("400.34", "Record associated with the provided $skiptoken not found.")

    def rows() -> Iterator[ExportRow]:
        if order and instance_id is None:  # one walk in that order (no $skiptoken with it)
            yield from store.iterate_rows(
                services.db.read,
                form_id=data.form_id,
                condition=condition,
                until_id=until_id,
                order=order,
            )
            return
        yield from first
        if instance_id is not None or len(first) < store.PAGE_SIZE:
            return
        yield from store.iterate_rows(
            services.db.read,
            form_id=data.form_id,
            condition=condition,
            until_id=until_id,
            after=first[-1].cursor,
        )

    def entities() -> Iterator[dict[str, Any]]:
        last_id = last_instance = ""
        counted = 0
        sent = 0
        remaining = 0
        skipping = repeat_id is not None
        position = 0
        plain = t.ODataOptions(wkt=options.wkt, expand=options.expand)
        for row in rows():
            for entity in t.odata_repeat_rows(shape, repeat, row, plain):
                counted += 1
                if skipping:
                    if entity["__id"] == repeat_id:
                        skipping = False
                    continue
                position += 1
                if position <= skip:
                    continue
                if top is not None and sent >= top:
                    remaining += 1
                    if not want_count and sent:
                        footer["@odata.nextLink"] = next_link(
                            {"repeatId": last_id, "instanceId": last_instance}
                        )
                        return
                    continue
                last_id, last_instance = entity["__id"], row.instance_id
                yield t.select_entity(entity, options)
                sent += 1
        if remaining and sent:
            footer["@odata.nextLink"] = next_link(
                {"repeatId": last_id, "instanceId": last_instance}
            )
        if want_count:
            footer["@odata.count"] = counted

    return ODataPage(entities(), footer)
