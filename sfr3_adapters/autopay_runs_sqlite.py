"""The autopay sweep's run tally on SQLite (`make run`, tests): the port of
sfr3_ledger/autopay_runs.py, in the read models' file.

Two tables: `autopay_runs` (a run's counters) and `autopay_run_items` (a planned
resident, and its outcome once recorded). Planning inserts the residents not planned yet
and adds their number to `planned`; recording sets an item's outcome only where it has
none, and adds to the counters in the same transaction, so a repeated record counts
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import attrs

from sfr3_adapters.sqlite_read_model import SQLiteReadModel
from sfr3_ledger.autopay_runs import SweepTotals, amount_counter

_COUNTERS = ("charged", "declined", "skipped", "already_done", "not_charged")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS autopay_runs (
  time_zone TEXT NOT NULL, day TEXT NOT NULL, planned INTEGER NOT NULL DEFAULT 0,
  recorded INTEGER NOT NULL DEFAULT 0, charged INTEGER NOT NULL DEFAULT 0,
  declined INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
  already_done INTEGER NOT NULL DEFAULT 0, not_charged INTEGER NOT NULL DEFAULT 0,
  amount INTEGER NOT NULL DEFAULT 0, declined_amount INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (time_zone, day));
CREATE TABLE IF NOT EXISTS autopay_run_items (
  time_zone TEXT NOT NULL, day TEXT NOT NULL, resident_id TEXT NOT NULL,
  outcome TEXT, amount INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (time_zone, day, resident_id));
"""


class SQLiteSweepTally(SQLiteReadModel):
    SCHEMA = _SCHEMA

    def plan(self, time_zone: str, day: date, resident_ids: Iterable[str]) -> list[str]:
        key = (time_zone, day.isoformat())
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT OR IGNORE INTO autopay_runs (time_zone, day) "
                                 "VALUES (?, ?)", key)
                before = self._db.total_changes
                self._db.executemany(
                    "INSERT OR IGNORE INTO autopay_run_items (time_zone, day, resident_id) "
                    "VALUES (?, ?, ?)", [(*key, r) for r in dict.fromkeys(resident_ids)])
                added = self._db.total_changes - before
                self._db.execute("UPDATE autopay_runs SET planned = planned + ? "
                                 "WHERE time_zone = ? AND day = ?", (added, *key))
                everyone = [r[0] for r in self._db.execute(
                    "SELECT resident_id FROM autopay_run_items WHERE time_zone = ? AND day = ? "
                    "ORDER BY rowid", key)]
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return everyone

    def record(self, time_zone: str, day: date, resident_id: str, counter: str,
               amount: int) -> bool:
        if counter not in _COUNTERS:
            raise ValueError(f"unknown counter {counter!r}")
        key = (time_zone, day.isoformat())
        total = amount_counter(counter)
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.execute(
                    "UPDATE autopay_run_items SET outcome = ?, amount = ? WHERE time_zone = ? "
                    "AND day = ? AND resident_id = ? AND outcome IS NULL",
                    (counter, amount, *key, resident_id))
                counted = cursor.rowcount == 1
                if counted:
                    extra = f", {total} = {total} + ?" if total else ""
                    self._db.execute(
                        f"UPDATE autopay_runs SET recorded = recorded + 1, "
                        f"{counter} = {counter} + 1{extra} WHERE time_zone = ? AND day = ?",
                        ((amount,) if total else ()) + key)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return counted

    def totals(self, time_zone: str, day: date) -> SweepTotals | None:
        names = [f.name for f in attrs.fields(SweepTotals)]
        with self._lock:
            row = self._db.execute(
                f"SELECT {', '.join(names)} FROM autopay_runs "
                "WHERE time_zone = ? AND day = ?", (time_zone, day.isoformat())).fetchone()
        return SweepTotals(**dict(zip(names, row, strict=True))) if row else None
