"""Powertools idempotency records in SQLite: the `Idempotency-Key` store of `make run`.

Deployed, the API keeps these records in DynamoDB (`IDEMPOTENCY_TABLE`, Powertools' own
`DynamoDBPersistenceLayer`). Locally the whole system runs on embedded defaults, so the
same records live in one SQLite file beside the ledger. The conditional put has the
DynamoDB layer's semantics: it succeeds only when no record exists, or the record has
expired, or it is an INPROGRESS record whose in-progress lease has expired. SQLite's
single writer makes that check-and-write atomic (`BEGIN IMMEDIATE`).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import (
    STATUS_CONSTANTS,
    DataRecord,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS idempotency_records (
    id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    expiration INTEGER,
    in_progress_expiration INTEGER,
    data TEXT NOT NULL DEFAULT '',
    validation TEXT NOT NULL DEFAULT ''
)
"""


class SQLitePersistenceLayer(BasePersistenceLayer):
    """A BasePersistenceLayer over one SQLite file (thread-safe: one connection, one lock)."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(_SCHEMA)
        self._lock = threading.Lock()

    def _get_record(self, idempotency_key: str) -> DataRecord:
        with self._lock:
            row = self._conn.execute(
                "SELECT id, status, expiration, in_progress_expiration, data, validation "
                "FROM idempotency_records WHERE id = ?",
                (idempotency_key,),
            ).fetchone()
        if row is None:
            raise IdempotencyItemNotFoundError
        return DataRecord(
            idempotency_key=row[0],
            status=row[1],
            expiry_timestamp=row[2],
            in_progress_expiry_timestamp=row[3],
            response_data=row[4],
            payload_hash=row[5],
        )

    def _put_record(self, data_record: DataRecord) -> None:
        now = time.time()
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._conn.execute(
                    "SELECT status, expiration, in_progress_expiration "
                    "FROM idempotency_records WHERE id = ?",
                    (data_record.idempotency_key,),
                ).fetchone()
                if row is not None:
                    status, expiry, in_progress_expiry = row
                    expired = expiry is not None and expiry < int(now)
                    lease_over = (
                        status == STATUS_CONSTANTS["INPROGRESS"]
                        and in_progress_expiry is not None
                        and in_progress_expiry < int(now * 1000)
                    )
                    if not (expired or lease_over):
                        raise IdempotencyItemAlreadyExistsError
                self._conn.execute(
                    "INSERT OR REPLACE INTO idempotency_records "
                    "(id, status, expiration, in_progress_expiration, data, validation) "
                    "VALUES (?, ?, ?, ?, '', ?)",
                    (
                        data_record.idempotency_key,
                        data_record.status,
                        data_record.expiry_timestamp,
                        data_record.in_progress_expiry_timestamp,
                        data_record.payload_hash if self.payload_validation_enabled else "",
                    ),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def _update_record(self, data_record: DataRecord) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE idempotency_records SET status = ?, expiration = ?, data = ? "
                "WHERE id = ?",
                (
                    data_record.status,
                    data_record.expiry_timestamp,
                    data_record.response_data,
                    data_record.idempotency_key,
                ),
            )

    def _delete_record(self, data_record: DataRecord) -> None:
        with self._lock:
            self._conn.execute(
                "DELETE FROM idempotency_records WHERE id = ?", (data_record.idempotency_key,)
            )
