"""The field hub's relay state: settings, the outbox and the forms mirror, in ``relay.db``.

``relay.db`` is a small SQLite file of its own in the hub's data directory, not a table of
the hub's main database: the relay is a client of the hub (it reads it through its REST
API), the main database may be PostgreSQL or be restored from a backup on its own, and
this schema belongs to the relay alone, so it is created here and needs no migration of
the server's schema. Every change is committed at once (WAL, ``synchronous=FULL``), so a
relay killed at any moment restarts from exactly what it had confirmed.

The outbox holds one row per submission *version* seen on the hub (an edit is a new row),
in order of arrival (``seq``). Its states::

    pending    seen on the hub, not yet offered upstream
    sent       offered upstream at least once, not yet confirmed (in flight, retrying, or
               waiting for attachments that have not reached the hub yet)
    confirmed  upstream answered 2xx for the XML and for every attachment
    failed     upstream refused it (409 conflict, unknown form version, …): kept with the
               reason, never retried until someone asks (`requeue`)
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RELAY_DB = "relay.db"
STATES = ("pending", "sent", "confirmed", "failed")

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    xml_form_id TEXT NOT NULL,
    root_id TEXT NOT NULL,
    instance_id TEXT NOT NULL UNIQUE,
    xml BLOB NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    xml_confirmed INTEGER NOT NULL DEFAULT 0,
    attachments_sent TEXT NOT NULL DEFAULT '[]',
    seen_at REAL NOT NULL,
    confirmed_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
CREATE TABLE IF NOT EXISTS forms (
    xml_form_id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    hash TEXT NOT NULL,
    mirrored_at REAL,
    problem TEXT
);
"""


@dataclass
class OutboxEntry:
    seq: int
    xml_form_id: str
    root_id: str
    instance_id: str
    xml: bytes
    state: str
    reason: str | None
    attempts: int
    xml_confirmed: bool
    attachments_sent: set[str]


@dataclass
class FormStatus:
    xml_form_id: str
    counts: dict[str, int]
    failures: list[tuple[str, str]]
    waiting: list[tuple[str, str]]


