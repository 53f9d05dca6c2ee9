"""The payment-watch read model on SQLite (`make run`, tests): the same port as DynamoDB's.

One table in the read-model file beside the schedule's; every write is an upsert or a
delete of a row derived from one event (sfr3_ledger/read_models/payments_pending.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sfr3_adapters.sqlite_read_model import SQLiteReadModel
from sfr3_ledger.read_models.payments_pending import Kind, WatchRow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS payment_watch (
  kind TEXT NOT NULL, resident_id TEXT NOT NULL, payment_id TEXT NOT NULL,
  due_at TEXT NOT NULL, since TEXT NOT NULL, attempt INTEGER NOT NULL,
  PRIMARY KEY (kind, resident_id, payment_id));
CREATE INDEX IF NOT EXISTS payment_watch_due ON payment_watch (kind, due_at);
"""


class SQLitePaymentWatch(SQLiteReadModel):
    SCHEMA = _SCHEMA

    def put(self, row: WatchRow) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO payment_watch VALUES (?, ?, ?, ?, ?, ?)",
                (row.kind, row.resident_id, row.payment_id, _utc(row.due_at),
                 _utc(row.since), row.attempt))

    def remove(self, kind: Kind, resident_id: str, payment_id: str) -> None:
        with self._lock:
            self._db.execute(
                "DELETE FROM payment_watch WHERE kind = ? AND resident_id = ? AND payment_id = ?",
                (kind, resident_id, payment_id))

    def due(self, kind: Kind, through: datetime, limit: int = 1000) -> list[WatchRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT resident_id, payment_id, due_at, since, attempt FROM payment_watch "
                "WHERE kind = ? AND due_at <= ? ORDER BY due_at, resident_id, payment_id "
                "LIMIT ?", (kind, _utc(through), limit)).fetchall()
        return [WatchRow(kind, r, p, datetime.fromisoformat(d), datetime.fromisoformat(s),
                         int(a)) for r, p, d, s, a in rows]

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM payment_watch")


def _utc(moment: datetime) -> str:
    """Fixed-width UTC text, so that text order is time order."""
    if moment.tzinfo is None:
        raise ValueError("watch times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
