"""The engine and its transactions: `read()` and `write()` (ORM sessions), `driver_read()`
and `write_together()` / `write_together_async()` (the driver's connection, for the
phones' hot path; see `server.store.driver`).

SQLite is used the way it works best: WAL mode, ``synchronous=FULL`` so a commit is on
disk before a 201 goes out, and one writer at a time (a lock in this process, then
``BEGIN IMMEDIATE``) so writers queue instead of failing with "database is locked".
Between processes on one file (``jaring serve --workers``, the command line) writers take
turns through an exclusive ``flock`` on ``jaring.db.write-lock`` beside the database,
held from just before ``BEGIN IMMEDIATE`` until after the commit: the kernel wakes the
next writer at once, where SQLite's busy handler would poll in steps of up to 100 ms.
The busy timeout still covers anything writing without that lock (a ``sqlite3`` shell).
PostgreSQL needs none of this: its normal commit is durable and row locks and unique
constraints order writers.

Since each SQLite commit waits for the disk, small writes that arrive together (phones
sending submissions) go through `write_together`: a group commit. Whoever gets the write
lock runs every piece of work then waiting and commits them all at once; every caller
returns only after that commit, so "committed before the 201" still holds, at one disk
flush per group instead of one per submission. Pieces share the transaction without
savepoints; only when one fails is the group undone and run again with a savepoint per
piece, so a failure stays with its own caller. A caller on an event loop adds its piece
with `write_together_async`, which sends a worker thread to commit only when none is
already on its way.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import event, exc, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

from server.store.driver import Driver

SQLITE_BUSY_TIMEOUT_MS = 30_000
PING_AFTER_IDLE_SECONDS = 5.0
WRITE_LOCK_SUFFIX = ".write-lock"
T = TypeVar("T")


def lock_file_beside(url: str, suffix: str) -> Path | None:
    """A lock file next to a SQLite database's file (``jaring.db`` + ``suffix``), for
    processes sharing it to take turns; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    name = parsed.database
    if parsed.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    database_file = Path(name)
    return database_file.with_name(database_file.name + suffix)


class _Work(Generic[T]):
    """One caller's piece of a group commit, and what became of it.

    ``settled`` is called (from the committing thread) once the piece is done; a caller
    waiting on an event loop learns of it that way, a thread by checking ``done``.
    """

    def __init__(
        self, work: Callable[[Driver], T], settled: Callable[[], None] | None = None
    ) -> None:
        self.work = work
        self.settled = settled
        self.done = False
        self.result: T | None = None
        self.error: BaseException | None = None


