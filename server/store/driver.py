"""Statements run straight on the database driver's connection: the phones' hot path.

Every request a phone makes (a form list, a form download, a submission) runs the same
few short statements. Through SQLAlchemy's session and execution machinery each costs
about 100 µs of Python, and a session about 40 µs more, where the statement itself takes
a few microseconds on the driver: on a busy server that overhead was the largest part of
a submission's cost. So those statements are written once as SQLAlchemy Core, compiled
once per database (`Statement`), and executed on the DBAPI connection (`Driver`).

SQLAlchemy still does what it is needed for: the SQL text for each database, the
conversion of parameters (dates, JSON, booleans) and of results (the same
``result_processor`` the ORM would apply), and errors, which are wrapped exactly as
SQLAlchemy wraps them (an ``IntegrityError`` is an ``IntegrityError``), so callers catch
one kind whichever path a statement took. A connection found dead is invalidated so the
pool replaces it.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.expression import Executable
from sqlmodel import Session

_NO_PARAMS: Mapping[str, Any] = {}


class _Compiled(NamedTuple):
    """A statement as one database runs it: its SQL and how to convert what goes in and out."""

    sql: str
    names: tuple[str, ...]  # the parameters, in the order of the SQL's placeholders
    named: bool  # the driver takes a dict (PostgreSQL) rather than a tuple (SQLite)
    defaults: dict[str, Any]  # values bound in the statement itself (literals)
    bind: dict[str, Callable[[Any], Any]]
    row: Callable[..., Any] | None  # makes a named row; None when nothing is returned
    result: tuple[Callable[[Any], Any] | None, ...] | None  # None when no column needs one

    def parameters(self, params: Mapping[str, Any]) -> Any:
        values = {**self.defaults, **params} if self.defaults else params
        bind = self.bind
        args = [bind[name](values[name]) if name in bind else values[name] for name in self.names]
        return dict(zip(self.names, args, strict=True)) if self.named else tuple(args)

    def make_row(self, raw: Sequence[Any]) -> Any:
        assert self.row is not None
        if self.result is None:
            return self.row(*raw)
        pairs = zip(self.result, raw, strict=True)
        return self.row(*(value if convert is None else convert(value) for convert, value in pairs))


class Statement:
    """A Core statement, compiled for each database the first time it runs there.

    ``columns`` names the columns an INSERT sets (all parameters are then given by name
    at each run). Rows come back as named tuples of the statement's selected or
    returned columns.
    """

    def __init__(self, statement: Executable, *, columns: Sequence[str] | None = None) -> None:
        self.statement = statement
        self.columns = list(columns) if columns is not None else None
        self._compiled: dict[tuple[str, str], _Compiled] = {}

    def for_dialect(self, dialect: Dialect) -> _Compiled:
        key = (dialect.name, dialect.driver)
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = self._compile(dialect)
        return found

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect, column_keys=self.columns)
        binds = compiled.binds
        # Values SQLAlchemy renders into the SQL itself (a separator, say) are rendered
        # now, once: they are part of the statement, not of its parameters.
        placeholders = {name: None for name, parameter in binds.items() if parameter.required}
        expanded = compiled.construct_expanded_state(placeholders)
        if "POSTCOMPILE" in expanded.statement:
            raise ValueError("a Statement cannot have expanding (IN) parameters")
        named = expanded.positiontup is None
        names = tuple(expanded.parameters if named else expanded.positiontup or ())
        bind: dict[str, Callable[[Any], Any]] = {}
        defaults: dict[str, Any] = {}
        for name in names:
            parameter = binds[name]
            processor = parameter.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                bind[name] = processor
            if not parameter.required:
                defaults[name] = parameter.effective_value
        columns = list(getattr(self.statement, "exported_columns", []))
        row = None
        result = None
        if columns:
            row = namedtuple("Row", [c.key for c in columns], rename=True)  # type: ignore[misc]
            converters = tuple(
                c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
            )
            result = converters if any(converters) else None
        return _Compiled(expanded.statement, names, named, defaults, bind, row, result)


class Driver:
    """A DBAPI connection with its dialect: runs `Statement`s and plain SQL on it."""

    def __init__(
        self, connection: Any, dialect: Dialect, pooled: PoolProxiedConnection | None = None
    ) -> None:
        self.connection = connection
        self.dialect = dialect
        self._pooled = pooled
        self._errors: type[Exception] = dialect.loaded_dbapi.Error

    @classmethod
    def of(cls, session: Session) -> Driver:
        """The driver connection under ``session``, inside the session's transaction (the
        session, not this, deals with the connection should it die)."""
        connection = session.connection()
        return cls(connection.connection.driver_connection, connection.dialect)

    def execute(self, statement: Statement, params: Mapping[str, Any] = _NO_PARAMS) -> None:
        """Run ``statement`` for its effect."""
        self._run(statement, params, fetch=None)

    def first(self, statement: Statement, params: Mapping[str, Any] = _NO_PARAMS) -> Any | None:
        """The first row ``statement`` returns (a named tuple), or None."""
        rows = self._run(statement, params, fetch=1)
        return rows[0] if rows else None

    def all(self, statement: Statement, params: Mapping[str, Any] = _NO_PARAMS) -> list[Any]:
        """Every row ``statement`` returns, as named tuples."""
        return self._run(statement, params, fetch=-1)

    def scalar(self, statement: Statement, params: Mapping[str, Any] = _NO_PARAMS) -> Any | None:
        """The first column of the first row, or None when there is no row."""
        row = self.first(statement, params)
        return None if row is None else row[0]

    def _run(self, statement: Statement, params: Mapping[str, Any], fetch: int | None) -> Any:
        """Execute, and fetch no row, one row (``1``) or all (``-1``): fetching is inside
        the error handling, since in a pipeline a statement's error arrives with its rows."""
        compiled = statement.for_dialect(self.dialect)
        args = compiled.parameters(params)
        try:
            cursor = self.connection.execute(compiled.sql, args)
            if fetch is None:
                return None
            raw_rows = cursor.fetchall() if fetch < 0 else [cursor.fetchone()]
        except self._errors as error:
            raise self._wrapped(error, compiled.sql, args) from error
        return [compiled.make_row(raw) for raw in raw_rows if raw is not None]

    def execute_many(self, statement: Statement, rows: Iterable[Mapping[str, Any]]) -> None:
        compiled = statement.for_dialect(self.dialect)
        args = [compiled.parameters(row) for row in rows]
        try:
            cursor = self.connection.cursor()
            try:
                cursor.executemany(compiled.sql, args)
            finally:
                cursor.close()
        except self._errors as error:
            raise self._wrapped(error, compiled.sql, args) from error

    def execute_sql(self, sql: str) -> None:
        """Plain SQL with no parameters: ``BEGIN IMMEDIATE``, ``SAVEPOINT piece``…"""
        try:
            self.connection.execute(sql)
        except self._errors as error:
            raise self._wrapped(error, sql, None) from error

    def commit(self) -> None:
        try:
            self.connection.commit()
        except self._errors as error:
            raise self._wrapped(error, "COMMIT", None) from error

    def rollback(self) -> None:
        try:
            self.connection.rollback()
        except self._errors as error:
            raise self._wrapped(error, "ROLLBACK", None) from error

    def _wrapped(self, error: Exception, sql: str, args: Any) -> exc.DBAPIError:
        """``error`` as SQLAlchemy would have raised it; a dead connection is given up."""
        gone = self.dialect.is_disconnect(error, self.connection, None)
        if gone and self._pooled is not None:
            self._pooled.invalidate(error)
        return exc.DBAPIError.instance(
            sql,
            args,
            error,
            self._errors,
            connection_invalidated=gone,
            dialect=self.dialect,
        )