class RelayState:
    """The relay's persistent state; one connection, every write committed at once."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)
        try:
            path.chmod(0o600)  # it holds the upstream token and the hub's relay password
        except OSError:
            pass

    @classmethod
    def in_data_dir(cls, data_dir: Path) -> RelayState:
        return cls(data_dir / RELAY_DB)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # Settings ------------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, **values: Any) -> None:
        with self._transaction() as db:
            for key, value in values.items():
                if value is None:
                    db.execute("DELETE FROM settings WHERE key = ?", (key,))
                else:
                    db.execute(
                        "INSERT INTO settings (key, value) VALUES (?, ?)"
                        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        (key, json.dumps(value)),
                    )

    # Outbox --------------------------------------------------------------------------

    def known_instance_ids(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT instance_id FROM outbox")}

    def enqueue(self, entries: list[tuple[str, str, str, bytes]]) -> int:
        """Append (xmlFormId, rootId, instanceId, xml) rows not seen before, in the order given."""
        added = 0
        now = time.time()
        with self._transaction() as db:
            for xml_form_id, root_id, instance_id, xml in entries:
                cursor = db.execute(
                    "INSERT INTO outbox (xml_form_id, root_id, instance_id, xml, seen_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (instance_id) DO NOTHING",
                    (xml_form_id, root_id, instance_id, xml, now),
                )
                added += cursor.rowcount
        return added

    def due(self, limit: int, *, after_seq: int = 0) -> list[OutboxEntry]:
        """The oldest entries still to offer upstream (pending or sent), in arrival order."""
        rows = self.db.execute(
            "SELECT seq, xml_form_id, root_id, instance_id, xml, state, reason, attempts,"
            " xml_confirmed, attachments_sent FROM outbox"
            " WHERE state IN ('pending', 'sent') AND seq > ? ORDER BY seq LIMIT ?",
            (after_seq, limit),
        ).fetchall()
        return [
            OutboxEntry(
                seq=r[0],
                xml_form_id=r[1],
                root_id=r[2],
                instance_id=r[3],
                xml=bytes(r[4]),
                state=r[5],
                reason=r[6],
                attempts=r[7],
                xml_confirmed=bool(r[8]),
                attachments_sent=set(json.loads(r[9])),
            )
            for r in rows
        ]

    def mark_attempt(self, seq: int) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'sent', attempts = attempts + 1 WHERE seq = ?", (seq,)
            )

    def mark_progress(self, seq: int, attachments_sent: set[str]) -> None:
        """Upstream answered 2xx for the XML and these attachments."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET xml_confirmed = 1, attachments_sent = ? WHERE seq = ?",
                (json.dumps(sorted(attachments_sent)), seq),
            )

    def mark_waiting(self, seq: int, reason: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE outbox SET state = 'sent', reason = ? WHERE seq = ?", (reason, seq))

    def mark_confirmed(self, seq: int) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'confirmed', reason = NULL, confirmed_at = ?"
                " WHERE seq = ?",
                (time.time(), seq),
            )

    def mark_failed(self, seq: int, reason: str) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'failed', reason = ? WHERE seq = ?", (reason, seq)
            )

    def requeue_failed(self, xml_form_id: str | None = None) -> int:
        """Offer refused submissions again (after the cause upstream was fixed)."""
        with self._transaction() as db:
            cursor = db.execute(
                "UPDATE outbox SET state = 'pending', reason = NULL"
                " WHERE state = 'failed' AND (? IS NULL OR xml_form_id = ?)",
                (xml_form_id, xml_form_id),
            )
            return cursor.rowcount

    def states(self) -> dict[str, str]:
        """instanceId → state, for every version seen."""
        return dict(self.db.execute("SELECT instance_id, state FROM outbox").fetchall())

    def status(self) -> list[FormStatus]:
        forms: dict[str, FormStatus] = {}
        for xml_form_id, state, count in self.db.execute(
            "SELECT xml_form_id, state, count(*) FROM outbox GROUP BY xml_form_id, state"
        ):
            found = forms.setdefault(
                xml_form_id, FormStatus(xml_form_id, dict.fromkeys(STATES, 0), [], [])
            )
            found.counts[state] = count
        for xml_form_id, state, instance_id, reason in self.db.execute(
            "SELECT xml_form_id, state, instance_id, reason FROM outbox"
            " WHERE reason IS NOT NULL AND state IN ('failed', 'sent') ORDER BY seq"
        ):
            target = (
                forms[xml_form_id].failures if state == "failed" else forms[xml_form_id].waiting
            )
            target.append((instance_id, reason))
        for (xml_form_id,) in self.db.execute("SELECT xml_form_id FROM forms"):
            forms.setdefault(xml_form_id, FormStatus(xml_form_id, dict.fromkeys(STATES, 0), [], []))
        return [forms[name] for name in sorted(forms)]

    # Forms mirror --------------------------------------------------------------------

    def mirrored_hash(self, xml_form_id: str) -> str | None:
        row = self.db.execute(
            "SELECT hash FROM forms WHERE xml_form_id = ? AND problem IS NULL", (xml_form_id,)
        ).fetchone()
        return str(row[0]) if row else None

    def record_form(
        self, xml_form_id: str, *, version: str, hash: str, problem: str | None = None
    ) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO forms (xml_form_id, version, hash, mirrored_at, problem)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (xml_form_id) DO UPDATE SET"
                " version = excluded.version, hash = excluded.hash,"
                " mirrored_at = excluded.mirrored_at, problem = excluded.problem",
                (xml_form_id, version, hash, time.time(), problem),
            )

    def forms(self) -> list[tuple[str, str, float | None, str | None]]:
        return self.db.execute(
            "SELECT xml_form_id, version, mirrored_at, problem FROM forms ORDER BY xml_form_id"
        ).fetchall()
