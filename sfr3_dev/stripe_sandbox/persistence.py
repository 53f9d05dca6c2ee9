"""The sandbox's state, its one lock, and its write-through to SQLite.

One lock guards everything: requests are tiny and correctness (idempotency, refund limits)
matters more than throughput.

Persistence (`Store(path=...)`): the state is written through to an embedded SQLite file
(WAL) as it changes, one transaction per request or control action, so a `kill -9` loses
nothing that was answered. Rows are JSON keyed by (space, key): every object (customers,
payment methods, intents, charges, refunds, disputes, balance transactions, events,
webhook endpoints), each method's test behaviour, pending ACH settlements, idempotency
keys, endpoint signing secrets, the clock and queued failures, and `extra` (the server's
own settings: webhook forwards and switches). The dicts record which keys a change touched
(reads included, since objects are mutated in place); at the end of the change those
whose JSON differs from what was last written are upserted. Start-up replays the rows in
insertion order and rebuilds every index. Without a path the store lives in memory only.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from sfr3_dev.stripe_sandbox import catalog
from sfr3_dev.stripe_sandbox.errors import Obj


class _Tracked(dict):  # type: ignore[type-arg]
    """A dict that notes every key read or written into `dirty` (shared, ordered)."""

    __slots__ = ("_dirty", "_space")

    def __init__(self, space: str, dirty: dict[tuple[str, str], None]) -> None:
        super().__init__()
        self._space, self._dirty = space, dirty

    def __getitem__(self, key: str) -> Any:
        self._dirty[(self._space, key)] = None
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._dirty[(self._space, key)] = None
        return super().get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self._dirty[(self._space, key)] = None
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._dirty[(self._space, key)] = None
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        self._dirty[(self._space, key)] = None
        return super().pop(key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._dirty[(self._space, key)] = None
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def popitem(self) -> tuple[str, Any]:
        key, value = super().popitem()
        self._dirty[(self._space, key)] = None
        return key, value

    def clear(self) -> None:
        for key in list(self):
            self._dirty[(self._space, key)] = None
        super().clear()


# space -> (encode, decode) of one value; "object" rows are Stripe objects as they are
_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "object": (lambda v: v, lambda v: v),
    "behaviour": (attrs.asdict, lambda v: catalog.TestMethod(**v)),
    "pending_ach": (lambda v: v, int),
    "idempotency": (list, tuple),
    "webhook_secret": (lambda v: v, str),
    "detached": (lambda v: v, int),
    "extra": (lambda v: v, lambda v: v),
}
_SCHEMA_VERSION = 1


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class PersistentState:
    """Every piece of sandbox state, the lock over it, and `transaction()`, which writes a
    change through to the SQLite file at `path` (None: memory only)."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.lock = threading.RLock()
        self.path = Path(path) if path is not None else None
        self._db: sqlite3.Connection | None = None
        self._dirty: dict[tuple[str, str], None] = {}  # (space, key) touched, in order
        self._saved: dict[tuple[str, str], str] = {}  # (space, key) -> JSON last written
        self._depth = 0
        # JSON-able state owned by whoever runs the store (the server's forwards and
        # switches); persisted like the rest, kept across `reset`
        self.extra: dict[str, Any] = self._dict("extra")
        self._clear()
        if self.path is not None:
            self._open(self.path)

    def _dict(self, space: str) -> dict[str, Any]:
        return _Tracked(space, self._dirty) if self.path is not None else {}

    def _clear(self) -> None:
        self.clock_offset = 0
        self.objects: dict[str, Obj] = self._dict("object")  # every object by id, in order
        self.by_kind: dict[str, dict[str, Obj]] = {}  # the same, grouped by `object`
        self.behaviour: dict[str, catalog.TestMethod] = self._dict("behaviour")  # pm id ->
        self.pending_ach: dict[str, int] = self._dict("pending_ach")  # pi id -> settles at
        # key -> (fingerprint, status, body, first used at)
        self.idempotency: dict[str, tuple[Any, ...]] = self._dict("idempotency")
        self.injected: list[tuple[int, Obj]] = []  # queued failure answers
        self.webhook_secrets: dict[str, str] = self._dict("webhook_secret")
        self.detached: dict[str, int] = self._dict("detached")  # pm id -> detached at

    def reset(self) -> None:
        with self.transaction():
            self._clear()
            self._dirty.clear()
            if self._db is not None:
                with self._db:
                    self._db.execute("DELETE FROM state WHERE space != 'extra'")
                self._saved = {k: v for k, v in self._saved.items() if k[0] == "extra"}

    def _spaces(self) -> dict[str, dict[str, Any]]:
        return {"object": self.objects, "behaviour": self.behaviour,
                "pending_ach": self.pending_ach, "idempotency": self.idempotency,
                "webhook_secret": self.webhook_secrets, "detached": self.detached,
                "extra": self.extra}

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False)  # every use holds self.lock
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: a process crash loses no commit
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, _SCHEMA_VERSION):
            db.close()
            raise RuntimeError(f"{path}: sandbox state schema {version}, expected "
                               f"{_SCHEMA_VERSION}")
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS state (space TEXT NOT NULL, key TEXT NOT "
                       "NULL, body TEXT NOT NULL, PRIMARY KEY (space, key))")
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        self._db = db
        self._load()

    def _load(self) -> None:
        assert self._db is not None
        spaces = self._spaces()
        with self.lock:
            for space, key, body in self._db.execute(
                    "SELECT space, key, body FROM state ORDER BY rowid"):
                value = json.loads(body)
                self._saved[(space, key)] = body
                if space == "meta":
                    self.clock_offset = int(value["clock_offset"])
                    self.injected = [(int(s), b) for s, b in value["injected"]]
                elif space in spaces:
                    dict.__setitem__(spaces[space], key, _CODECS[space][1](value))
                    if space == "object":
                        self.by_kind.setdefault(value["object"], {})[key] = value
            self._dirty.clear()

    def close(self) -> None:
        """Write what is pending and close the state file (a no-op without one)."""
        with self.lock:
            if self._db is not None:
                self._flush()
                self._db.close()
                self._db = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock; when the outermost block ends, its changes are written in one
        SQLite transaction. Every mutating entry point runs inside one."""
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._db is not None:
                    self._flush()

    def _flush(self) -> None:
        assert self._db is not None
        spaces = self._spaces()
        touched = list(self._dirty)
        upserts: list[tuple[str, str, str]] = []
        deletes: list[tuple[str, str]] = []
        for space, key in touched:
            source = spaces[space]
            if dict.__contains__(source, key):
                body = _dumps(_CODECS[space][0](dict.__getitem__(source, key)))
                if self._saved.get((space, key)) != body:
                    upserts.append((space, key, body))
            elif (space, key) in self._saved:
                deletes.append((space, key))
        meta = _dumps({"clock_offset": self.clock_offset,
                       "injected": [list(i) for i in self.injected]})
        if self._saved.get(("meta", "store")) != meta:
            upserts.append(("meta", "store", meta))
        if upserts or deletes:
            with self._db:  # one transaction; on error nothing is marked written
                self._db.executemany(
                    "INSERT INTO state (space, key, body) VALUES (?, ?, ?) "
                    "ON CONFLICT (space, key) DO UPDATE SET body = excluded.body", upserts)
                self._db.executemany("DELETE FROM state WHERE space = ? AND key = ?",
                                     deletes)
            for space, key, body in upserts:
                self._saved[(space, key)] = body
            for gone in deletes:
                del self._saved[gone]
        self._dirty.clear()
