"""Central's OData ``$filter`` grammar, parsed into a small expression tree.

What Central accepts on submissions: the fields ``__id``, ``__system/submissionDate``,
``__system/updatedAt``, ``__system/submitterId``, ``__system/reviewState`` and
``__system/deletedAt`` (also under ``$root/Submissions/`` for repeat tables); literals
(``null``, numbers, ``'strings'``, ISO dates and timestamps, ``true``/``false``);
``eq ne lt le gt ge``, ``and or not``, parentheses; the functions ``year month day hour
minute second`` of one argument and ``now()``. A syntax error is 400.18, another field
501.5, another function or construct 501.4, as Central answers. The store turns the tree
into SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from server.problems import Problem

FIELDS = {
    "__id": "instance_id",
    "__system/submissionDate": "created_at",
    "__system/updatedAt": "updated_at",
    "__system/submitterId": "submitter_id",
    "__system/reviewState": "review_state",
    "__system/deletedAt": "deleted_at",
}
FUNCTIONS = ("year", "month", "day", "hour", "minute", "second")
COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge")


@dataclass(frozen=True)
class Field:
    column: str  # a column of submissions: created_at, updated_at, ...


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool | datetime | None


@dataclass(frozen=True)
class Call:
    function: str  # one of FUNCTIONS, or "now"
    argument: Expr | None


@dataclass(frozen=True)
class Compare:
    op: str  # one of COMPARISONS
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Logical:
    op: str  # "and" or "or"
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Not:
    operand: Expr


Expr = Field | Literal | Call | Compare | Logical | Not

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>'(?:[^']|'')*')
    | (?P<datetime>\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?)
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<path>\$root/Submissions/__system/\w+|__system/\w+|[A-Za-z_$][\w/$.-]*)
    | (?P<punct>[(),])
    )""",
    re.VERBOSE,
)


def unparseable(reason: str) -> Problem:
    return Problem(
        "400.18",
        f"The OData filter expression you provided could not be parsed: {reason}",
        {"reason": reason},
    )


def orderby_with_skiptoken() -> Problem:
    """Central pages an ``$orderby`` by ``$skip`` only."""
    return Problem(
        "501.1",
        "The requested feature using $orderby and $skiptoken together is not supported by"
        " this server.",
        {"feature": "using $orderby and $skiptoken together"},
    )


def unsupported_field(text: str, at: int | None = None) -> Problem:
    where = f" at {at}" if at is not None else ""
    return Problem(
        "501.5",
        "The given OData filter expression references fields not supported by this server: "
        f"{text}{where}",
        {"at": at, "text": text},
    )


def unsupported_expression(kind: str, at: int, text: str) -> Problem:
    return Problem(
        "501.4",
        "The given OData filter expression uses features not supported by this server: "
        f'{kind} at {at} ("{text}")',
        {"at": at, "type": kind, "text": text},
    )


def references_deleted_at(expr: Expr | None) -> bool:
    """Whether the filter mentions ``__system/deletedAt`` (then deleted rows are not hidden)."""
    if expr is None:
        return False
    if isinstance(expr, Field):
        return expr.column == "deleted_at"
    if isinstance(expr, Call):
        return references_deleted_at(expr.argument)
    if isinstance(expr, Compare | Logical):
        return references_deleted_at(expr.left) or references_deleted_at(expr.right)
    if isinstance(expr, Not):
        return references_deleted_at(expr.operand)
    return False


Order = tuple[tuple[str, bool], ...]
"""An ``$orderby``: (column, descending) pairs, first key first."""


def parse_orderby(text: str | None, fields: dict[str, str] | None = None) -> Order:
    """Central's ``$orderby``: a comma-separated list of the fields ``$filter`` knows (the
    submissions' unless ``fields`` names others), each optionally followed by ``asc`` or
    ``desc``; anything else is 501.5."""
    if text is None or not text.strip():
        return ()
    known = FIELDS if fields is None else fields
    order = []
    for clause in text.split(","):
        name, _, direction = clause.strip().partition(" ")
        direction = direction.strip().lower()
        column = known.get(name.removeprefix("$root/Submissions/"))
        if column is None:
            raise unsupported_field(name)
        if direction not in ("", "asc", "desc"):
            raise unsupported_field(direction)
        order.append((column, direction == "desc"))
    return tuple(order)


def parse_filter(text: str | None, fields: dict[str, str] | None = None) -> Expr | None:
    """The tree of a ``$filter`` value, or None when there is none; ``fields`` maps the
    names a filter may use to columns (the submissions' by default)."""
    if text is None or not text.strip():
        return None
    tokens = _tokenize(text)
    parser = _Parser(tokens, text, FIELDS if fields is None else fields)
    expr = parser.or_expr()
    if parser.index < len(tokens):
        _kind, _value, position = tokens[parser.index]
        raise unparseable(f"unexpected text at {position}")
    return expr


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise unparseable(f"unexpected character at {position}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(
        self, tokens: list[tuple[str, str, int]], text: str, fields: dict[str, str]
    ) -> None:
        self.tokens = tokens
        self.text = text
        self.fields = fields
        self.index = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise unparseable("unexpected end of expression")
        self.index += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise unparseable(f"expected '{value}' at {token[2]}")

    def keyword(self, *words: str) -> str | None:
        token = self.peek()
        if token is not None and token[0] == "path" and token[1] in words:
            self.index += 1
            return token[1]
        return None

    def or_expr(self) -> Expr:
        left = self.and_expr()
        while self.keyword("or"):
            left = Logical("or", left, self.and_expr())
        return left

    def and_expr(self) -> Expr:
        left = self.not_expr()
        while self.keyword("and"):
            left = Logical("and", left, self.not_expr())
        return left

    def not_expr(self) -> Expr:
        if self.keyword("not"):
            return Not(self.not_expr())
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.operand()
        op = self.keyword(*COMPARISONS)
        if op is None:
            return left
        return Compare(op, left, self.operand())

    def operand(self) -> Expr:
        kind, value, position = self.take()
        if kind == "punct" and value == "(":
            inner = self.or_expr()
            self.expect(")")
            return inner
        if kind == "string":
            return Literal(value[1:-1].replace("''", "'"))
        if kind == "number":
            return Literal(float(value) if re.search(r"[.eE]", value) else int(value))
        if kind == "datetime":
            return Literal(_moment(value, position))
        if kind == "path":
            if value in ("null", "true", "false"):
                return Literal({"null": None, "true": True, "false": False}[value])
            following = self.peek()
            if following is not None and following[1] == "(":
                return self.call(value, position)
            name = value.removeprefix("$root/Submissions/")
            if name in self.fields:
                return Field(self.fields[name])
            raise unsupported_field(value, position)
        raise unparseable(f"unexpected '{value}' at {position}")

    def call(self, name: str, position: int) -> Expr:
        self.expect("(")
        if name == "now":
            self.expect(")")
            return Call("now", None)
        if name not in FUNCTIONS:
            raise unsupported_expression("MethodCallExpression", position, name)
        argument = self.operand()
        self.expect(")")
        return Call(name, argument)


def _moment(value: str, position: int) -> datetime:
    try:
        if "T" not in value:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise unparseable(f"invalid date at {position}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
