"""The finance read models on SQLite (`make run`, tests): settled facts by day, disputes.

The same port and behaviour as the DynamoDB table (sfr3_adapters/dynamodb/finance_tables.py);
see sfr3_ledger/read_models/settled_by_day.py for what the rows mean. Every write is an
upsert derived from events, so replaying the log rewrites the same rows.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from sfr3_adapters.sqlite_read_model import SQLiteReadModel, connect
from sfr3_ledger.read_models.disputes import DisputeQuery, DisputeRow
from sfr3_ledger.read_models.settled_by_day import FactKind, SettledFact

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settled_facts (
  kind TEXT NOT NULL, key TEXT NOT NULL, day TEXT NOT NULL, resident_id TEXT NOT NULL,
  payment_id TEXT NOT NULL, amount INTEGER NOT NULL, at TEXT NOT NULL, fact_id TEXT NOT NULL,
  healed_by TEXT, reconciled_run TEXT, reconciled_at TEXT, PRIMARY KEY (kind, key));
CREATE INDEX IF NOT EXISTS settled_by_day ON settled_facts (day, kind, key);
CREATE TABLE IF NOT EXISTS healed_payments (
  key TEXT PRIMARY KEY, day TEXT NOT NULL, run_id TEXT NOT NULL);
"""


def _fact(row: tuple[object, ...]) -> SettledFact:
    kind, key, day, rid, pid, amount, at, fact_id, healed, run, run_at = row
    return SettledFact(
        day=date.fromisoformat(str(day)), kind=kind, key=str(key),  # type: ignore[arg-type]
        resident_id=str(rid), payment_id=str(pid), amount=int(amount),  # type: ignore[call-overload]
        at=datetime.fromisoformat(str(at)), fact_id=str(fact_id),
        healed_by=str(healed) if healed else None,
        reconciled_run=str(run) if run else None,
        reconciled_at=datetime.fromisoformat(str(run_at)) if run_at else None)


class SQLiteSettledFacts(SQLiteReadModel):
    def __init__(self, path: Path | str) -> None:
        # WAL + NORMAL: durable across a process crash, one fsync per checkpoint, not per row.
        self._db = connect(path, _SCHEMA, synchronous="NORMAL")
        self._lock = threading.Lock()
        self.requests = 0

    def put_fact(self, fact: SettledFact) -> None:
        with self._lock:
            self.requests += 1
            healed = None
            if fact.kind == "payment":
                healed = self._db.execute("SELECT day, run_id FROM healed_payments WHERE key = ?",
                                          (fact.key,)).fetchone()
            day, healed_by = (healed[0], healed[1]) if healed else (fact.day.isoformat(), None)
            self._db.execute(
                "INSERT INTO settled_facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL) "
                "ON CONFLICT (kind, key) DO UPDATE SET day = excluded.day, "
                "resident_id = excluded.resident_id, payment_id = excluded.payment_id, "
                "amount = excluded.amount, at = excluded.at, fact_id = excluded.fact_id, "
                "healed_by = COALESCE(excluded.healed_by, settled_facts.healed_by)",
                (fact.kind, fact.key, day, fact.resident_id, fact.payment_id, fact.amount,
                 fact.at.isoformat(), fact.fact_id, healed_by))

    def fact(self, kind: FactKind, key: str) -> SettledFact | None:
        with self._lock:
            self.requests += 1
            row = self._db.execute("SELECT * FROM settled_facts WHERE kind = ? AND key = ?",
                                   (kind, key)).fetchone()
        return _fact(row) if row else None

    def facts_on(self, day: date) -> list[SettledFact]:
        with self._lock:
            self.requests += 1
            rows = self._db.execute("SELECT * FROM settled_facts WHERE day = ? "
                                    "ORDER BY kind, key", (day.isoformat(),)).fetchall()
        return [_fact(r) for r in rows]

    def mark_healed(self, key: str, day: date, run_id: str) -> None:
        with self._lock:
            self.requests += 1
            self._db.execute("INSERT OR IGNORE INTO healed_payments VALUES (?, ?, ?)",
                             (key, day.isoformat(), run_id))
            self._db.execute(
                "UPDATE settled_facts SET day = ?, healed_by = ? WHERE kind = 'payment' "
                "AND key = ? AND healed_by IS NULL", (day.isoformat(), run_id, key))

    def mark_reconciled(self, keys: Sequence[tuple[FactKind, str]], run_id: str,
                        at: datetime) -> None:
        with self._lock:
            self.requests += 1
            self._db.execute("BEGIN IMMEDIATE")  # one transaction for the day's marks
            try:
                self._db.executemany(
                    "UPDATE settled_facts SET reconciled_run = ?, reconciled_at = ? "
                    "WHERE kind = ? AND key = ? AND reconciled_run IS NULL",
                    [(run_id, at.isoformat(), kind, key) for kind, key in keys])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM settled_facts")
            self._db.execute("DELETE FROM healed_payments")


