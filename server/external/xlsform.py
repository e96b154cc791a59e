"""XLSForm to XForm conversion with pyxform, run in-process.

The one place that calls pyxform. Its errors and warnings come back as `XlsFormError`
so that the server can answer Central's problems 400.15 / 400.16 and the command line
can print them; nothing else in Jaring imports pyxform's converter.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.utils import external_choices_to_csv, has_external_choices
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import get_xlsform

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLS_CONTENT_TYPE = "application/vnd.ms-excel"

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
