"""One submission's answers as a person reads them: in the form's order, each with its
question's label, groups as sections under their labels, and each repeat as numbered
blocks, from the values stored at ingest (`server.data.submission.flatten_values`).

Choices read as their labels in the chosen language (``select_one_from_file`` lists
included), a geopoint as "latitude, longitude"; anything else as it was sent. The
``meta`` block (instanceID and the like) is left out: a page shows it apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.data.questions import ChoiceFiles, FormQuestions
from server.data.xform import FieldInfo

META = "/meta"


@dataclass(frozen=True)
class Answer:
    field: FieldInfo
    label: str
    text: str  # as a person reads it
    raw: str | None  # as the phone sent it (None: not in this submission)

    kind = "answer"


@dataclass(frozen=True)
class Group:
    field: FieldInfo
    label: str
    children: tuple[Node, ...]

    kind = "group"


@dataclass(frozen=True)
class Repeat:
    field: FieldInfo
    label: str
    instances: tuple[tuple[Node, ...], ...]

    kind = "repeat"


Node = Answer | Group | Repeat


@dataclass(frozen=True)
class Reader:
    """How answers are worded: the form's questions, its choice lists, the language."""

    questions: FormQuestions
    files: ChoiceFiles
    language: str | None

    def label(self, path: str) -> str:
        return self.questions.label(path, self.language)

    def text(self, info: FieldInfo, raw: str | None) -> str:
        if raw is None or not raw.strip():
            return ""
        if info.type == "geopoint":
            return geopoint_text(raw)
        return self.questions.answer_text(info.path, raw, self.language, self.files)


def answer_tree(fields: list[FieldInfo], values: Mapping[str, Any], reader: Reader) -> list[Node]:
    """The answers of a submission (its stored ``values``) under the form's ``fields``."""
    children: dict[str, list[FieldInfo]] = {}
    for info in fields:
        children.setdefault(info.path.rsplit("/", 1)[0], []).append(info)
    return list(_nodes("", children, values, reader))


def _nodes(
    parent: str,
    children: dict[str, list[FieldInfo]],
    values: Mapping[str, Any],
    reader: Reader,
) -> tuple[Node, ...]:
    nodes: list[Node] = []
    for info in children.get(parent, []):
        if info.path == META:
            continue
        label = reader.label(info.path)
        if info.type == "repeat":
            found = values.get(info.path)
            instances = found if isinstance(found, list) else []
            nodes.append(
                Repeat(
                    info,
                    label,
                    tuple(
                        _nodes(info.path, children, item, reader)
                        for item in instances
                        if isinstance(item, Mapping)
                    ),
                )
            )
        elif info.type == "structure":
            nodes.append(Group(info, label, _nodes(info.path, children, values, reader)))
        else:
            raw = values.get(info.path)
            raw = raw if isinstance(raw, str) else None
            nodes.append(Answer(info, label, reader.text(info, raw), raw))
    return tuple(nodes)


def geopoint_text(raw: str) -> str:
    """``-5.1477 119.4327 12.0 4.5`` -> ``-5.1477, 119.4327`` (as sent when not a point)."""
    parts = raw.split()
    if len(parts) < 2:
        return raw
    return f"{parts[0]}, {parts[1]}"


def name_paths(questions: FormQuestions, fields: list[FieldInfo]) -> tuple[str, ...]:
    """The text questions outside repeats, in form order: where a submission without an
    instance name finds a name to be shown by."""
    from server.data.tables import repeat_chain

    return tuple(
        f.path
        for f in fields
        if f.type == "string"
        and not repeat_chain(fields, f.path)
        and f.path in questions.questions
        and questions.questions[f.path].control == "input"
    )


def display_name(
    instance_name: str | None, values: Mapping[str, Any], paths: tuple[str, ...]
) -> str:
    """What a submission is called on a page: its instance name, else its first text
    answer ("" when it has neither)."""
    if instance_name and instance_name.strip():
        return instance_name.strip()
    for path in paths:
        value = values.get(path)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""