_DISPUTES_SCHEMA = """
CREATE TABLE IF NOT EXISTS disputes (
  dispute_id TEXT PRIMARY KEY, resident_id TEXT NOT NULL, payment_id TEXT NOT NULL,
  amount INTEGER NOT NULL, reason TEXT NOT NULL, status TEXT NOT NULL, opened_at TEXT NOT NULL,
  version INTEGER NOT NULL, property_id TEXT NOT NULL, evidence_submitted_at TEXT,
  closed_at TEXT, chargeback INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS disputes_by_opened ON disputes (opened_at, dispute_id);
CREATE INDEX IF NOT EXISTS disputes_by_status ON disputes (status, opened_at);
CREATE INDEX IF NOT EXISTS disputes_by_resident ON disputes (resident_id, opened_at);
"""


def _stamp(value: datetime | None) -> str | None:
    # Fixed-width UTC text sorts as time (every stored instant is UTC).
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00") if value else None


def _dispute(row: tuple[object, ...]) -> DisputeRow:
    (did, rid, pid, amount, reason, status, opened, version, prop, submitted, closed,
     chargeback) = row
    return DisputeRow(
        dispute_id=str(did), resident_id=str(rid), payment_id=str(pid),
        amount=int(str(amount)), reason=str(reason), status=str(status),
        opened_at=datetime.fromisoformat(str(opened)), version=int(str(version)),
        property_id=str(prop),
        evidence_submitted_at=datetime.fromisoformat(str(submitted)) if submitted else None,
        closed_at=datetime.fromisoformat(str(closed)) if closed else None,
        chargeback=int(str(chargeback)))


class SQLiteDisputes(SQLiteReadModel):
    SCHEMA = _DISPUTES_SCHEMA

    def put(self, row: DisputeRow) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO disputes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (dispute_id) DO UPDATE SET status = excluded.status, "
                "version = excluded.version, "
                "evidence_submitted_at = excluded.evidence_submitted_at, "
                "closed_at = excluded.closed_at, chargeback = excluded.chargeback "
                "WHERE excluded.version > disputes.version",
                (row.dispute_id, row.resident_id, row.payment_id, row.amount, row.reason,
                 row.status, _stamp(row.opened_at), row.version, row.property_id,
                 _stamp(row.evidence_submitted_at), _stamp(row.closed_at), row.chargeback))

    def get(self, dispute_id: str) -> DisputeRow | None:
        with self._lock:
            found = self._db.execute("SELECT * FROM disputes WHERE dispute_id = ?",
                                     (dispute_id,)).fetchone()
        return _dispute(found) if found else None

    def query(self, query: DisputeQuery) -> list[DisputeRow]:
        where, args = [], []
        if query.status:
            where.append("status = ?")
            args.append(query.status)
        if query.resident_id:
            where.append("resident_id = ?")
            args.append(query.resident_id)
        if query.opened_from:
            where.append("opened_at >= ?")
            args.append(_stamp(query.opened_from))
        if query.opened_to:
            where.append("opened_at < ?")
            args.append(_stamp(query.opened_to))
        if query.after:
            where.append("(opened_at < ? OR (opened_at = ? AND dispute_id < ?))")
            stamp = _stamp(query.after[0])
            args += [stamp, stamp, query.after[1]]
        sql = "SELECT * FROM disputes" + (" WHERE " + " AND ".join(where) if where else "")
        sql += " ORDER BY opened_at DESC, dispute_id DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(sql, [*args, query.limit]).fetchall()
        return [_dispute(r) for r in rows]

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM disputes")


class SQLiteAlertLog:
    """Which finance alerts were sent (dispute reminders: `<disputeId>:<day>`)."""

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path, "CREATE TABLE IF NOT EXISTS finance_alerts (key TEXT PRIMARY KEY)",
                           wal=False)
        self._lock = threading.Lock()

    def seen(self, key: str) -> bool:
        with self._lock:
            return self._db.execute("SELECT 1 FROM finance_alerts WHERE key = ?",
                                    (key,)).fetchone() is not None

    def mark(self, key: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO finance_alerts VALUES (?)", (key,))
