"""The mapping instruments: XLSForm workbooks in ``instruments/`` and what is made from them.

The ``.xlsx`` files are the source of truth; coordinators edit them in a spreadsheet
program. From them this module

* compiles XForms (through `server.external.xlsform`) and finds the media files each
  XForm references in ``instruments/media/``, telling them from the entity lists
  (``{dataset}.csv``) the server links in their place (`compile_instrument`, `build`), and
  orders the instruments so that a form declaring a dataset is published before a form that
  reads it (`publishing_order`);
* checks them: converter errors and warnings, ODK Validate, both languages present,
  a date-based version, media present, publication marks the server can read (and none
  in an instrument meant to be encrypted) (`check`), each finding naming the instrument,
  sheet and row;
* writes a reviewable text form, one CSV per sheet under ``instruments/text/``, and a
  codebook, ``instruments/CODEBOOK.md``, with the fields each form allows to be published
  (`dump`), and says whether the committed copies are in sync with the workbooks
  (`out_of_sync`);
* derives the location-cascade media from the Kemendagri wilayah lists
  (`write_wilayah_media`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import load_workbook

from server.data.entities import EntityFormError, read_entity_spec
from server.data.publication import PUBLIC_COLUMN, public_fields
from server.data.xml import XmlError
from server.external.odk_validate import validate_xform
from server.external.xlsform import XlsFormError, convert_xlsform

# Instruments whose answers are personal (the member interview): they are meant to be
# encrypted with the project's managed key before fieldwork (see instruments/README.md).
MEANT_ENCRYPTED = frozenset({"ess_wawancara_anggota"})
LANGUAGES = ("Bahasa Indonesia (id)", "English (en)")
DEFAULT_LANGUAGE = LANGUAGES[0]
TRANSLATED_COLUMNS = ("label", "hint", "constraint_message", "required_message", "guidance_hint")
MEDIA_DIRNAME = "media"
TEXT_DIRNAME = "text"
CODEBOOK_NAME = "CODEBOOK.md"
VERSION_PATTERN = re.compile(r"^20[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])[0-9]{2}$")
MEDIA_REFERENCE = re.compile(r"jr://(?:file|file-csv|images|audio|video)/([^\"'<>\s]+)")
FIELD_REFERENCE = re.compile(r"\$\{([^}]+)\}")
ROW_IN_MESSAGE = re.compile(r"\[row\s*:\s*(\d+)\]")
SHEET_IN_MESSAGE = re.compile(r"[Oo]n the '(\w+)' sheet")
PATH_IN_MESSAGE = re.compile(r"/data(?:/[A-Za-z_][\w.-]*)+")

Sheet = list[list[str]]


@dataclass(frozen=True)
class Finding:
    """One error or warning, placed in the workbook as precisely as it can be."""

    instrument: str
    message: str
    sheet: str | None = None
    row: int | None = None

    def __str__(self) -> str:
        where = self.instrument
        if self.sheet:
            where += f", sheet {self.sheet}"
        if self.row:
            where += f", row {self.row}"
        return f"{where}: {self.message}"


class InstrumentError(Exception):
    """An instrument could not be compiled; ``findings`` say where and why."""

    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("\n".join(str(finding) for finding in findings))
        self.findings = findings


@dataclass(frozen=True)
class CompiledInstrument:
    """An XForm compiled from one workbook, with the media files it references, the
    datasets (entity lists) it declares and the entity lists it reads (``{dataset}.csv``,
    served by the server from the dataset rather than uploaded)."""

    path: Path
    form_id: str
    version: str
    title: str
    xform: bytes
    media: dict[str, Path]
    warnings: list[Finding] = field(default_factory=list)
    datasets: tuple[str, ...] = ()
    creates: tuple[str, ...] = ()  # the datasets it creates entities in (registers)
    entity_lists: tuple[str, ...] = ()


# Reading workbooks ------------------------------------------------------------------------


def unencrypted_warning(form_id: str) -> str:
    """What `jaring setup` and `jaring forms push` say of an instrument meant to be
    encrypted that is published without encryption."""
    return (
        f"WARNING: {form_id} is published WITHOUT encryption: its answers would be readable"
        " on the server. Before real interviews, turn on managed encryption for the project"
        " (console: project settings > Encryption, or POST /v1/projects/{id}/key); see"
        " instruments/README.md, 'Encrypting the member interview'."
    )


def find_instruments(directory: Path) -> list[Path]:
    """The XLSForm workbooks in ``directory`` (not its subfolders), by name."""
    return sorted(
        path
        for path in Path(directory).glob("*.xlsx")
        if path.is_file() and not path.name.startswith(("~$", ".~lock"))
    )


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_workbook(path: Path) -> dict[str, Sheet]:
    """Every sheet of ``path`` as rows of text, trailing empty rows and columns dropped."""
    with warnings.catch_warnings():
        # Spreadsheet programs add features openpyxl only warns about (styles, validation).
        warnings.simplefilter("ignore", UserWarning)
        workbook = load_workbook(path, read_only=True, data_only=False)
    try:
        sheets: dict[str, Sheet] = {}
        for worksheet in workbook.worksheets:
            rows = [
                [_cell_text(value) for value in row]
                for row in worksheet.iter_rows(values_only=True)
            ]
            while rows and not any(cell.strip() for cell in rows[-1]):
                rows.pop()
            width = max((_used_width(row) for row in rows), default=0)
            sheets[worksheet.title] = [row[:width] + [""] * (width - len(row)) for row in rows]
        return sheets
    finally:
        workbook.close()


def _used_width(row: list[str]) -> int:
    for index in range(len(row), 0, -1):
        if row[index - 1].strip():
            return index
    return 0


def sheet_records(sheet: Sheet) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(spreadsheet row number, {column: value})`` for every non-empty data row."""
    if not sheet:
        return
    header = [name.strip() for name in sheet[0]]
    for number, row in enumerate(sheet[1:], start=2):
        if any(cell.strip() for cell in row):
            yield (
                number,
                {name: value.strip() for name, value in zip(header, row, strict=False) if name},
            )


