"""XLSForm to XForm conversion with pyxform, run in-process.

The one place that calls pyxform. Its errors and warnings come back as `XlsFormError`
so that the server can answer Central's problems 400.15 / 400.16 and the command line
can print them; nothing else in Jaring imports pyxform's converter.
"""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass, field

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.utils import external_choices_to_csv, has_external_choices
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_CONTENT_TYPE = "application/vnd.ms-excel"

# An .xlsx is a zip; these bound what pyxform (openpyxl) may be made to inflate.
MAX_XLSX_MEMBERS = 1000
MAX_XLSX_UNCOMPRESSED_BYTES = 100_000_000

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
