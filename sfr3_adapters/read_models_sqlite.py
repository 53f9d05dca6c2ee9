"""The schedule read model on SQLite (`make run`, tests): the same port as DynamoDB's.

One file, four tables; every write is an upsert or delete of rows derived from events, so
replaying the log rewrites the same rows (see sfr3_ledger/read_models/schedule.py).
"""

from __future__ import annotations

import json
from datetime import date

from sfr3_adapters.sqlite_read_model import SQLiteReadModel
from sfr3_ledger.read_models.schedule import AutopayRow, LateFeeCandidate, LeaseRow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
  resident_id TEXT PRIMARY KEY, lease_id TEXT NOT NULL, time_zone TEXT NOT NULL,
  due_days TEXT NOT NULL, grace TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT,
  version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS due_days (
  time_zone TEXT NOT NULL, day INTEGER NOT NULL, resident_id TEXT NOT NULL,
  PRIMARY KEY (time_zone, day, resident_id));
CREATE INDEX IF NOT EXISTS due_days_by_resident ON due_days (resident_id);
CREATE TABLE IF NOT EXISTS late_candidates (
  resident_id TEXT NOT NULL, charge_id TEXT NOT NULL, time_zone TEXT NOT NULL,
  assess_on TEXT NOT NULL, PRIMARY KEY (resident_id, charge_id));
CREATE INDEX IF NOT EXISTS late_by_zone_day ON late_candidates (time_zone, assess_on);
CREATE TABLE IF NOT EXISTS autopay (
  resident_id TEXT PRIMARY KEY, enrollment_id TEXT NOT NULL, time_zone TEXT NOT NULL,
  charge_day INTEGER NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS autopay_by_day ON autopay (time_zone, charge_day, status);
CREATE TABLE IF NOT EXISTS job_runs (
  job TEXT NOT NULL, time_zone TEXT NOT NULL, day TEXT NOT NULL,
  PRIMARY KEY (job, time_zone));
"""


class SQLiteScheduleIndex(SQLiteReadModel):
    SCHEMA = _SCHEMA

    def put_lease(self, row: LeaseRow) -> None:
        with self._lock:
            stored = self._db.execute("SELECT version FROM leases WHERE resident_id = ?",
                                      (row.resident_id,)).fetchone()
            if stored is not None and stored[0] > row.version:
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (row.resident_id, row.lease_id, row.time_zone,
                     json.dumps(sorted(row.due_days)),
                     json.dumps([[d.isoformat(), g] for d, g in row.grace]),
                     row.start_date.isoformat(),
                     row.end_date.isoformat() if row.end_date else None, row.version))
                self._db.execute("DELETE FROM due_days WHERE resident_id = ?",
                                 (row.resident_id,))
                self._db.executemany(
                    "INSERT OR IGNORE INTO due_days VALUES (?, ?, ?)",
                    [(row.time_zone, day, row.resident_id) for day in sorted(row.due_days)])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def lease_row(self, resident_id: str) -> LeaseRow | None:
        with self._lock:
            found = self._db.execute("SELECT * FROM leases WHERE resident_id = ?",
                                     (resident_id,)).fetchone()
        if found is None:
            return None
        rid, lease_id, zone, due_days, grace, start, end, version = found
        return LeaseRow(
            resident_id=rid, lease_id=lease_id, time_zone=zone,
            due_days=frozenset(json.loads(due_days)),
            grace=tuple((date.fromisoformat(d), int(g)) for d, g in json.loads(grace)),
            start_date=date.fromisoformat(start),
            end_date=date.fromisoformat(end) if end else None, version=int(version))

    def residents_due(self, time_zone: str, day_of_month: int) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT resident_id FROM due_days WHERE time_zone = ? AND day = ? "
                "ORDER BY resident_id", (time_zone, day_of_month)).fetchall()
        return [r[0] for r in rows]

    def time_zones(self) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT time_zone FROM leases UNION SELECT time_zone FROM autopay "
                "WHERE status != 'CANCELLED' ORDER BY time_zone").fetchall()
        return [r[0] for r in rows]

    def put_autopay(self, row: AutopayRow) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO autopay VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (resident_id) DO "
                "UPDATE SET enrollment_id = excluded.enrollment_id, "
                "time_zone = excluded.time_zone, charge_day = excluded.charge_day, "
                "status = excluded.status, version = excluded.version "
                "WHERE excluded.version >= autopay.version",
                (row.resident_id, row.enrollment_id, row.time_zone, row.charge_day,
                 row.status, row.version))

    def autopay_due(self, time_zone: str, day_of_month: int) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT resident_id FROM autopay WHERE time_zone = ? AND charge_day = ? "
                "AND status = 'ACTIVE' ORDER BY resident_id",
                (time_zone, day_of_month)).fetchall()
        return [r[0] for r in rows]

    def add_late_candidate(self, candidate: LateFeeCandidate) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO late_candidates VALUES (?, ?, ?, ?)",
                (candidate.resident_id, candidate.charge_id, candidate.time_zone,
                 candidate.assess_on.isoformat()))

    def late_candidates(self, time_zone: str, through: date) -> list[LateFeeCandidate]:
        with self._lock:
            rows = self._db.execute(
                "SELECT resident_id, charge_id, assess_on FROM late_candidates "
                "WHERE time_zone = ? AND assess_on <= ? ORDER BY assess_on, resident_id",
                (time_zone, through.isoformat())).fetchall()
        return [LateFeeCandidate(time_zone=time_zone, assess_on=date.fromisoformat(a),
                                 resident_id=r, charge_id=c) for r, c, a in rows]

    def remove_late_candidate(self, candidate: LateFeeCandidate) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM late_candidates WHERE resident_id = ? AND charge_id = ? "
                "AND assess_on = ?",
                (candidate.resident_id, candidate.charge_id, candidate.assess_on.isoformat()))

    def remove_late_candidates_for(self, resident_id: str, charge_id: str) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM late_candidates WHERE resident_id = ? AND charge_id = ?",
                (resident_id, charge_id))

    def last_run(self, job: str, time_zone: str) -> date | None:
        with self._lock:
            found = self._db.execute(
                "SELECT day FROM job_runs WHERE job = ? AND time_zone = ?",
                (job, time_zone)).fetchone()
        return date.fromisoformat(found[0]) if found else None

    def record_run(self, job: str, time_zone: str, day: date) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO job_runs VALUES (?, ?, ?) ON CONFLICT (job, time_zone) "
                "DO UPDATE SET day = MAX(day, excluded.day)",
                (job, time_zone, day.isoformat()))

    def clear(self) -> None:
        with self._lock:
            for table in ("leases", "due_days", "late_candidates", "autopay"):
                self._db.execute(f"DELETE FROM {table}")
