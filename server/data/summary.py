"""Counting a form's answers for its summary, one submission at a time.

`summary_plan` lists what is counted: every select_one and select_multiple question and
every number question (integer, decimal) outside repeats, in the form's order, with the
groups around it. `FormTally` takes each submission's values once and keeps, per
question, counts and never rows: a count per choice (`ChoiceTally`), and for numbers
the count, the least and the greatest and what the median needs (`NumberTally`).

The median is exact. Numbers are kept as a count per distinct value (years, numbers of
members and prices repeat a lot); a question whose answers take more than
`DISTINCT_LIMIT` distinct values keeps them as 8-byte floats instead (100,000 answers:
800 kB), and each question's numbers are sorted only when its median is asked for.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from server.data.questions import FormQuestions
from server.data.tables import repeat_chain
from server.data.xform import FieldInfo

DISTINCT_LIMIT = 2048
Kind = Literal["one", "many", "number"]


@dataclass(frozen=True)
class Planned:
    """A question the summary counts, and the groups it sits in (outermost first)."""

    path: str
    kind: Kind
    groups: tuple[str, ...]
    integer: bool = False


def summary_plan(questions: FormQuestions, fields: list[FieldInfo]) -> list[Planned]:
    """The questions to count, in the form's order: selects, and numbers outside repeats."""
    types = {f.path: f.type for f in fields}
    plan: list[Planned] = []
    for question in questions.questions.values():
        path = question.path
        if question.is_group or repeat_chain(fields, path):
            continue
        kind: Kind | None = None
        if question.control == "select1":
            kind = "one"
        elif question.control == "select":
            kind = "many"
        elif types.get(path) in ("int", "decimal"):
            kind = "number"
        if kind is None:
            continue
        groups = tuple(
            prefix
            for prefix in _prefixes(path)
            if prefix in questions.questions and questions.questions[prefix].is_group
        )
        plan.append(Planned(path, kind, groups, integer=types.get(path) == "int"))
    return plan


def _prefixes(path: str) -> list[str]:
    parts = path.split("/")[1:-1]
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


class ChoiceTally:
    """How many submissions chose each value of one select question."""

    def __init__(self, multiple: bool) -> None:
        self.multiple = multiple
        self.counts: Counter[str] = Counter()
        self.answered = 0

    def add(self, raw: str | None) -> None:
        if not raw or not raw.strip():
            return
        chosen = set(raw.split()) if self.multiple else {raw.strip()}
        self.answered += 1
        self.counts.update(chosen)

    def share(self, value: str) -> float:
        """The share of the submissions that answered which chose ``value``."""
        return self.counts[value] / self.answered if self.answered else 0.0

    def ordered(self, known: Sequence[str], *, every_known: bool) -> list[tuple[str, int]]:
        """(value, count): the ``known`` choices in their order (all of them, or only those
        chosen), then values that are not among them, most chosen first."""
        listed = set(known)
        out = [(v, self.counts[v]) for v in known if every_known or self.counts[v]]
        others = sorted(
            ((v, n) for v, n in self.counts.items() if v not in listed), key=lambda i: (-i[1], i[0])
        )
        return out + others


class NumberTally:
    """The count, least, greatest and median of one number question's answers."""

    def __init__(self, integer: bool) -> None:
        self.integer = integer
        self.count = 0
        self.minimum: float | None = None
        self.maximum: float | None = None
        self._distinct: Counter[float] | None = Counter()
        self._values = array("d")

    def add(self, raw: str | None) -> None:
        number = parse_number(raw, integer=self.integer)
        if number is None:
            return
        self.count += 1
        self.minimum = number if self.minimum is None else min(self.minimum, number)
        self.maximum = number if self.maximum is None else max(self.maximum, number)
        if self._distinct is None:
            self._values.append(number)
            return
        self._distinct[number] += 1
        if len(self._distinct) > DISTINCT_LIMIT:
            for value, times in self._distinct.items():
                self._values.extend([value] * times)
            self._distinct = None

    def median(self) -> float | None:
        if not self.count:
            return None
        if self._distinct is not None:
            return median_of_counts(self._distinct)
        ordered = sorted(self._values)
        middle = len(ordered) // 2
        if len(ordered) % 2:
            return ordered[middle]
        return (ordered[middle - 1] + ordered[middle]) / 2


def parse_number(raw: str | None, *, integer: bool) -> float | None:
    """An answer as a number (an int for integer questions); None when it is not one."""
    if raw is None or not raw.strip():
        return None
    try:
        number: float = int(raw.strip()) if integer else float(raw.strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def median_of_counts(counts: Mapping[float, int]) -> float | None:
    """The median of numbers given as value -> how many times it occurs."""
    total = sum(counts.values())
    if total == 0:
        return None
    lower_rank, upper_rank = (total - 1) // 2, total // 2
    lower: float | None = None
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        if lower is None and seen > lower_rank:
            lower = value
        if seen > upper_rank:
            assert lower is not None
            return lower if lower == value else (lower + value) / 2
    raise AssertionError("unreachable")


class FormTally:
    """The counts of every planned question over the submissions added so far."""

    def __init__(self, plan: Iterable[Planned]) -> None:
        self.plan = list(plan)
        self.submissions = 0
        self.tallies: dict[str, ChoiceTally | NumberTally] = {
            item.path: NumberTally(item.integer)
            if item.kind == "number"
            else ChoiceTally(item.kind == "many")
            for item in self.plan
        }

    def add(self, values: Mapping[str, Any]) -> None:
        """Count one submission (its values: leaf path -> text)."""
        self.submissions += 1
        for path, tally in self.tallies.items():
            value = values.get(path)
            tally.add(value if isinstance(value, str) else None)
