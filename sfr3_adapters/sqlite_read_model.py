"""What every SQLite read-model store opens the same way (`make run`, tests).

One connection per store, shared by the follower thread and the API's threads under the
store's lock, in autocommit mode (each store opens its own `BEGIN IMMEDIATE` where it
needs several statements to land together); WAL so that readers never wait for the
follower; a busy timeout because several stores (and processes: `sfr3 jobs`) share one
file; and the schema created if missing, so a deleted file is rebuilt from the log.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import ClassVar


def connect(path: Path | str, schema: str, *, wal: bool = True,
            synchronous: str | None = None) -> sqlite3.Connection:
    """A read model's connection to `path`, its `schema` in place."""
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    if wal:
        db.execute("PRAGMA journal_mode=WAL")
    if synchronous:
        db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("PRAGMA busy_timeout=10000")
    db.executescript(schema)
    return db


class SQLiteReadModel:
    """A store on one connection (`_db`) guarded by one lock (`_lock`), its `SCHEMA` created
    when opened."""

    SCHEMA: ClassVar[str] = ""

    def __init__(self, path: Path | str) -> None:
        self._db = connect(path, self.SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()
