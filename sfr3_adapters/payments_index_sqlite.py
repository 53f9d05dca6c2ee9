"""The payments read model on SQLite (`make run`, tests): the port of
sfr3_ledger/read_models/payments.py, in the read models' file.

One table keyed by (resident, payment), with an index on (resident, sort key) and one on
(resident, method, sort key), where the sort key is `<initiated_at UTC>#<payment_id>`: a
page newest first is one indexed range scan of `limit` rows, whatever the history.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sfr3_adapters.payments_codec import dumps, loads, position_key, sort_key, stamp_key
from sfr3_adapters.sqlite_read_model import SQLiteReadModel
from sfr3_ledger.read_models.payments import PaymentRow, Position
from sfr3_ledger.records import Payment

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payments (
  resident_id TEXT NOT NULL, payment_id TEXT NOT NULL, sort_key TEXT NOT NULL,
  method_id TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
  PRIMARY KEY (resident_id, payment_id));
CREATE INDEX IF NOT EXISTS payments_by_time ON payments (resident_id, sort_key);
CREATE INDEX IF NOT EXISTS payments_by_method ON payments (resident_id, method_id, sort_key);
CREATE TABLE IF NOT EXISTS payments_seen (
  resident_id TEXT PRIMARY KEY, version INTEGER NOT NULL);
"""


class SQLitePaymentsIndex(SQLiteReadModel):
    SCHEMA = _SCHEMA

    def put(self, rows: Sequence[PaymentRow]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT INTO payments VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (resident_id, payment_id) DO UPDATE SET "
                "sort_key = excluded.sort_key, method_id = excluded.method_id, "
                "version = excluded.version, body = excluded.body "
                "WHERE excluded.version > payments.version",
                [(r.resident_id, r.payment.payment_id, sort_key(r.payment),
                  r.payment.method_id, r.version, dumps(r.payment)) for r in rows])

    def mark_seen(self, versions: Mapping[str, int]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT INTO payments_seen VALUES (?, ?) ON CONFLICT (resident_id) DO UPDATE "
                "SET version = excluded.version WHERE excluded.version > payments_seen.version",
                list(versions.items()))

    def seen_version(self, resident_id: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT version FROM payments_seen WHERE resident_id = ?",
                                   (resident_id,)).fetchone()
        return int(row[0]) if row else None

    def get(self, resident_id: str, payment_id: str) -> Payment | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM payments WHERE resident_id = ? AND payment_id = ?",
                (resident_id, payment_id)).fetchone()
        return loads(row[0]) if row else None

    def page(self, resident_id: str, *, before: Position | None, start: datetime | None,
             end: datetime | None, method_id: str | None, limit: int) -> list[Payment]:
        where, args = ["resident_id = ?"], [resident_id]
        if method_id is not None:
            where.append("method_id = ?")
            args.append(method_id)
        if before is not None:
            where.append("sort_key < ?")
            args.append(position_key(before.initiated_at, before.payment_id))
        if end is not None:
            where.append("sort_key < ?")
            args.append(stamp_key(end))
        if start is not None:
            where.append("sort_key >= ?")
            args.append(stamp_key(start))
        with self._lock:
            rows = self._db.execute(
                f"SELECT body FROM payments WHERE {' AND '.join(where)} "
                "ORDER BY sort_key DESC LIMIT ?", (*args, limit)).fetchall()
        return [loads(r[0]) for r in rows]

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM payments")
            self._db.execute("DELETE FROM payments_seen")
