"""`Database.write_together`: work waiting for the write lock is committed as one group,
and a piece that fails undoes only itself."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from server.domain import Services, utcnow
from server.store import projects as project_store
from server.store.driver import Driver, Statement
from server.store.tables import Project

_projects = Project.__table__  # type: ignore[attr-defined]
_INSERT_PROJECT = Statement(
    sa.insert(_projects).returning(_projects.c.id), columns=["name", "archived", "created_at"]
)


def _project_named(name: str, *, fail: bool = False) -> Callable[[Driver], int]:
    def work(driver: Driver) -> int:
        project_id = driver.scalar(
            _INSERT_PROJECT, {"name": name, "archived": False, "created_at": utcnow()}
        )
        if fail:
            raise ValueError(f"{name} failed")
        assert isinstance(project_id, int)
        return project_id

    return work


def _names(services: Services) -> set[str]:
    with services.db.read() as session:
        return {p.name for p in project_store.list_projects(session)}


def test_a_failing_piece_undoes_only_itself(services: Services) -> None:
    db = services.db
    outcomes: dict[str, object] = {}

    def call(name: str, fail: bool) -> None:
        try:
            outcomes[name] = db.write_together(_project_named(name, fail=fail))
        except ValueError as error:
            outcomes[name] = error

    threads = [
        threading.Thread(target=call, args=("kept", False)),
        threading.Thread(target=call, args=("undone", True)),
        threading.Thread(target=call, args=("also kept", False)),
    ]
    # Hold the write lock (on SQLite) until all three wait, so they form one group.
    db._write_lock.acquire()
    try:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while db.is_sqlite and len(db._waiting) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        if db.is_sqlite:
            assert len(db._waiting) == 3
    finally:
        db._write_lock.release()
    for thread in threads:
        thread.join(timeout=30)
    assert isinstance(outcomes["kept"], int)
    assert isinstance(outcomes["also kept"], int)
    assert isinstance(outcomes["undone"], ValueError)
    assert _names(services) >= {"kept", "also kept"}
    assert "undone" not in _names(services)


def test_work_alone_is_committed_or_rolled_back(services: Services) -> None:
    assert isinstance(services.db.write_together(_project_named("alone")), int)
    with pytest.raises(ValueError):
        services.db.write_together(_project_named("alone and failing", fail=True))
    names = _names(services)
    assert "alone" in names and "alone and failing" not in names


def test_pieces_from_an_event_loop_share_one_group_and_fail_alone(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = services.db
    groups: list[int] = []
    commit_group = db._commit_group

    def counted(group: list[Any], *, isolated: bool) -> bool:
        groups.append(len(group))
        return commit_group(group, isolated=isolated)

    monkeypatch.setattr(db, "_commit_group", counted)

    async def submit_three() -> list[object]:
        pieces = [("loop kept", False), ("loop undone", True), ("loop also kept", False)]
        db._write_lock.acquire()  # so that all three wait, as under load
        try:
            tasks = [
                asyncio.ensure_future(db.write_together_async(_project_named(name, fail=fail)))
                for name, fail in pieces
            ]
            deadline = time.monotonic() + 10
            while db.is_sqlite and len(db._waiting) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.001)
        finally:
            db._write_lock.release()
        return await asyncio.gather(*tasks, return_exceptions=True)

    kept, undone, also_kept = asyncio.run(submit_three())

    assert isinstance(kept, int) and isinstance(also_kept, int)
    assert isinstance(undone, ValueError)
    names = _names(services)
    assert {"loop kept", "loop also kept"} <= names and "loop undone" not in names
    if db.is_sqlite:
        # One group: run once together, then once more piece by piece after the failure.
        assert groups == [3, 3]


def test_a_piece_whose_caller_gives_up_is_still_committed(services: Services) -> None:
    db = services.db

    async def give_up() -> None:
        db._write_lock.acquire()
        try:
            task = asyncio.ensure_future(db.write_together_async(_project_named("given up")))
            await asyncio.sleep(0.05)
            task.cancel()
        finally:
            db._write_lock.release()
        try:
            await task
        except asyncio.CancelledError:
            pass
        # On SQLite the piece was still waiting for the lock when its caller gave up.
        assert task.cancelled() or not db.is_sqlite
        deadline = time.monotonic() + 10
        while "given up" not in _names(services) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    asyncio.run(give_up())
    assert "given up" in _names(services)