class Database:
    """One database: the engine plus the read and write transaction helpers."""

    def __init__(self, url: str, *, pooled: bool = True) -> None:
        """``pooled=False`` suits short command-line work: no connection is kept open."""
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        self._write_lock = threading.Lock()
        self._process_lock_path = lock_file_beside(url, WRITE_LOCK_SUFFIX)
        self._process_lock_fd: int | None = None  # opened on the first write
        self._waiting: deque[_Work[Any]] = deque()
        self._drain_scheduled = False  # a thread will soon commit what waits
        pool_args: dict[str, Any] = (
            {"pool_size": 10, "max_overflow": 30} if pooled else {"poolclass": NullPool}
        )
        if self.is_sqlite:
            timeout = SQLITE_BUSY_TIMEOUT_MS / 1000
            connect_args = {"check_same_thread": False, "timeout": timeout}
            self.engine = create_engine(url, connect_args=connect_args, **pool_args)
            _configure_sqlite(self.engine)
        else:
            # No JIT: Jaring's statements are short, and a filter on answers (a subquery
            # per row) is estimated costly enough to be compiled first, which took longer
            # (150 ms) than running it (45 ms).
            connect_args = {"options": "-c jit=off"}
            self.engine = create_engine(url, connect_args=connect_args, **pool_args)
            _ping_idle_connections(self.engine)
        self._write_engine = self.engine.execution_options(jaring_write=True)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def driver_read(self) -> Iterator[Driver]:
        """A read on the driver's connection, for the phones' few statements
        (`server.store.driver`); for reading only.

        On SQLite it is one transaction. On PostgreSQL each statement is its own: the
        ``BEGIN`` and ``ROLLBACK`` of a transaction around them were two more round trips
        to the server, a fifth of a submission's cost there (+27 % submissions/s without),
        and a phone's lookups (its app user, the project, the form) need no shared snapshot.
        """
        if not self.is_sqlite:
            with self._each_statement_alone() as driver:
                yield driver
            return
        pooled = self.engine.raw_connection()
        try:
            driver = Driver(pooled.driver_connection, self.engine.dialect, pooled)
            driver.execute_sql("BEGIN")
            yield driver
        finally:
            pooled.close()  # the pool rolls the transaction back

    @contextmanager
    def _each_statement_alone(self) -> Iterator[Driver]:
        """The driver's PostgreSQL connection in autocommit: each statement is its own
        transaction, committed (durably) when it returns."""
        pooled = self.engine.raw_connection()
        connection = pooled.driver_connection
        try:
            connection.autocommit = True
            yield Driver(connection, self.engine.dialect, pooled)
        finally:
            if not connection.closed:
                try:
                    connection.autocommit = False  # as the pool's other users expect
                except Exception:  # noqa: BLE001 - a connection not reset is not reused
                    pooled.invalidate()
            pooled.close()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose work is committed when the block ends without error."""
        lock = self._write_lock if self.is_sqlite else None
        if lock is not None:
            lock.acquire()
        try:
            self._lock_other_processes()
            with Session(self._write_engine, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            self._unlock_other_processes()
            if lock is not None:
                lock.release()

    def write_together(self, work: Callable[[Driver], T], *, one_statement: bool = False) -> T:
        """``work(driver)`` in a write transaction committed before this returns.

        On SQLite it shares the transaction and its commit with whatever other
        `write_together` work is waiting for the write lock: an exception undoes only
        this work and is raised here. ``work`` may run twice (when another piece of the
        group fails), so it must do nothing but database work on the driver it is given.
        On PostgreSQL it has a transaction of its own (concurrent commits are already
        flushed together there); when ``work`` runs a single statement on PostgreSQL
        (``one_statement``), that statement is the transaction, with no ``BEGIN`` and
        ``COMMIT`` round trips around it.
        """
        if not self.is_sqlite:
            return self._commit_alone(work, one_statement)
        mine = _Work(work)
        self._waiting.append(mine)
        with self._write_lock:
            if not mine.done:
                self._commit_waiting()
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]

    async def write_together_async(
        self, work: Callable[[Driver], T], *, one_statement: bool = False
    ) -> T:
        """`write_together` for a caller on an event loop, which it does not block.

        The piece joins the waiting group; a worker thread is sent to commit the group
        only if none is on its way, so that many submissions arriving at once cost one
        trip to a thread, not one each (a trip, and the contest for the GIL among the
        threads it wakes, cost more than a submission's own work).
        """
        loop = asyncio.get_running_loop()
        if not self.is_sqlite:
            return await loop.run_in_executor(None, self._commit_alone, work, one_statement)
        finished: asyncio.Future[None] = loop.create_future()

        def settled() -> None:
            try:
                loop.call_soon_threadsafe(_settle, finished)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                pass

        mine = _Work(work, settled)
        self._waiting.append(mine)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            loop.run_in_executor(None, self._drain)
        # A caller cancelled meanwhile leaves its piece to be committed all the same.
        await asyncio.shield(finished)
        if mine.error is not None:
            raise mine.error
        return mine.result  # type: ignore[return-value]

    def _drain(self) -> None:
        """Commit whatever waits (run in a worker thread for `write_together_async`)."""
        with self._write_lock:
            # Cleared before the group is taken: a piece added from now on is either in
            # this group or sends a thread of its own.
            self._drain_scheduled = False
            if self._waiting:
                self._commit_waiting()

    def _commit_alone(self, work: Callable[[Driver], T], one_statement: bool = False) -> T:
        if one_statement:
            with self._each_statement_alone() as driver:
                return work(driver)
        pooled = self.engine.raw_connection()
        try:
            driver = Driver(pooled.driver_connection, self.engine.dialect, pooled)
            result = work(driver)
            driver.commit()
            return result
        finally:
            pooled.close()  # after a failure, the pool rolls the transaction back

    def _commit_waiting(self) -> None:
        """Run all waiting work in one transaction; the caller holds the write lock."""
        group: list[_Work[Any]] = []
        while self._waiting:
            group.append(self._waiting.popleft())
        try:
            self._lock_other_processes()  # once for the whole group
            if not self._commit_group(group, isolated=len(group) == 1):
                # A piece failed: undo them all and run each in a savepoint of its own,
                # so that only the pieces that fail fail.
                self._commit_group(group, isolated=True)
        except BaseException as error:
            for piece in group:
                piece.error = piece.error or error
                piece.result = None
        finally:
            self._unlock_other_processes()
            for piece in group:
                piece.done = True
                if piece.settled is not None:
                    piece.settled()

    def _commit_group(self, group: list[_Work[Any]], *, isolated: bool) -> bool:
        """Run the group's work in one transaction and commit it.

        Not ``isolated`` (the common case: nothing fails), the pieces share the
        transaction with no savepoint each; if one fails, everything is rolled back and
        False returned. ``isolated``, each piece has its own savepoint (a group of one
        has the transaction) and a failing piece keeps its error.
        """
        pooled = self.engine.raw_connection()
        try:
            driver = Driver(pooled.driver_connection, self.engine.dialect, pooled)
            driver.execute_sql("BEGIN IMMEDIATE")
            try:
                for piece in group:
                    if not isolated or len(group) == 1:
                        piece.result = piece.work(driver)
                        continue
                    driver.execute_sql("SAVEPOINT piece")
                    try:
                        piece.result = piece.work(driver)
                    except Exception as error:
                        driver.execute_sql("ROLLBACK TO SAVEPOINT piece")
                        piece.error = error
                    driver.execute_sql("RELEASE SAVEPOINT piece")
                driver.commit()
                return True
            except Exception:
                driver.rollback()
                if isolated:
                    raise
                for piece in group:
                    piece.result = None
                return False
            except BaseException:
                driver.rollback()
                raise
        finally:
            pooled.close()

    def _lock_other_processes(self) -> None:
        """Wait for writers in other processes (SQLite files only); under `_write_lock`."""
        if self._process_lock_path is None:
            return
        if self._process_lock_fd is None:
            self._process_lock_fd = os.open(self._process_lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(self._process_lock_fd, fcntl.LOCK_EX)

    def _unlock_other_processes(self) -> None:
        if self._process_lock_fd is not None:
            fcntl.flock(self._process_lock_fd, fcntl.LOCK_UN)

    def ping(self) -> str:
        """The database's version, as the database itself reports it; raises whatever
        the driver raises when it does not answer."""
        query = "SELECT sqlite_version()" if self.is_sqlite else "SHOW server_version"
        with self.read() as session:
            return str(session.execute(text(query)).scalar_one())

    def dispose(self) -> None:
        self.engine.dispose()
        with self._write_lock:
            if self._process_lock_fd is not None:
                os.close(self._process_lock_fd)
                self._process_lock_fd = None


def _settle(finished: asyncio.Future[None]) -> None:
    if not finished.done():
        finished.set_result(None)


def _ping_idle_connections(engine: Engine) -> None:
    """Check a pooled PostgreSQL connection is alive before use if it sat idle a while.

    A server restart leaves the pool holding dead connections; a ping on checkout finds
    them. Pinging on every checkout (``pool_pre_ping``) cost a round trip per read and
    per write, about a tenth of a busy server's time; a connection used moments ago is
    not pinged. Should one still die in use, SQLAlchemy sees the disconnect and
    discards the whole pool.
    """

    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("SELECT 1")
            finally:
                cursor.close()
            # The ping opened a transaction; a connection handed out in one cannot be put
            # in autocommit (`driver_read`), so it leaves the ping as it came to it.
            dbapi_connection.rollback()
        except Exception as error:  # noqa: BLE001 - any failure means the connection is gone
            # The pool replaces the connection and tries again.
            raise exc.DisconnectionError() from error


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can say IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("jaring_write", False)
        statement = "BEGIN IMMEDIATE" if immediate else "BEGIN"
        # Straight to the driver: every request begins a transaction or two, and
        # SQLAlchemy's statement machinery cost ten times the BEGIN itself. An error is
        # wrapped as SQLAlchemy would have (the error handlers know those).
        try:
            connection.connection.driver_connection.execute(statement)
        except sqlite3.Error as error:
            raise exc.DBAPIError.instance(statement, None, error, sqlite3.Error) from error
