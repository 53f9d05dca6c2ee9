"""The notification log (the library's ApplicationRecorder), in counter mode.

Counter mode, per application namespace `<ns>`:

* sequence `<ns>#seq` / 0: `n` = the last notification id allocated;
* log      `<ns>#log` / last notification id in the item: `f` = first id, `tp` = the
  topics inside, `b` = the commit's events in notification order (ids f, f+1, ...).

A commit is one `TransactWriteItems`: the heads and chunks of its aggregates, the
sequence counter moved from n to n+len(events) under the condition that it is still n,
the log item(s) for ids n+1..n+len, and the tracking record. So notification ids are
contiguous, a commit's ids never interleave with another's, and a reader that sees id
N has already been able to see every id below N: the counter only moves in the same
atomic write that makes the events visible.

Stream mode keeps no counter and no log: a commit is its aggregates' event items (and
the tracking record); `insert_events` returns no ids, and the pull interface
(`select_notifications`, `max_notification_id`, `subscribe`) refuses with a
ProgrammingError saying so. Consumers follow the table's stream instead
(`sfr3_adapters.dynamodb.stream`); docs/dynamodb.md, "Notification modes".
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from threading import Event, Thread
from typing import Any

from eventsourcing.persistence import (
    ApplicationRecorder,
    ListenNotifySubscription,
    Notification,
    OperationalError,
    ProgrammingError,
    StoredEvent,
    Subscription,
    Tracking,
)

from sfr3_adapters.dynamodb import codec, schema
from sfr3_adapters.dynamodb.aggregate import DynamoDBAggregateRecorder
from sfr3_adapters.dynamodb.base import (
    ITEM_OVERHEAD_BYTES,
    KIND_LOG,
    KIND_SEQUENCE,
    MAX_SEQUENCE_ATTEMPTS,
    DynamoDBDatastore,
    _backoff,
    _CancelledError,
    _n,
    _s,
    _split_by_size,
    _TxItem,
)


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
        return None if self.per_event else ids

    def _record(
        self, stored_events: Sequence[StoredEvent], tracking: Tracking | None
    ) -> list[int]:
        fixed = self._aggregate_items(stored_events) if stored_events else []
        if tracking is not None:
            fixed.append(self._tracking_item(tracking))
        if not stored_events or self.per_event:
            # Stream mode: the aggregates' items (and tracking) are the whole commit.
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
        self._require_log("select_notifications")
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

    def _require_log(self, operation: str) -> None:
        if self.per_event:
            raise ProgrammingError(
                f"{operation}: {self.table} is in stream notification mode, which keeps "
                "no notification log (commits take no global counter); follow the "
                "table's stream (sfr3_adapters.dynamodb.stream), or use "
                "DYNAMODB_NOTIFICATIONS=counter for pull-based followers"
            )

    def max_notification_id(self) -> int | None:
        self._require_log("max_notification_id")
        return self._get_number(self._seq_pk, "n") or None

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        self._require_log("subscribe")
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

