"""SQLite writers in several processes take turns through the lock file and lose nothing.

Two processes write at once through `Database.write_together` and `Database.write` on
one SQLite file (as the workers of ``jaring serve --workers 2`` do), and every row
arrives. A writer also waits while anyone else holds ``jaring.db.write-lock``.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import text

from server.store.database import Database
from server.store.driver import Driver, Statement

PROCESSES = 2
THREADS = 4
ROWS_PER_THREAD = 30


def _create_table(path: Path) -> str:
    url = f"sqlite:///{path}"
    database = Database(url, pooled=False)
    with database.write() as session:
        session.execute(text("CREATE TABLE marks (writer TEXT NOT NULL, n INTEGER NOT NULL)"))
    database.dispose()
    return url


_MARKS = sa.table("marks", sa.column("writer"), sa.column("n"))
_INSERT_MARK = Statement(sa.insert(_MARKS), columns=["writer", "n"])


def _insert(writer: str, n: int) -> Callable[[Driver], None]:
    def work(driver: Driver) -> None:
        driver.execute(_INSERT_MARK, {"writer": writer, "n": n})

    return work


def _write_rows(url: str, name: str, start: Barrier) -> None:
    """One process: ``THREADS`` threads, each writing its rows, most of them grouped."""
    database = Database(url)

    def one_thread(thread: int) -> None:
        writer = f"{name}-{thread}"
        for n in range(ROWS_PER_THREAD):
            if n % 5 == 0:
                with database.write() as session:
                    _insert(writer, n)(Driver.of(session))
            else:
                database.write_together(_insert(writer, n))

    start.wait()
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        for finished in [pool.submit(one_thread, t) for t in range(THREADS)]:
            finished.result()
    database.dispose()


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    url = _create_table(tmp_path / "jaring.db")
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    processes = [
        context.Process(target=_write_rows, args=(url, f"p{i}", start)) for i in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0] * PROCESSES

    database = Database(url, pooled=False)
    with database.read() as session:
        rows = session.execute(text("SELECT writer, n FROM marks")).all()
    database.dispose()
    expected = {
        (f"p{p}-{t}", n)
        for p in range(PROCESSES)
        for t in range(THREADS)
        for n in range(ROWS_PER_THREAD)
    }
    assert len(rows) == len(expected)
    assert {(row.writer, row.n) for row in rows} == expected
    assert (tmp_path / "jaring.db.write-lock").is_file()


@pytest.mark.parametrize("path", ["write", "write_together"])
def test_a_writer_waits_while_another_process_holds_the_lock_file(
    tmp_path: Path, path: str
) -> None:
    url = _create_table(tmp_path / "jaring.db")
    database = Database(url)

    def write_one() -> None:
        if path == "write":
            with database.write() as session:
                _insert("other", 1)(Driver.of(session))
        else:
            database.write_together(_insert("other", 1))

    # A separate open of the file conflicts like another process would.
    held = os.open(tmp_path / "jaring.db.write-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(held, fcntl.LOCK_EX)
        with ThreadPoolExecutor(max_workers=1) as pool:
            writing = pool.submit(write_one)
            finished, _ = wait([writing], timeout=0.3)
            assert not finished, "the write went ahead while the lock file was held"
            fcntl.flock(held, fcntl.LOCK_UN)
            writing.result(timeout=30)
    finally:
        os.close(held)
    with database.read() as session:
        assert session.execute(text("SELECT count(*) FROM marks")).scalar_one() == 1
    database.dispose()
