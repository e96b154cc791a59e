"""`Database.write_together`: work waiting for the write lock is committed as one group,
and a piece that fails undoes only itself."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlmodel import Session

from server.domain import Services, utcnow
from server.store import projects as project_store


def _project_named(name: str, *, fail: bool = False) -> Callable[[Session], int]:
    def work(session: Session) -> int:
        project = project_store.insert_project(session, name=name, description=None, now=utcnow())
        if fail:
            raise ValueError(f"{name} failed")
        assert project.id is not None
        return project.id

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
