"""eventsourcing recorders on DynamoDB.

Item layout (table `B`, key `pk` S / `sk` N; `<ns>` is the application name, lower
case, or "stored"):

* head     `<ns>#h#<originator id>` / 0: `v` = the aggregate's last version. Every
  append updates it under the condition `v < first new version`, which is what makes a
  second writer of an existing version fail, whatever range it overlaps.
* chunk    `<ns>#e#<originator id>` / last version in the chunk: `b` = the aggregate's
  events of one commit (codec blob). Keyed by the *last* version so that "events after
  version N" is one key condition (`sk > N`).
* log      `<ns>#log` / last notification id in the item: `f` = first id, `tp` = the
  topics inside, `b` = the commit's events in notification order (ids f, f+1, ...).
* sequence `<ns>#seq` / 0: `n` = the last notification id allocated.
* tracking `<ns>#trk#<upstream application>` / 0: `n` = last processed notification id.

Every item also has `k` (its kind: hd, ev, log, seq, trk).

A commit is one `TransactWriteItems`: the heads and chunks of its aggregates, the
sequence counter moved from n to n+len(events) under the condition that it is still n,
the log item(s) for ids n+1..n+len, and the tracking record. So notification ids are
contiguous, a commit's ids never interleave with another's, and a reader that sees id
N has already been able to see every id below N: the counter only moves in the same
atomic write that makes the events visible.

Snapshots (table `B-snapshots`) are one item per snapshot, `<ns>#e#<originator id>` /
version, written with `attribute_not_exists`.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from threading import Event, Thread
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DataError,
    IntegrityError,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    ProcessRecorder,
    ProgrammingError,
    Recorder,
    StoredEvent,
    Subscription,
    Tracking,
    TrackingRecorder,
)

from sfr3_adapters.dynamodb import codec, schema
from sfr3_adapters.dynamodb.client import ensure_table

# DynamoDB's hard limits, and our margins under them.
MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4_000_000  # the service limit is 4 MB of item data per transaction
MAX_ITEM_BYTES = 400 * 1024
MAX_BLOB_BYTES = 380_000  # leaves room for keys and the small attributes of an item
ITEM_OVERHEAD_BYTES = 200

# Cancellation reasons that mean "nothing was written, try again later".
TRANSIENT_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
     "RequestLimitExceeded"}
)
# Snapshots: item i of P for version v has sort key v*PART_SLOTS + (P-1-i), so part 0
# (which says how many parts there are) is the first a descending query meets, and the
# last part of every version sits at v*PART_SLOTS: a second writer of v always collides.
PART_SLOTS = 16
MAX_PARTS = 10  # 10 x 380 KB fits in one 4 MB transaction
MAX_SEQUENCE_ATTEMPTS = 200
MAX_TRANSIENT_ATTEMPTS = 12

KIND_HEAD = "hd"
KIND_CHUNK = "ev"
KIND_LOG = "log"
KIND_SEQUENCE = "seq"
KIND_TRACKING = "trk"


class CommitTooLargeError(DataError):
    """A commit that cannot be written atomically within DynamoDB's limits."""


@dataclass
class DynamoDBDatastore:
    """What the recorders of one application share: client, table base name, namespace."""

    client: Any
    base_table: str
    namespace: str
    create_table: bool = True

    def table(self, purpose: str = "events") -> str:
        return schema.table_name(self.base_table, purpose)

    def ensure(self, purpose: str = "events") -> None:
        ensure_table(self.client, schema.table_definition(self.base_table, purpose))


