"""The payment-health read model on SQLite (`make run`: `${SFR3_HOME}/payment-health.db`).

Each fact is inserted with `INSERT OR IGNORE` and, only when that inserted a row, its
state's totals move, both in one transaction: a fact seen twice changes nothing. The
backbone writes (one writer per home), the API reads; WAL lets both at once.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sfr3_ledger.read_models.payment_health import (
    DayTotals,
    HealthFact,
    StateTotals,
    moves_totals,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS health_facts (
  event_id TEXT PRIMARY KEY, day TEXT NOT NULL, kind TEXT NOT NULL, state TEXT NOT NULL,
  amount INTEGER NOT NULL, reason TEXT);
CREATE INDEX IF NOT EXISTS health_facts_day ON health_facts (day, kind);
CREATE TABLE IF NOT EXISTS health_states (
  state TEXT PRIMARY KEY, collected INTEGER NOT NULL, outstanding INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS health_position (
  follower TEXT PRIMARY KEY, notification_id INTEGER NOT NULL);
"""


class SQLitePaymentHealthStore:
    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30,
                                   isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, facts: Sequence[HealthFact]) -> int:
        return self.add_at(facts, None)

    def position(self, follower: str = "ledger") -> int | None:
        """The last notification id a follower recorded with its facts (None: from the start)."""
        with self._lock:
            row = self._db.execute("SELECT notification_id FROM health_position WHERE follower = ?",
                                   (follower,)).fetchone()
        return None if row is None else int(row[0])

    def add_at(self, facts: Sequence[HealthFact], position: int | None,
               follower: str = "ledger") -> int:
        """`add`, and record `position` in the same transaction: a follower that stores its
        place here can neither skip nor repeat a notification, whatever the crash."""
        new = 0
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if position is not None:
                    self._db.execute(
                        "INSERT INTO health_position VALUES (?, ?) ON CONFLICT(follower) DO "
                        "UPDATE SET notification_id = excluded.notification_id",
                        (follower, position))
                for f in facts:
                    inserted = self._db.execute(
                        "INSERT OR IGNORE INTO health_facts VALUES (?, ?, ?, ?, ?, ?)",
                        (f.event_id, f.day.isoformat(), f.kind, f.state, f.amount, f.reason),
                    ).rowcount
                    if not inserted:
                        continue
                    new += 1
                    if moves_totals(f):
                        self._db.execute(
                            "INSERT INTO health_states VALUES (?, ?, ?) ON CONFLICT(state) DO "
                            "UPDATE SET collected = collected + excluded.collected, "
                            "outstanding = outstanding + excluded.outstanding",
                            (f.state, f.collected, f.outstanding),
                        )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return new

    def days(self, since: date, until: date) -> list[DayTotals]:
        with self._lock:
            rows = self._db.execute(
                "SELECT day, SUM(kind = 'initiated'), SUM(kind = 'settled'), SUM(kind = 'failed'),"
                " SUM(CASE WHEN kind = 'settled' THEN amount ELSE 0 END),"
                " SUM(CASE WHEN kind = 'failed' THEN amount ELSE 0 END)"
                " FROM health_facts WHERE day >= ? AND day < ?"
                " AND kind IN ('initiated', 'settled', 'failed') GROUP BY day ORDER BY day",
                (since.isoformat(), until.isoformat()),
            ).fetchall()
        return [DayTotals(date.fromisoformat(d), *map(int, rest)) for d, *rest in rows]

    def failures_by_reason(self, since: date, until: date) -> list[tuple[str, int, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT reason, COUNT(*), SUM(amount) FROM health_facts"
                " WHERE kind = 'failed' AND day >= ? AND day < ?"
                " GROUP BY reason ORDER BY COUNT(*) DESC, reason",
                (since.isoformat(), until.isoformat()),
            ).fetchall()
        return [(str(r), int(n), int(c)) for r, n, c in rows]

    def states(self) -> list[StateTotals]:
        with self._lock:
            rows = self._db.execute(
                "SELECT state, collected, outstanding FROM health_states ORDER BY state"
            ).fetchall()
        return [StateTotals(str(s), int(c), int(o)) for s, c, o in rows]

    def collected_by_state(self, since: date, until: date) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT state, SUM(CASE WHEN kind = 'settled' THEN amount ELSE -amount END)"
                " FROM health_facts WHERE kind IN ('settled', 'refunded', 'chargeback')"
                " AND day >= ? AND day < ? GROUP BY state",
                (since.isoformat(), until.isoformat()),
            ).fetchall()
        return {str(s): int(c) for s, c in rows}

    def clear(self) -> None:
        with self._lock:
            self._db.executescript("DELETE FROM health_facts; DELETE FROM health_states; "
                                   "DELETE FROM health_position;")
