"""The pure parts of exports: the $filter grammar, merged columns, labels, GeoJSON values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.data import odata_filter as f
from server.data import tables as t
from server.data.xform import FieldInfo
from server.problems import Problem


def test_filter_grammar() -> None:
    tree = f.parse_filter(
        "not (__system/reviewState eq 'hasIssues') and "
        "(year($root/Submissions/__system/submissionDate) ge 2024 or __system/deletedAt ne null)"
    )
    assert tree == f.Logical(
        "and",
        f.Not(f.Compare("eq", f.Field("review_state"), f.Literal("hasIssues"))),
        f.Logical(
            "or",
            f.Compare("ge", f.Call("year", f.Field("created_at")), f.Literal(2024)),
            f.Compare("ne", f.Field("deleted_at"), f.Literal(None)),
        ),
    )
    assert f.references_deleted_at(tree)
    moment = f.parse_filter("__system/updatedAt gt 2024-05-01T10:00:00.5+07:00")
    assert moment == f.Compare(
        "gt", f.Field("updated_at"), f.Literal(datetime(2024, 5, 1, 3, 0, 0, 500000, tzinfo=UTC))
    )
    assert f.parse_filter("  ") is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("__system/submitterId eq", "400.18"),
        ("(__system/submitterId eq 1", "400.18"),
        ("__system/submitterId eq 1 1", "400.18"),
        ("name eq 'x'", "501.5"),
        ("tolower(__system/reviewState) eq 'x'", "501.4"),
    ],
)
def test_filter_refusals(text: str, code: str) -> None:
    with pytest.raises(Problem) as caught:
        f.parse_filter(text)
    assert caught.value.code == code


def test_merged_fields_keep_removed_fields_in_place() -> None:
    older = [
        FieldInfo("/a", "a", "string"),
        FieldInfo("/g", "g", "structure"),
        FieldInfo("/g/x", "x", "int"),
        FieldInfo("/b", "b", "string"),
    ]
    newer = [
        FieldInfo("/g", "g", "structure"),
        FieldInfo("/g/y", "y", "int"),
        FieldInfo("/b", "b", "string"),
        FieldInfo("/c", "c", "string"),
    ]
    merged = t.merged_fields([newer, older])
    assert [m.path for m in merged] == ["/a", "/g", "/g/x", "/g/y", "/b", "/c"]


def test_labels_from_itext_in_a_chosen_language() -> None:
    xform = b"""<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
 xmlns:jr="http://openrosa.org/javarosa"><h:head><model><itext>
<translation lang="English (en)" default="true()"><text id="/d/q:label"><value>Name</value></text>
</translation><translation lang="Indonesia (id)"><text id="/d/q:label"><value>Nama</value>
<value form="image">jr://images/q.png</value></text></translation></itext>
<instance><d id="x"><q/></d></instance></model></h:head>
<h:body><input ref="/d/q"><label ref="jr:itext('/d/q:label')"/></input></h:body></h:html>"""
    assert t.field_labels(xform, "Indonesia (id)") == {"/q": "Nama"}
    assert t.field_labels(xform, None) == {"/q": "Name"}


def test_geometries_are_longitude_first() -> None:
    point = FieldInfo("/p", "p", "geopoint")
    assert t.odata_value(point, "-5.5 119.25 10 3", False) == {
        "type": "Point",
        "coordinates": [119.25, -5.5, 10],
        "properties": {"accuracy": 3},
    }
    assert t.odata_value(point, "bad", False) is None
    trace = FieldInfo("/t", "t", "geotrace")
    assert t.odata_value(trace, "1 2 0 0;3 4 0 0;", False) == {
        "type": "LineString",
        "coordinates": [[2, 1, 0], [4, 3, 0]],
    }
    shape = FieldInfo("/s", "s", "geoshape")
    assert t.odata_value(shape, "1 2;3 4;5 6;1 2", True) == "POLYGON ((2 1,4 3,6 5,2 1))"