def read_settings(sheets: dict[str, Sheet]) -> dict[str, str]:
    """The first data row of the settings sheet."""
    for _number, record in sheet_records(sheets.get("settings", [])):
        return record
    return {}


# Compiling --------------------------------------------------------------------------------


def media_references(xform: bytes) -> list[str]:
    """The file names of every ``jr://`` media reference in an XForm, in order, once each."""
    names = MEDIA_REFERENCE.findall(xform.decode("utf-8"))
    return list(dict.fromkeys(names))


def locate(message: str, sheets: dict[str, Sheet]) -> tuple[str | None, int | None]:
    """Place a converter or validator message on a sheet and row of the workbook."""
    named = SHEET_IN_MESSAGE.search(message)
    sheet = named.group(1) if named else "survey"
    match = ROW_IN_MESSAGE.search(message)
    if match:
        return sheet, int(match.group(1))
    unindexed = re.sub(r"\[[0-9]+\]", "", message)
    names = [path.rsplit("/", 1)[-1] for path in PATH_IN_MESSAGE.findall(unindexed)]
    names += FIELD_REFERENCE.findall(message)
    rows = {
        record.get("name"): number for number, record in sheet_records(sheets.get("survey", []))
    }
    for name in names:
        if name in rows:
            return "survey", rows[name]
    return None, None


def _finding(path: Path, message: str, sheets: dict[str, Sheet]) -> Finding:
    sheet, row = locate(message, sheets)
    return Finding(instrument=path.name, message=message.strip(), sheet=sheet, row=row)


def declared_datasets(directory: Path) -> set[str]:
    """The datasets the workbooks in ``directory`` declare on their ``entities`` sheet."""
    names: set[str] = set()
    for path in find_instruments(directory):
        for _number, record in sheet_records(read_workbook(path).get("entities", [])):
            name = record.get("list_name") or record.get("dataset")
            if name:
                names.add(name)
    return names


