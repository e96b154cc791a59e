"""Property-based tests: whatever bytes arrive, the submission parser and the XLSForm
upload answer with a clear refusal or a result, never a crash."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape, quoteattr

import httpx
import openpyxl
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from server.data.submission import SubmissionInfo, flatten_values, read_submission
from server.data.xform import FieldInfo
from server.data.xml import XmlError
from server.external.xlsform import ConvertedForm, XlsFormError, convert_xlsform

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

names = st.text(alphabet="abcxyzAZ_-.09", max_size=8).map(lambda tail: "n" + tail)
texts = st.text(max_size=40)


@st.composite
def elements(draw: st.DrawFn, depth: int = 0) -> str:
    name = draw(names)
    if depth >= 3 or draw(st.booleans()):
        return f"<{name}>{escape(draw(texts))}</{name}>"
    children = draw(st.lists(elements(depth + 1), max_size=4))
    return f"<{name}>{''.join(children)}</{name}>"


@st.composite
def submissions(draw: st.DrawFn) -> tuple[bytes, str | None]:
    instance_id = draw(st.none() | texts)
    meta = (
        ""
        if instance_id is None
        else f"<meta><instanceID>{escape(instance_id)}</instanceID></meta>"
    )
    body = "".join(draw(st.lists(elements(), max_size=5)))
    form_id = quoteattr(draw(texts))
    xml = f"<data id={form_id} version={quoteattr(draw(texts))}>{body}{meta}</data>"
    encoding = draw(st.sampled_from(["utf-8", "utf-16", "latin-1"]))
    try:
        raw = xml.encode(encoding)
    except UnicodeEncodeError:
        raw = xml.encode("utf-8", "surrogatepass")
    return raw, instance_id


def _check(raw: bytes) -> SubmissionInfo | None:
    try:
        info = read_submission(raw)
    except XmlError:
        return None
    fields = [FieldInfo(path="/meta/instanceID", name="instanceID", type="string")]
    flatten_values(info.root, fields)
    assert info.instance_id and len(info.instance_id) <= 300
    return info


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
@example(b"<data/>")
@example(b"\xff\xfe<\x00d\x00/\x00>\x00")
@example(b'<?xml version="1.0" encoding="ebcdic"?><a/>')
def test_any_bytes_are_a_submission_or_an_xml_error(raw: bytes) -> None:
    _check(raw)


@settings(max_examples=100, deadline=None)
@given(submissions())
def test_generated_submissions_are_read_or_refused(case: tuple[bytes, str | None]) -> None:
    raw, instance_id = case
    info = _check(raw)
    if info is not None and instance_id is not None and instance_id.strip():
        assert info.instance_id == instance_id.strip()


def _workbook(rows: list[list[str]], settings_rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    for row in rows:
        survey.append(row)
    sheet = book.create_sheet("settings")
    for row in settings_rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


cells = st.sampled_from(
    [
        "type",
        "name",
        "label",
        "text",
        "integer",
        "select_one x",
        "begin_group",
        "end_group",
        "begin_repeat",
        "calculation",
        "${a}",
        "a",
        "b",
        "",
        "form_id",
        "version",
        "required",
        "yes",
        "relevant",
        "choices",
    ]
) | st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=20)
sheets = st.lists(st.lists(cells, min_size=1, max_size=5), max_size=8)

VALID = _workbook([["type", "name", "label"], ["text", "nama", "Nama"]], [["form_id"], ["p"]])


def _convert(content: bytes) -> None:
    try:
        result = convert_xlsform(content, form_id_fallback="fallback")
    except XlsFormError as error:
        assert str(error)
        return
    assert isinstance(result, ConvertedForm) and result.xform.startswith(b"<?xml")


@settings(max_examples=25, deadline=None)
@given(sheets, sheets)
def test_generated_workbooks_convert_or_are_refused(
    rows: list[list[str]], settings_rows: list[list[str]]
) -> None:
    _convert(_workbook([["type", "name", "label"], *rows], settings_rows))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), max_size=6))
def test_damaged_workbooks_convert_or_are_refused(flips: list[tuple[int, int]]) -> None:
    damaged = bytearray(VALID)
    for position, value in flips:
        damaged[position] = value
    _convert(bytes(damaged))


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(rows=sheets)
def test_xlsform_upload_never_fails_with_a_server_error(
    client: httpx.Client, admin_headers: dict[str, str], project_id: int, rows: list[list[str]]
) -> None:
    response = client.post(
        f"/v1/projects/{project_id}/forms",
        content=_workbook([["type", "name", "label"], *rows], [["version"], ["1"]]),
        headers={**admin_headers, "Content-Type": XLSX, "X-XlsForm-FormId-Fallback": "acak"},
    )
    assert response.status_code < 500, response.text
    assert client.get("/healthz").status_code == 200
