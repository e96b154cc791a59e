"""What an edit changed: the answers of two versions of a submission compared, field by
field, from their stored values (leaf path -> text, repeat path -> list of instances).

Answers inside a repeat are compared block by block (the second block with the second
block), so an added block shows as answers that had no value before. ``meta/instanceID``
and ``meta/deprecatedID`` change with every edit by design and are not reported.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

UNREPORTED = frozenset({"/meta/instanceID", "/meta/deprecatedID"})

Position = tuple[tuple[str, int], ...]
"""The repeat blocks an answer sits in: (repeat path, number from 1), outermost first."""


@dataclass(frozen=True)
class Change:
    path: str  # the field's path in the schema (no block numbers)
    position: Position
    before: str | None  # None: no such answer in that version
    after: str | None


def flat_answers(
    values: Mapping[str, Any], position: Position = ()
) -> Iterator[tuple[tuple[str, Position], str]]:
    """Every leaf answer of stored ``values`` with where it sits, in document order."""
    for path, value in values.items():
        if isinstance(value, list):
            for number, block in enumerate(value, start=1):
                if isinstance(block, Mapping):
                    yield from flat_answers(block, (*position, (path, number)))
        elif isinstance(value, str):
            yield (path, position), value


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """The answers that differ between two versions: the later version's order, then
    answers only the earlier one had. An empty answer equals a missing one."""
    old = dict(flat_answers(before))
    new = dict(flat_answers(after))
    found: list[Change] = []
    for key in [*new, *(k for k in old if k not in new)]:
        path, position = key
        if path in UNREPORTED:
            continue
        was, now = old.get(key), new.get(key)
        if (was or "") != (now or ""):
            found.append(Change(path, position, was, now))
    return found
