"""XLSForm to XForm conversion with pyxform, run in-process.

The one place that calls pyxform. Its errors and warnings come back as `XlsFormError`
so that the server can answer Central's problems 400.15 / 400.16 and the command line
can print them; nothing else in Jaring imports pyxform's converter.
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.utils import external_choices_to_csv, has_external_choices
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

from server.data.xml import parse_untrusted_xml

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_CONTENT_TYPE = "application/vnd.ms-excel"

# An .xlsx is a zip; these bound what pyxform (openpyxl) may be made to inflate.
MAX_XLSX_MEMBERS = 1000
MAX_XLSX_UNCOMPRESSED_BYTES = 100_000_000
# pyxform's time and memory grow with the rows: a survey of 200,000 rows would hold the
# server for minutes. Rows are counted before pyxform runs, and a sheet above its limit
# is refused with the limit in the message. The largest real instruments have a few
# thousand survey rows; choice lists may be longer (every village of a province).
MAX_SURVEY_ROWS = 5_000
MAX_SHEET_ROWS = 100_000

# pyxform logs every warning at INFO on its own handler; the warnings are returned instead.
logging.getLogger("pyxform").setLevel(logging.ERROR)


@dataclass
class XlsFormError(Exception):
    """The XLSForm could not be converted (``warnings`` is empty), or converted with warnings."""

    message: str
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class ConvertedForm:
    """The XForm pyxform made, the warnings it raised, and external itemsets if any."""

    xform: bytes
    warnings: list[str]
    itemsets_csv: bytes | None


def convert_xlsform(
    content: bytes,
    *,
    file_type: str = "xlsx",
    form_id_fallback: str | None = None,
) -> ConvertedForm:
    """Convert an XLSForm workbook (``xlsx`` or ``xls`` bytes) to an XForm.

    ``form_id_fallback`` names the form when its settings sheet has no ``form_id``
    (Central's ``X-XlsForm-FormId-Fallback``). Raises `XlsFormError` on any error.
    """
    warnings: list[str] = []
    if file_type.lstrip(".") == "xlsx":
        check_xlsx_container(content)
    check_rows(sheet_rows(content, file_type.lstrip(".")))
    try:
        workbook = get_xlsform(xlsform=io.BytesIO(content), file_type="." + file_type.lstrip("."))
        survey_json = workbook_to_json(
            workbook_dict=workbook,
            fallback_form_name=form_id_fallback,
            warnings=warnings,
        )
        itemsets = None
        if has_external_choices(json_struct=survey_json):
            itemsets = external_choices_to_csv(workbook_dict=workbook).encode("utf-8")
        survey = create_survey_element_from_dict(survey_json)
        xform = survey.to_xml(validate=False, pretty_print=False, warnings=warnings)
    except PyXFormError as error:
        raise XlsFormError(str(error)) from error
    except Exception as error:  # noqa: BLE001 - a hostile workbook may break any layer below
        raise XlsFormError(f"The workbook could not be read: {error}") from error
    return ConvertedForm(
        xform=xform.encode("utf-8"), warnings=list(warnings), itemsets_csv=itemsets
    )


def check_xlsx_container(content: bytes) -> None:
    """Refuse an .xlsx that is not a zip, or would inflate to too many or too large files.

    Sizes are the ones the zip declares; Python's zip reader never returns more than the
    declared size of a member, so a lying header cannot get past this either.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as error:
        message = f"The workbook could not be read: not an .xlsx file ({error})."
        raise XlsFormError(message) from error
    if len(members) > MAX_XLSX_MEMBERS:
        raise XlsFormError(
            f"The workbook could not be read: it holds {len(members)} files"
            f" (at most {MAX_XLSX_MEMBERS})."
        )
    total = sum(member.file_size for member in members)
    if total > MAX_XLSX_UNCOMPRESSED_BYTES:
        raise XlsFormError(
            "The workbook could not be read: it would unpack to more than"
            f" {MAX_XLSX_UNCOMPRESSED_BYTES} bytes."
        )


def check_rows(rows: dict[str, int]) -> None:
    """Refuse a workbook with a sheet longer than pyxform may be asked to read."""
    for name, count in rows.items():
        limit = MAX_SURVEY_ROWS if name.strip().lower() == "survey" else MAX_SHEET_ROWS
        if count > limit:
            raise XlsFormError(
                f"The {name} sheet has {count} rows; at most {limit} are accepted."
                " Please split the form, or move long choice lists to a CSV file"
                " (select_one_from_file)."
            )


_SPREADSHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIPS_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def sheet_rows(content: bytes, file_type: str = "xlsx") -> dict[str, int]:
    """How many rows each sheet of the workbook holds, counted without loading it: the
    ``<row>`` elements of each .xlsx worksheet, read as a stream; an .xls's own count.
    A workbook that cannot be read this way gives {} (pyxform then says what is wrong)."""
    try:
        if file_type == "xls":
            import xlrd

            book = xlrd.open_workbook(file_contents=content, on_demand=True)
            try:
                return {name: book.sheet_by_name(name).nrows for name in book.sheet_names()}
            finally:
                book.release_resources()
        return _xlsx_sheet_rows(content)
    except Exception:  # noqa: BLE001 - counting is a guard; pyxform reports bad workbooks
        return {}


def _xlsx_sheet_rows(content: bytes) -> dict[str, int]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = set(archive.namelist())
        workbook = parse_untrusted_xml(archive.read("xl/workbook.xml"))
        rels = parse_untrusted_xml(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {
            rel.get("Id"): str(rel.get("Target") or "").lstrip("/")
            for rel in rels.iter(f"{_PACKAGE_NS}Relationship")
        }
        rows: dict[str, int] = {}
        for sheet in workbook.iter(f"{_SPREADSHEET_NS}sheet"):
            target = targets.get(sheet.get(f"{_RELATIONSHIPS_NS}id"), "")
            path = target if target.startswith("xl/") else f"xl/{target}"
            if path in names:
                rows[str(sheet.get("name"))] = _count_rows(archive, path)
        return rows


def _count_rows(archive: zipfile.ZipFile, path: str) -> int:
    """The ``<row`` start tags of a worksheet, read a megabyte at a time."""
    count, tail = 0, b""
    with archive.open(path) as stream:
        while chunk := stream.read(1 << 20):
            block = tail + chunk
            count += block.count(b"<row ") + block.count(b"<row>")
            # Keep the last few bytes, so a tag cut between two reads is counted once.
            keep = min(len(block), 5)
            tail = block[-keep:]
            count -= tail.count(b"<row ") + tail.count(b"<row>")
    return count + tail.count(b"<row ") + tail.count(b"<row>")


_ROW = re.compile(r"\[row\s*:\s*(\d+)\]")
_SHEET = re.compile(r"[Oo]n the '([^']+)' sheet")
_COLUMN = re.compile(r"the '([^']+)' value")
_QUOTED = re.compile(r"'([^']{1,200})'")
SHEETS = ("survey", "choices", "settings", "entities")


@dataclass(frozen=True)
class Finding:
    """Where in the workbook an error or warning points, as far as it can be told."""

    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
        }


def locate(message: str, workbook: bytes | None = None) -> Finding:
    """The sheet, row and column a pyxform message names; when it names only a value
    (``Unknown question type 'txet'``), the first cell of the workbook that holds it."""
    row_match, sheet_match = _ROW.search(message), _SHEET.search(message)
    column_match = _COLUMN.search(message)
    text = _ROW.sub("", message).strip()
    sheet = sheet_match.group(1) if sheet_match else None
    row = int(row_match.group(1)) if row_match else None
    column = column_match.group(1) if column_match else None
    if row is None and workbook is not None:
        for value in _QUOTED.findall(message):
            found = _find_cell(workbook, value)
            if found is not None:
                sheet, row, column = found
                break
    if row is not None and sheet is None:
        sheet = "survey"
    return Finding(message=text, sheet=sheet, row=row, column=column)


def _find_cell(workbook: bytes, value: str) -> tuple[str, int, str | None] | None:
    """(sheet, row, column header) of the first cell whose text contains ``value``."""
    try:
        check_xlsx_container(workbook)
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(workbook), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - only a hint; the error itself stands without it
        return None
    try:
        for name in book.sheetnames:
            if name.strip().lower() not in SHEETS:
                continue
            header: list[Any] = []
            for number, cells in enumerate(book[name].iter_rows(values_only=True), start=1):
                if number == 1:
                    header = list(cells)
                    continue
                if number > 20_000:
                    break
                for index, cell in enumerate(cells):
                    if isinstance(cell, str) and value in cell.split():
                        column = header[index] if index < len(header) else None
                        return name, number, str(column) if column is not None else None
    finally:
        book.close()
    return None
