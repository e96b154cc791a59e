"""A huge XLSForm is refused before pyxform reads it, and the server keeps answering."""

from __future__ import annotations

import io
import threading
import zipfile

import httpx

from server.external.xlsform import MAX_SURVEY_ROWS, sheet_rows
from tests.builders import XLSX, xlsform


def raw_xlsx(survey_rows: int) -> bytes:
    """A minimal .xlsx whose survey sheet holds ``survey_rows`` text questions, written
    directly (a spreadsheet library takes minutes over 200,000 rows)."""
    rows = [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>name</t></is></c>'
        '<c r="C1" t="inlineStr"><is><t>label</t></is></c></row>'
    ]
    for n in range(2, survey_rows + 2):
        rows.append(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>text</t></is></c>'
            f'<c r="B{n}" t="inlineStr"><is><t>q{n}</t></is></c>'
            f'<c r="C{n}" t="inlineStr"><is><t>Question {n}</t></is></c></row>'
        )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxml'
            'formats-package.relationships+xml"/><Default Extension="xml" ContentType='
            '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
            '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument'
            '.spreadsheetml.worksheet+xml"/></Types>'
        ),
        "_rels/.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0"?><workbook xmlns="{main}" xmlns:r="{rel}"><sheets>'
            '<sheet name="survey" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0"?><Relationships xmlns="{package}"><Relationship Id="rId1" '
            f'Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
        "xl/worksheets/sheet1.xml": (
            f'<?xml version="1.0"?><worksheet xmlns="{main}"><sheetData>'
            + "".join(rows)
            + "</sheetData></worksheet>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return out.getvalue()


def test_rows_are_counted_without_loading_the_workbook() -> None:
    assert sheet_rows(raw_xlsx(3)) == {"survey": 4}
    book = xlsform([["type", "name", "label"], ["text", "a", "A"]], settings=[["form_id"], ["x"]])
    assert sheet_rows(book) == {"survey": 2, "settings": 2}
    assert sheet_rows(b"not a zip") == {}


def test_a_survey_of_200000_rows_is_refused_with_the_limit_while_others_are_served(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    huge = raw_xlsx(200_000)
    outcome: dict[str, httpx.Response] = {}

    def upload() -> None:
        outcome["upload"] = client.post(
            f"/v1/projects/{project_id}/forms",
            content=huge,
            headers={**admin_headers, "Content-Type": XLSX, "X-XlsForm-FormId-Fallback": "besar"},
        )

    uploading = threading.Thread(target=upload)
    uploading.start()
    with httpx.Client(base_url=str(client.base_url), timeout=30) as other:
        assert other.get("/v1/projects", headers=admin_headers).status_code == 200
    uploading.join(timeout=120)
    refused = outcome["upload"]
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == 400.15
    assert f"at most {MAX_SURVEY_ROWS}" in body["details"]["error"]
    assert "200001 rows" in body["details"]["error"]
    forms = client.get(f"/v1/projects/{project_id}/forms", headers=admin_headers).json()
    assert forms == []


def test_an_ordinary_xlsform_still_compiles(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int
) -> None:
    book = xlsform(
        [["type", "name", "label"]] + [["text", f"q{n}", f"Q {n}"] for n in range(300)],
        settings=[["form_id"], ["sedang"]],
    )
    created = client.post(
        f"/v1/projects/{project_id}/forms",
        content=book,
        headers={**admin_headers, "Content-Type": XLSX},
    )
    assert created.status_code == 200, created.text