def _declared_in(xform: bytes) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The datasets an XForm declares, and those of them it creates entities in."""
    try:
        spec = read_entity_spec(xform)
    except (EntityFormError, XmlError):
        return (), ()
    declared = spec.datasets if spec else ()
    return (
        tuple(d.name for d in declared),
        tuple(d.name for d in declared if "create" in d.actions),
    )


def compile_instrument(path: Path, *, media_dir: Path | None = None) -> CompiledInstrument:
    """Compile one workbook to an XForm and find its media files.

    Converter warnings are kept on the result; converter errors and media files that are
    referenced but missing raise `InstrumentError`. A referenced ``{name}.csv`` that is not
    in the media folder is an entity list when a workbook next to this one (or this one)
    declares the dataset ``name``. ``media_dir`` defaults to the ``media/`` folder next to
    the workbook.
    """
    path = Path(path)
    media_dir = Path(media_dir) if media_dir is not None else path.parent / MEDIA_DIRNAME
    sheets = read_workbook(path)
    settings = read_settings(sheets)
    try:
        converted = convert_xlsform(path.read_bytes(), form_id_fallback=path.stem)
    except XlsFormError as error:
        messages = [error.message, *error.warnings]
        raise InstrumentError([_finding(path, message, sheets) for message in messages]) from error
    datasets, creates = _declared_in(converted.xform)
    media: dict[str, Path] = {}
    entity_lists: list[str] = []
    missing: list[Finding] = []
    known: set[str] | None = None
    for name in media_references(converted.xform):
        candidate = media_dir / name
        if candidate.is_file():
            media[name] = candidate
            continue
        if name.endswith(".csv"):
            if known is None:
                known = declared_datasets(path.parent) | set(datasets)
            if name[: -len(".csv")] in known:
                entity_lists.append(name)
                continue
        missing.append(
            Finding(path.name, f"media file {name!r} is referenced but not in {media_dir}")
        )
    if missing:
        raise InstrumentError(missing)
    return CompiledInstrument(
        path=path,
        form_id=settings.get("form_id") or path.stem,
        version=settings.get("version", ""),
        title=settings.get("form_title") or path.stem,
        xform=converted.xform,
        media=media,
        warnings=[_finding(path, warning, sheets) for warning in converted.warnings],
        datasets=datasets,
        creates=creates,
        entity_lists=tuple(entity_lists),
    )


def publishing_order(instruments: list[CompiledInstrument]) -> list[CompiledInstrument]:
    """The instruments in the order to publish them: a form that reads the entity list
    ``{name}.csv`` after every form that creates entities in the dataset ``name`` (the
    profile before the visit log), so that the dataset, its properties and the list the
    reading form is linked to exist when it arrives. Otherwise the given order is kept."""
    pending = list(instruments)
    ordered: list[CompiledInstrument] = []
    while pending:
        ready = next(
            (
                item
                for item in pending
                if not any(
                    name[: -len(".csv")] in other.creates
                    for name in item.entity_lists
                    for other in pending
                    if other is not item
                )
            ),
            pending[0],  # a cycle: publish in the given order
        )
        ordered.append(ready)
        pending.remove(ready)
    return ordered


def build(instruments_dir: Path, out_dir: Path) -> list[CompiledInstrument]:
    """Compile every instrument into ``out_dir`` as ``<form_id>.xml`` plus ``<form_id>-media/``.

    Nothing is written unless every instrument compiles without errors or warnings.
    """
    compiled: list[CompiledInstrument] = []
    findings: list[Finding] = []
    for path in find_instruments(instruments_dir):
        try:
            instrument = compile_instrument(path)
        except InstrumentError as error:
            findings.extend(error.findings)
            continue
        findings.extend(instrument.warnings)
        compiled.append(instrument)
    if findings:
        raise InstrumentError(findings)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for instrument in compiled:
        (out_dir / f"{instrument.form_id}.xml").write_bytes(instrument.xform)
        media_out = out_dir / f"{instrument.form_id}-media"
        if media_out.exists():
            shutil.rmtree(media_out)
        if instrument.media:
            media_out.mkdir()
            for name, source in instrument.media.items():
                shutil.copyfile(source, media_out / name)
    return compiled


# Checking ---------------------------------------------------------------------------------


def lint_workbook(path: Path, sheets: dict[str, Sheet]) -> list[Finding]:
    """Rules of this project that pyxform does not enforce.

    Every label, hint and message is given in both languages and never as a bare column;
    the settings name the form, the default language and a ``yyyymmddnn`` version.
    """
    findings: list[Finding] = []
    for sheet_name in ("survey", "choices"):
        sheet = sheets.get(sheet_name, [])
        header = [name.strip() for name in sheet[0]] if sheet else []
        for base in TRANSLATED_COLUMNS:
            if base in header:
                findings.append(
                    Finding(
                        path.name,
                        f"column {base!r} has no language; use {base}::<language>",
                        sheet_name,
                        1,
                    )
                )
        for number, record in sheet_records(sheet):
            for base in TRANSLATED_COLUMNS:
                texts = {lang: record.get(f"{base}::{lang}", "") for lang in LANGUAGES}
                present = [lang for lang, text in texts.items() if text]
                needed = present or (
                    list(LANGUAGES) if base == "label" and sheet_name == "choices" else []
                )
                for lang in LANGUAGES:
                    if needed and not texts[lang]:
                        findings.append(
                            Finding(path.name, f"{base} has no {lang} text", sheet_name, number)
                        )
    settings = read_settings(sheets)
    for key in ("form_id", "form_title", "version", "instance_name"):
        if not settings.get(key):
            findings.append(Finding(path.name, f"settings has no {key}", "settings", 2))
    version = settings.get("version", "")
    if version and not VERSION_PATTERN.match(version):
        findings.append(
            Finding(
                path.name,
                f"version {version!r} is not a date and a two-digit counter (yyyymmddnn)",
                "settings",
                2,
            )
        )
    if settings.get("default_language") != DEFAULT_LANGUAGE:
        findings.append(
            Finding(path.name, f"default_language must be {DEFAULT_LANGUAGE!r}", "settings", 2)
        )
    return findings


def _public_mark_findings(
    path: Path, compiled: CompiledInstrument, sheets: dict[str, Sheet]
) -> list[Finding]:
    """The ``jaring:public`` marks must name a gate outside repeats, and an instrument meant
    to be encrypted marks nothing: the server cannot read it, so nothing of it is published."""
    try:
        marked = public_fields(compiled.xform)
    except XmlError as error:
        # The error names the marked field by its path: find the row that marks it.
        row = next(
            (
                number
                for number, record in sheet_records(sheets.get("survey", []))
                if record.get(PUBLIC_COLUMN) and f"/{record.get('name')}:" in str(error)
            ),
            None,
        )
        return [Finding(path.name, f"{PUBLIC_COLUMN}: {error}", "survey", row)]
    if compiled.form_id in MEANT_ENCRYPTED and marked:
        names = ", ".join(field.path.rsplit("/", 1)[-1] for field in marked)
        return [
            Finding(
                path.name,
                f"{PUBLIC_COLUMN}: {compiled.form_id} is meant to be encrypted and may mark"
                f" no field public ({names})",
                "survey",
            )
        ]
    return []


def check_instrument(path: Path, *, run_validate: bool = True) -> list[Finding]:
    """Every finding for one workbook: project rules, converter, media, publication marks,
    ODK Validate."""
    path = Path(path)
    sheets = read_workbook(path)
    findings = lint_workbook(path, sheets)
    try:
        compiled = compile_instrument(path)
    except InstrumentError as error:
        return findings + error.findings
    findings.extend(compiled.warnings)
    findings.extend(_public_mark_findings(path, compiled, sheets))
    if run_validate:
        result = validate_xform(compiled.xform)
        for kind, lines in (
            ("ODK Validate", result.errors),
            ("ODK Validate warning", result.warnings),
        ):
            if lines:
                text = "; ".join(dict.fromkeys(lines))
                findings.append(_finding(path, f"{kind}: {text}", sheets))
    return findings


def check(instruments_dir: Path, *, run_validate: bool = True) -> list[str]:
    """Compile and validate every instrument; one line per error or warning."""
    paths = find_instruments(instruments_dir)
    if not paths:
        return [f"{instruments_dir}: no .xlsx instruments found"]
    findings: list[Finding] = []
    form_ids: dict[str, str] = {}
    for path in paths:
        findings.extend(check_instrument(path, run_validate=run_validate))
        form_id = read_settings(read_workbook(path)).get("form_id", path.stem)
        if form_id in form_ids:
            findings.append(
                Finding(
                    path.name,
                    f"form_id {form_id!r} is also used by {form_ids[form_id]}",
                    "settings",
                    2,
                )
            )
        form_ids[form_id] = path.name
    return [str(finding) for finding in findings]


# Text form and codebook ---------------------------------------------------------------------


def _csv_text(rows: Iterable[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows(rows)
    return buffer.getvalue()


def text_form(path: Path) -> dict[str, str]:
    """The reviewable text form of one workbook: ``<stem>/<sheet>.csv`` → CSV text."""
    return {
        f"{Path(path).stem}/{name}.csv": _csv_text(rows)
        for name, rows in read_workbook(path).items()
    }


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def _code(text: str) -> str:
    return f"`{_md(text)}`" if text else ""


def codebook_section(path: Path) -> str:
    """The codebook for one workbook: its fields, then its choice lists."""
    sheets = read_workbook(path)
    settings = read_settings(sheets)
    id_lang, en_lang = LANGUAGES
    lines = [
        f"## {settings.get('form_title', path.stem)}",
        "",
        f"Workbook `{path.name}`, form_id `{settings.get('form_id', path.stem)}`, "
        f"version `{settings.get('version', '')}`.",
        "",
    ]
    if settings.get("form_id", path.stem) in MEANT_ENCRYPTED:
        lines += [
            "**Encrypted**: real interviews only in a project whose managed encryption is on; "
            "the answers are readable only with that project's passphrase (see [Encryption of "
            "the member interview](README.md#encryption-of-the-member-interview)).",
            "",
        ]
    lines += [
        "| group | name | type | label (id) | label (en) | choices | relevant | constraint | "
        "calculation / filter |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    groups: list[str] = []
    used_lists: list[str] = []
    entity_lists = declared_datasets(path.parent)
    for _number, record in sheet_records(sheets.get("survey", [])):
        kind = record.get("type", "")
        words = kind.split()
        if kind.replace(" ", "_") in ("end_group", "end_repeat"):
            if groups:
                groups.pop()
            continue
        choices = ""
        if words and words[0] in ("select_one", "select_multiple") and len(words) > 1:
            choices = f"[{words[1]}](#{_anchor(path, words[1])})"
            used_lists.append(words[1])
        elif words and words[0].endswith("_from_file") and len(words) > 1:
            dataset = words[1].removesuffix(".csv")
            if dataset in entity_lists and not (path.parent / MEDIA_DIRNAME / words[1]).is_file():
                choices = f"entity list `{dataset}`"
            else:
                choices = f"media `{words[1]}`"
        derived = record.get("calculation", "")
        if record.get("choice_filter"):
            derived = f"filter: {record['choice_filter']}"
        lines.append(
            "| "
            + " | ".join(
                [
                    "/".join(groups),
                    f"`{record.get('name', '')}`",
                    _md(kind),
                    _md(record.get(f"label::{id_lang}", "")),
                    _md(record.get(f"label::{en_lang}", "")),
                    choices,
                    _code(record.get("relevant", "")),
                    _code(record.get("constraint", "")),
                    _code(derived),
                ]
            )
            + " |"
        )
        if kind.replace(" ", "_") in ("begin_group", "begin_repeat"):
            groups.append(record.get("name", ""))
    lines += _entities_section(sheets)
    public = [
        (record.get("name", ""), record[PUBLIC_COLUMN])
        for _number, record in sheet_records(sheets.get("survey", []))
        if record.get(PUBLIC_COLUMN)
    ]
    if public:
        lines += [
            "",
            f"**May be published** (`{PUBLIC_COLUMN}`): each field below only in a submission "
            "where the field next to it is `ya`. No other field of this form is ever published.",
            "",
            "| name | published when |",
            "| --- | --- |",
        ]
        lines += [f"| `{name}` | {_code(gate)} = `ya` |" for name, gate in public]
    else:
        lines += ["", "**May be published**: nothing. No field of this form is ever published."]
    lines += ["", f"### Choice lists of `{path.name}`", ""]
    by_list: dict[str, list[dict[str, str]]] = {}
    for _number, record in sheet_records(sheets.get("choices", [])):
        by_list.setdefault(record.get("list_name", ""), []).append(record)
    for list_name in dict.fromkeys(used_lists + list(by_list)):
        extra = [
            column
            for column in (by_list.get(list_name) or [{}])[0]
            if column not in ("list_name", "name")
            and not column.startswith("label::")
            and any(row.get(column) for row in by_list.get(list_name, []))
        ]
        lines += [
            f'<a id="{_anchor(path, list_name)}"></a>**{list_name}**',
            "",
            "| name | label (id) | label (en) |" + "".join(f" {c} |" for c in extra),
            "| --- | --- | --- |" + " --- |" * len(extra),
        ]
        for row in by_list.get(list_name, []):
            cells = [
                f"`{row.get('name', '')}`",
                _md(row.get(f"label::{id_lang}", "")),
                _md(row.get(f"label::{en_lang}", "")),
            ] + [_md(row.get(c, "")) for c in extra]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def _entities_section(sheets: dict[str, Sheet]) -> list[str]:
    """What the form does to entity lists (its ``entities`` sheet) and the fields it saves
    to entity properties (``save_to``)."""
    declarations = [record for _n, record in sheet_records(sheets.get("entities", []))]
    if not declarations:
        return []
    lines = [
        "",
        "**Entities** (see [Linking to the initiative](README.md#linking-to-the-initiative)):",
        "",
    ]
    for record in declarations:
        dataset = record.get("list_name") or record.get("dataset", "")
        if record.get("entity_id") and record.get("create_if"):
            action = f"creates or updates the entity {_code(record['entity_id'])} of"
        elif record.get("entity_id"):
            action = f"updates the entity {_code(record['entity_id'])} of"
        else:
            action = "creates an entity in"
        text = f"* {action} the list `{dataset}`"
        if record.get("label"):
            text += f", labelled {_code(record['label'])}"
        conditions = [
            f"{kind} {_code(record[column])}"
            for column, kind in (("create_if", "creates only if"), ("update_if", "updates only if"))
            if record.get(column)
        ]
        lines.append(text + (f"; {'; '.join(conditions)}" if conditions else "") + ".")
    saved = [
        (record.get("name", ""), record["save_to"])
        for _number, record in sheet_records(sheets.get("survey", []))
        if record.get("save_to")
    ]
    if saved:
        lines += ["", "| name | saved to the entity property |", "| --- | --- |"]
        lines += [f"| `{name}` | `{prop}` |" for name, prop in saved]
    return lines


def _anchor(path: Path, list_name: str) -> str:
    return f"{Path(path).stem}-{list_name}".replace("_", "-").lower()


def codebook(instruments_dir: Path) -> str:
    """The whole codebook, one section per instrument."""
    sections = [
        "# Codebook",
        "",
        "Made by `jaring forms dump` from the workbooks in this folder; do not edit by hand. "
        "`group` is the path of enclosing groups and repeats (a field is asked only when its "
        "groups' `relevant` also holds). Expressions are XLSForm, `${name}` naming a field.",
        "",
    ]
    for path in find_instruments(instruments_dir):
        sections += [codebook_section(path), ""]
    return "\n".join(sections).rstrip() + "\n"


def expected_files(instruments_dir: Path) -> dict[Path, str]:
    """Every generated file (text form and codebook) with the content it should have."""
    instruments_dir = Path(instruments_dir)
    files = {instruments_dir / CODEBOOK_NAME: codebook(instruments_dir)}
    for path in find_instruments(instruments_dir):
        for relative, text in text_form(path).items():
            files[instruments_dir / TEXT_DIRNAME / relative] = text
    return files


def dump(instruments_dir: Path) -> list[Path]:
    """Write the text form and the codebook; remove text files no workbook produces."""
    instruments_dir = Path(instruments_dir)
    files = expected_files(instruments_dir)
    for stale in _text_files(instruments_dir):
        if stale not in files:
            stale.unlink()
    written = []
    for target, text in files.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8", newline="\n")
            written.append(target)
    return written


def _text_files(instruments_dir: Path) -> list[Path]:
    return sorted((Path(instruments_dir) / TEXT_DIRNAME).glob("*/*.csv"))


def out_of_sync(instruments_dir: Path) -> list[str]:
    """The generated files that differ from what the workbooks produce; empty when in sync."""
    files = expected_files(instruments_dir)
    problems = []
    for target, text in files.items():
        if not target.is_file():
            problems.append(f"{target}: missing")
        elif target.read_text(encoding="utf-8") != text:
            problems.append(f"{target}: differs from the workbook")
    problems += [
        f"{path}: no workbook makes it"
        for path in _text_files(instruments_dir)
        if path not in files
    ]
    return problems


# Location media -------------------------------------------------------------------------------

WILAYAH_MEDIA = {
    # media file: (source file, code column, name column, filter column)
    "provinces.csv": ("provinces.csv", "province_code", "province_name", None),
    "regencies.csv": ("regencies.csv", "regency_code", "regency_name", "province_code"),
    "districts.csv": ("districts.csv", "district_code", "district_name", "regency_code"),
    "villages.csv": ("villages.csv", "village_code", "village_name", "district_code"),
}
WILAYAH_ATTRIBUTION = "WILAYAH-SOURCE.md"
MIT_PERMISSION_NOTICE = (
    "Permission is hereby granted, free of charge, to any person obtaining a copy",
    'of this software and associated documentation files (the "Software"), to deal',
    "in the Software without restriction, including without limitation the rights",
    "to use, copy, modify, merge, publish, distribute, sublicense, and/or sell",
    "copies of the Software, and to permit persons to whom the Software is",
    "furnished to do so, subject to the following conditions:",
    "",
    "The above copyright notice and this permission notice shall be included in all",
    "copies or substantial portions of the Software.",
    "",
    'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR',
    "IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,",
    "FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE",
    "AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER",
    "LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,",
    "OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE",
    "SOFTWARE.",
)


def write_wilayah_media(source_dir: Path, media_dir: Path) -> list[Path]:
    """Write the ``select_one_from_file`` media (``name``, ``label``, parent code) of the cascade.

    Names are copied, never retyped. Where two places share a name under one parent (the
    two Oesao in 53.01.06), the label adds the village type (desa/kelurahan). The source's
    SOURCE.md is copied next to the files as the attribution the MIT licence asks for.
    """
    source_dir, media_dir = Path(source_dir), Path(media_dir)
    media_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for media_name, (source_name, code, name, parent) in WILAYAH_MEDIA.items():
        with (source_dir / source_name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        counts: dict[tuple[str, str], int] = {}
        for row in rows:
            key = (row[parent] if parent else "", row[name])
            counts[key] = counts.get(key, 0) + 1
        out = [["name", "label"] + ([parent] if parent else [])]
        for row in rows:
            label = row[name]
            if counts[(row[parent] if parent else "", label)] > 1:
                kind = row.get("village_type") or row.get("regency_type") or row[code]
                label = f"{label} ({kind})"
            out.append([row[code], label] + ([row[parent]] if parent else []))
        target = media_dir / media_name
        target.write_text(_csv_text(out), encoding="utf-8", newline="")
        written.append(target)
    attribution = media_dir / WILAYAH_ATTRIBUTION
    source_md = (source_dir / "SOURCE.md").read_text(encoding="utf-8")
    attribution.write_text(
        "# Source and licence of the location media\n\n"
        "`provinces.csv`, `regencies.csv`, `districts.csv` and `villages.csv` in this folder are\n"
        "written by `jaring forms wilayah` from the lists described below: codes become `name`,\n"
        "place names become `label`, and only the parent code each cascade filter needs is kept.\n"
        "Where two villages in one district share a name, the label adds the village type.\n\n"
        "The data is MIT-licensed, Copyright (c) 2017-2025 Cahya DSN (`cahyadsn/wilayah`);\n"
        "keep this notice with any copy. The licence's permission notice:\n\n"
        + "".join(f"> {line}\n" if line else ">\n" for line in MIT_PERMISSION_NOTICE)
        + "\n"
        + "What follows is the source note of the lists, copied unchanged.\n\n---\n\n"
        + source_md,
        encoding="utf-8",
    )
    written.append(attribution)
    return written