@dataclass
class _SequenceState:
    """The process's last known notification id, so a warm writer needs no read before
    its transaction. Shared by every recorder of the same table and namespace; the lock
    makes threads of one process queue here instead of colliding on the counter."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    known: int | None = None


_sequences: dict[tuple[str, str, str], _SequenceState] = {}
_sequences_lock = threading.Lock()


def _sequence_state(endpoint: str, table: str, namespace: str) -> _SequenceState:
    with _sequences_lock:
        return _sequences.setdefault((endpoint, table, namespace), _SequenceState())


@dataclass
class _TxItem:
    role: str  # head, chunk, event, seq, log, trk
    request: dict[str, Any]
    size: int
    describe: str


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _part_sk(version: int, parts: int, index: int) -> int:
    return version * PART_SLOTS + (parts - 1 - index)


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(1.0, 0.01 * 2**attempt)))


class DynamoDBRecorder(Recorder):
    def __init__(self, datastore: DynamoDBDatastore, purpose: str = "events") -> None:
        self.datastore = datastore
        self.client = datastore.client
        self.purpose = purpose
        self.table = datastore.table(purpose)
        self.ns = datastore.namespace

    def create_table(self) -> None:
        self.datastore.ensure(self.purpose)

    # -- keys -------------------------------------------------------------------------

    def _events_pk(self, originator_id: UUID | str) -> str:
        return f"{self.ns}#e#{originator_id}"

    def _head_pk(self, originator_id: UUID | str) -> str:
        return f"{self.ns}#h#{originator_id}"

    @property
    def _log_pk(self) -> str:
        return f"{self.ns}#log"

    @property
    def _seq_pk(self) -> str:
        return f"{self.ns}#seq"

    def _tracking_pk(self, application_name: str) -> str:
        return f"{self.ns}#trk#{application_name}"

    def _tracking_item(self, tracking: Tracking) -> _TxItem:
        return _TxItem(
            role="trk",
            request={
                "Update": {
                    "TableName": self.table,
                    "Key": {
                        schema.PK: _s(self._tracking_pk(tracking.application_name)),
                        schema.SK: _n(0),
                    },
                    "UpdateExpression": "SET n = :n, k = :k",
                    "ConditionExpression": "attribute_not_exists(n) OR n < :n",
                    "ExpressionAttributeValues": {
                        ":n": _n(tracking.notification_id),
                        ":k": _s(KIND_TRACKING),
                    },
                }
            },
            size=ITEM_OVERHEAD_BYTES,
            describe=(
                f"tracking {tracking.application_name} {tracking.notification_id} "
                "(not after the last recorded position)"
            ),
        )

    # -- requests ---------------------------------------------------------------------

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One DynamoDB call with errors in the library's vocabulary."""
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            code = _error_code(exc)
            if code == "ResourceNotFoundException":
                raise ProgrammingError(f"{operation} on {self.table}: {exc}") from exc
            if code == "ValidationException":
                raise DataError(f"{operation} on {self.table}: {exc}") from exc
            raise OperationalError(f"{operation} on {self.table}: {exc}") from exc

    def _get_number(self, pk: str, attribute: str) -> int | None:
        response = self._call(
            "get_item",
            TableName=self.table,
            Key={schema.PK: _s(pk), schema.SK: _n(0)},
            ConsistentRead=True,
            ProjectionExpression=attribute,
        )
        item = response.get("Item")
        if not item or attribute not in item:
            return None
        return int(item[attribute]["N"])

    def _query(
        self,
        pk: str,
        *,
        condition: str = "",
        values: dict[str, Any] | None = None,
        forward: bool = True,
        page_size: int | Callable[[], int | None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Items of one partition in key order, strongly consistent, across 1 MB pages.
        `page_size` (the Limit of each request) may be a callable, asked before each page."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk" + (f" AND {condition}" if condition else ""),
            "ExpressionAttributeValues": {":pk": _s(pk), **(values or {})},
            "ConsistentRead": True,
            "ScanIndexForward": forward,
        }
        while True:
            size = page_size() if callable(page_size) else page_size
            if size:
                kwargs["Limit"] = size
            else:
                kwargs.pop("Limit", None)
            response = self._call("query", **kwargs)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def _transact(self, items: Sequence[_TxItem]) -> None:
        """Write `items` atomically, retrying only what DynamoDB says wrote nothing and
        may succeed later. A failed condition is raised, never retried here."""
        self._check_limits(items)
        if len(items) == 1 and items[0].role != "seq":
            self._write_single(items[0])
            return
        request = [item.request for item in items]
        for attempt in range(MAX_TRANSIENT_ATTEMPTS):
            try:
                self.client.transact_write_items(
                    TransactItems=request, ClientRequestToken=uuid.uuid4().hex
                )
                return
            except ClientError as exc:
                if _error_code(exc) != "TransactionCanceledException":
                    raise self._translate(exc) from exc
                reasons: list[dict[str, Any]] = list(
                    exc.response.get("CancellationReasons") or []  # type: ignore[arg-type]
                )
                codes = [str(r.get("Code") or "None") for r in reasons]
                if "ConditionalCheckFailed" in codes:
                    raise _CancelledError(items, reasons) from exc
                if not any(code in TRANSIENT_REASONS for code in codes):
                    raise DataError(f"transaction on {self.table} cancelled: {codes}") from exc
                _backoff(attempt)
        raise OperationalError(
            f"transaction on {self.table} still conflicting after "
            f"{MAX_TRANSIENT_ATTEMPTS} attempts"
        )

    def _write_single(self, item: _TxItem) -> None:
        """One item needs no transaction (half the write units)."""
        ((kind, params),) = item.request.items()
        operation = {"Put": "put_item", "Update": "update_item"}[kind]
        params = {k: v for k, v in params.items() if k != "ReturnValuesOnConditionCheckFailure"}
        for attempt in range(MAX_TRANSIENT_ATTEMPTS):
            try:
                getattr(self.client, operation)(**params)
                return
            except ClientError as exc:
                code = _error_code(exc)
                if code == "ConditionalCheckFailedException":
                    raise IntegrityError(f"{item.describe} already recorded") from exc
                if code != "TransactionConflictException":
                    raise self._translate(exc) from exc
                _backoff(attempt)
        raise OperationalError(f"{item.describe}: still conflicting after retries")

    def _translate(self, exc: ClientError) -> Exception:
        code = _error_code(exc)
        if code == "ResourceNotFoundException":
            return ProgrammingError(f"table {self.table}: {exc}")
        if code == "ValidationException":
            return DataError(f"table {self.table}: {exc}")
        return OperationalError(f"table {self.table}: {exc}")

    @staticmethod
    def _check_limits(items: Sequence[_TxItem]) -> None:
        if len(items) > MAX_TRANSACTION_ITEMS:
            raise CommitTooLargeError(
                f"commit needs {len(items)} DynamoDB items, but a transaction holds at most "
                f"{MAX_TRANSACTION_ITEMS} (each aggregate in a commit takes 2 items, plus "
                "the log, sequence and tracking items): save fewer aggregates at once"
            )
        total = sum(item.size for item in items)
        if total > MAX_TRANSACTION_BYTES:
            raise CommitTooLargeError(
                f"commit needs about {total} bytes of DynamoDB items, but a transaction "
                f"holds at most 4 MB ({MAX_TRANSACTION_BYTES} bytes); events are stored "
                "twice (aggregate and notification log), so a commit carries at most "
                "about 2 MB of event state"
            )


class _CancelledError(Exception):
    """A transaction cancelled by failed conditions (to be sorted out by the caller)."""

    def __init__(self, items: Sequence[_TxItem], reasons: Sequence[dict[str, Any]]):
        super().__init__("transaction cancelled")
        self.items = items
        self.reasons = reasons

    def failed(self) -> list[tuple[_TxItem, dict[str, Any]]]:
        return [
            (item, reason)
            for item, reason in zip(self.items, self.reasons, strict=False)
            if reason.get("Code") == "ConditionalCheckFailed"
        ]

    def integrity_error(self) -> IntegrityError:
        what = ", ".join(item.describe for item, _ in self.failed())
        return IntegrityError(f"Conflict: {what}")


def _split_by_size(events: Sequence[StoredEvent]) -> list[list[StoredEvent]]:
    """Consecutive runs of events whose blob fits in one item."""
    runs: list[list[StoredEvent]] = [[]]
    size = 0
    for event in events:
        event_size = codec.encoded_size(event)
        if event_size > MAX_BLOB_BYTES:
            raise CommitTooLargeError(
                f"stored event {event.originator_id!s} v{event.originator_version} is "
                f"{len(event.state)} bytes; a DynamoDB item holds at most 400 KB "
                f"({MAX_BLOB_BYTES} bytes of event data here)"
            )
        if runs[-1] and size + event_size > MAX_BLOB_BYTES:
            runs.append([])
            size = 0
        runs[-1].append(event)
        size += event_size
    return runs


class DynamoDBAggregateRecorder(DynamoDBRecorder, AggregateRecorder):
    """Events of aggregates. For the "events" purpose each commit of an aggregate is one
    chunk item guarded by the aggregate's head item; for any other purpose (snapshots)
    each event is its own item, so snapshots may be taken at any version in any order."""

    def __init__(self, datastore: DynamoDBDatastore, purpose: str = "events") -> None:
        super().__init__(datastore, purpose)
        self.chunked = purpose == "events"

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if stored_events:
            items = self._aggregate_items(stored_events)
            try:
                self._transact(items)
            except _CancelledError as exc:
                raise exc.integrity_error() from None
        return None

    def _aggregate_items(self, stored_events: Sequence[StoredEvent]) -> list[_TxItem]:
        """Head and chunk items (or one item per event), after checking the commit
        itself does not repeat an (originator id, version)."""
        by_originator: dict[str, list[StoredEvent]] = {}
        for event in stored_events:
            by_originator.setdefault(str(event.originator_id), []).append(event)
        items: list[_TxItem] = []
        for events in by_originator.values():
            events.sort(key=lambda e: e.originator_version)
            versions = [e.originator_version for e in events]
            if len(set(versions)) != len(versions):
                raise IntegrityError(
                    f"Stored events are not unique: {events[0].originator_id} {versions}"
                )
            oid = events[0].originator_id
            if self.chunked:
                items.append(self._head_item(oid, versions[0], versions[-1]))
                items += self._chunk_items(oid, _split_by_size(events))
            else:
                for event in events:
                    items += self._part_items(oid, event)
        return items

    def _chunk_items(
        self, oid: UUID | str, runs: Sequence[Sequence[StoredEvent]]
    ) -> list[_TxItem]:
        items: list[_TxItem] = []
        for run in runs:
            blob = codec.encode(run)
            last = run[-1].originator_version
            items.append(
                _TxItem(
                    role="chunk",
                    request={
                        "Put": {
                            "TableName": self.table,
                            "Item": {
                                schema.PK: _s(self._events_pk(oid)),
                                schema.SK: _n(last),
                                "k": _s(KIND_CHUNK),
                                "b": {"B": blob},
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    size=len(blob) + ITEM_OVERHEAD_BYTES,
                    describe=f"stored events of {oid} up to version {last}",
                )
            )
        return items

    def _part_items(self, oid: UUID | str, event: StoredEvent) -> list[_TxItem]:
        """One event (a snapshot) as one item, or as up to MAX_PARTS items when its state
        outgrows an item (an aggregate that keeps its whole history in its state)."""
        blob = codec.encode([event])
        parts = [blob[i : i + MAX_BLOB_BYTES] for i in range(0, len(blob), MAX_BLOB_BYTES)]
        if len(parts) > MAX_PARTS:
            raise CommitTooLargeError(
                f"stored event {oid} v{event.originator_version} is {len(event.state)} bytes; "
                f"split over DynamoDB items of 400 KB it needs {len(parts)} of them, more "
                f"than fit in one 4 MB transaction ({MAX_PARTS} here)"
            )
        version = event.originator_version
        return [
            _TxItem(
                role="event",
                request={
                    "Put": {
                        "TableName": self.table,
                        "Item": {
                            schema.PK: _s(self._events_pk(oid)),
                            schema.SK: _n(_part_sk(version, len(parts), index)),
                            "k": _s(KIND_CHUNK),
                            "p": _n(len(parts)),
                            "i": _n(index),
                            "b": {"B": part},
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                size=len(part) + ITEM_OVERHEAD_BYTES,
                describe=f"stored event {oid} v{version}",
            )
            for index, part in enumerate(parts)
        ]

    def _head_item(self, oid: UUID | str, first: int, last: int) -> _TxItem:
        return _TxItem(
            role="head",
            request={
                "Update": {
                    "TableName": self.table,
                    "Key": {schema.PK: _s(self._head_pk(oid)), schema.SK: _n(0)},
                    "UpdateExpression": "SET v = :last, k = :k",
                    "ConditionExpression": "attribute_not_exists(v) OR v < :first",
                    "ExpressionAttributeValues": {
                        ":last": _n(last),
                        ":first": _n(first),
                        ":k": _s(KIND_HEAD),
                    },
                }
            },
            size=ITEM_OVERHEAD_BYTES,
            describe=f"stored event {oid} v{first} (the aggregate is already at or past it)",
        )

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        results: list[StoredEvent] = []
        if (limit is not None and limit <= 0) or (
            gt is not None and lte is not None and lte <= gt
        ):
            return results
        # Chunks are keyed by their last version, so "after gt" is a key condition;
        # "up to lte" is only one for single-event items (a chunk may straddle lte).
        lo: int | None = None
        hi: int | None = None
        if self.chunked:
            lo = None if gt is None else gt + 1
        else:
            lo = None if gt is None else (gt + 1) * PART_SLOTS
            hi = None if lte is None else lte * PART_SLOTS + PART_SLOTS - 1
        condition, values = "", {}
        if lo is not None and hi is not None:
            condition, values = "sk BETWEEN :lo AND :hi", {":lo": _n(lo), ":hi": _n(hi)}
        elif lo is not None:
            condition, values = "sk >= :lo", {":lo": _n(lo)}
        elif hi is not None:
            condition, values = "sk <= :hi", {":hi": _n(hi)}
        parts: dict[int, bytes] = {}
        missing = [0]

        def next_page_size() -> int | None:
            # Enough items for the events still wanted, and for the rest of a snapshot
            # whose first part has arrived.
            if limit is None:
                return None
            still_wanted = limit - len(results) - (1 if missing[0] else 0)
            return max(still_wanted, 0) + missing[0] or 1

        for item in self._query(
            self._events_pk(originator_id),
            condition=condition,
            values=values,
            forward=not desc,
            page_size=next_page_size,
        ):
            blob = item["b"]["B"]
            if "p" in item and int(item["p"]["N"]) > 1:
                count = int(item["p"]["N"])
                parts[int(item["i"]["N"])] = blob
                missing[0] = count - len(parts)
                if missing[0]:
                    continue
                blob = b"".join(parts[i] for i in range(count))
                parts.clear()
            events = codec.decode(blob)
            if desc:
                events.reverse()
            for event in events:
                version = event.originator_version
                if gt is not None and version <= gt:
                    continue
                if lte is not None and version > lte:
                    if desc:
                        continue
                    return results
                results.append(event)
                if limit is not None and len(results) >= limit:
                    return results
        return results


class DynamoDBApplicationRecorder(DynamoDBAggregateRecorder, ApplicationRecorder):
    """Aggregate events plus the application's notification log."""

    def __init__(self, datastore: DynamoDBDatastore, purpose: str = "events") -> None:
        super().__init__(datastore, purpose)
        self._sequence = _sequence_state(
            str(self.client.meta.endpoint_url), self.table, self.ns
        )
        self._listeners: set[Event] = set()
        self._listeners_lock = threading.Lock()

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = self._record(stored_events, kwargs.get("tracking"))
        if ids:
            self._notify_listeners()
        return ids

    def _record(
        self, stored_events: Sequence[StoredEvent], tracking: Tracking | None
    ) -> list[int]:
        fixed = self._aggregate_items(stored_events) if stored_events else []
        if tracking is not None:
            fixed.append(self._tracking_item(tracking))
        if not stored_events:
            if fixed:
                try:
                    self._transact(fixed)
                except _CancelledError as exc:
                    raise exc.integrity_error() from None
            return []
        log_runs = _split_by_size(stored_events)
        count = len(stored_events)
        sequence = self._sequence
        with sequence.lock:
            for attempt in range(MAX_SEQUENCE_ATTEMPTS):
                last_id = sequence.known
                if last_id is None:
                    last_id = self._get_number(self._seq_pk, "n") or 0
                items = [
                    *fixed,
                    self._sequence_item(last_id, last_id + count),
                    *self._log_items(log_runs, last_id + 1),
                ]
                try:
                    self._transact(items)
                except _CancelledError as exc:
                    failed = exc.failed()
                    seq_failures = [reason for item, reason in failed if item.role == "seq"]
                    if seq_failures:
                        # Another writer took the ids: not a conflict of ours. Start again
                        # from the counter's current value (returned with the failure).
                        old = seq_failures[0].get("Item") or {}
                        sequence.known = int(old["n"]["N"]) if "n" in old else None
                        if attempt > 2:
                            _backoff(attempt - 2)
                        continue
                    # Our counter value was right (its condition held), so the cache
                    # stays valid for the application's retry.
                    raise exc.integrity_error() from None
                except BaseException:
                    sequence.known = None
                    raise
                sequence.known = last_id + count
                return list(range(last_id + 1, last_id + count + 1))
        raise OperationalError(
            f"could not allocate notification ids in {self.table} after "
            f"{MAX_SEQUENCE_ATTEMPTS} attempts (too many concurrent writers)"
        )

    def _sequence_item(self, old: int, new: int) -> _TxItem:
        return _TxItem(
            role="seq",
            request={
                "Update": {
                    "TableName": self.table,
                    "Key": {schema.PK: _s(self._seq_pk), schema.SK: _n(0)},
                    "UpdateExpression": "SET n = :new, k = :k",
                    "ConditionExpression": "attribute_not_exists(n)" if old == 0 else "n = :old",
                    "ExpressionAttributeValues": {
                        ":new": _n(new),
                        ":k": _s(KIND_SEQUENCE),
                        **({} if old == 0 else {":old": _n(old)}),
                    },
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            size=ITEM_OVERHEAD_BYTES,
            describe="notification sequence",
        )

    def _log_items(self, runs: Sequence[Sequence[StoredEvent]], first_id: int) -> list[_TxItem]:
        items: list[_TxItem] = []
        for run in runs:
            blob = codec.encode(run)
            last_id = first_id + len(run) - 1
            items.append(
                _TxItem(
                    role="log",
                    request={
                        "Put": {
                            "TableName": self.table,
                            "Item": {
                                schema.PK: _s(self._log_pk),
                                schema.SK: _n(last_id),
                                "k": _s(KIND_LOG),
                                "f": _n(first_id),
                                "tp": {"SS": sorted({e.topic for e in run})},
                                "b": {"B": blob},
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    size=len(blob) + ITEM_OVERHEAD_BYTES,
                    describe=f"notifications {first_id}..{last_id}",
                )
            )
            first_id = last_id + 1
        return items

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        lo = 1 if start is None else (start if inclusive_of_start else start + 1)
        lo = max(lo, 1)
        results: list[Notification] = []
        if limit <= 0 or (stop is not None and stop < lo):
            return results
        wanted = set(topics)
        for item in self._query(
            self._log_pk,
            condition="sk >= :lo",
            values={":lo": _n(lo)},
            page_size=max(limit, 100) if wanted else limit,
        ):
            first = int(item["f"]["N"])
            if stop is not None and first > stop:
                break
            if wanted and wanted.isdisjoint(item.get("tp", {}).get("SS", ())):
                continue
            for offset, event in enumerate(codec.decode(item["b"]["B"])):
                nid = first + offset
                if nid < lo:
                    continue
                if stop is not None and nid > stop:
                    return results
                if wanted and event.topic not in wanted:
                    continue
                results.append(
                    Notification(
                        id=nid,
                        originator_id=event.originator_id,
                        originator_version=event.originator_version,
                        topic=event.topic,
                        state=event.state,
                    )
                )
                if len(results) >= limit:
                    return results
        return results

    def max_notification_id(self) -> int | None:
        return self._get_number(self._seq_pk, "n") or None

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return DynamoDBSubscription(recorder=self, gt=gt, topics=topics)

    def listen(self, event: Event) -> None:
        with self._listeners_lock:
            self._listeners.add(event)

    def unlisten(self, event: Event) -> None:
        with self._listeners_lock:
            self._listeners.discard(event)

    def _notify_listeners(self) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener.set()


class DynamoDBSubscription(ListenNotifySubscription[DynamoDBApplicationRecorder]):
    """Polls the notification log (DynamoDB has no LISTEN/NOTIFY); writes made through
    the same recorder wake it at once. In production the events table's stream, not
    polling, feeds downstream consumers."""

    POLL_INTERVAL = 0.5

    def __init__(
        self,
        recorder: DynamoDBApplicationRecorder,
        gt: int | None = None,
        topics: Sequence[str] = (),
    ) -> None:
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._recorder.listen(self._has_been_notified)
        self._poll_stop = Event()
        self._poller = Thread(target=self._poll, daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._poll_stop.wait(self.POLL_INTERVAL):
            self._has_been_notified.set()

    def stop(self) -> None:
        super().stop()
        self._poll_stop.set()
        self._recorder.unlisten(self._has_been_notified)


class DynamoDBTrackingRecorder(DynamoDBRecorder, TrackingRecorder):
    """One item per upstream application holding the last processed notification id."""

    def __init__(self, datastore: DynamoDBDatastore, purpose: str = "events") -> None:
        super().__init__(datastore, purpose)

    def insert_tracking(self, tracking: Tracking) -> None:
        self._transact([self._tracking_item(tracking)])

    def max_tracking_id(self, application_name: str) -> int | None:
        return self._get_number(self._tracking_pk(application_name), "n")


class DynamoDBProcessRecorder(
    DynamoDBTrackingRecorder, DynamoDBApplicationRecorder, ProcessRecorder
):
    """Events, notification log and tracking, written in one transaction."""
