"""Events and snapshots of aggregates (the library's AggregateRecorder).

Events table, counter mode: each commit of an aggregate is one chunk item
`<ns>#e#<id>` / last version in the chunk, guarded by the aggregate's head item
`<ns>#h#<id>` / 0 (`v` = last version; condition `v < first new version`), so a writer
overlapping stored versions fails whatever range it overlaps.

Events table, stream mode: each event is its own item `<ns>#e#<id>` / version, put with
`attribute_not_exists`: every version has exactly one item, so any overlap collides on
a key (the SQL recorders' primary key, in DynamoDB terms) and no head is needed. A
one-event commit is then one `PutItem` (no transaction). Both layouts are read by the
same code: an item is a chunk keyed by its last version (a one-event chunk is an event
item).

Snapshots table: one snapshot per item (or up to MAX_PARTS parts), any version, any
order.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import (
    AggregateRecorder,
    IntegrityError,
    ProgrammingError,
    StoredEvent,
)

from sfr3_adapters.dynamodb import codec, schema
from sfr3_adapters.dynamodb.base import (
    ITEM_OVERHEAD_BYTES,
    KIND_CHUNK,
    KIND_HEAD,
    MAX_BLOB_BYTES,
    MAX_PARTS,
    PART_SLOTS,
    STREAM,
    CommitTooLargeError,
    DynamoDBDatastore,
    DynamoDBRecorder,
    _CancelledError,
    _n,
    _part_sk,
    _s,
    _split_by_size,
    _TxItem,
)


class DynamoDBAggregateRecorder(DynamoDBRecorder, AggregateRecorder):
    """Events of aggregates. For the "events" purpose each commit of an aggregate is one
    chunk item guarded by the aggregate's head item (counter mode) or one item per event
    (stream mode); for any other purpose (snapshots) each event is its own item (or
    parts), so snapshots may be taken at any version in any order."""

    def __init__(self, datastore: DynamoDBDatastore, purpose: str = "events") -> None:
        super().__init__(datastore, purpose)
        self.chunked = purpose == "events"
        # Stream mode: one item per event, no head (see the module's docstring).
        self.per_event = self.chunked and datastore.notifications == STREAM

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
            if self.per_event:
                items += self._chunk_items(oid, [r for e in events for r in _split_by_size([e])])
            elif self.chunked:
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


    def scan_events(self, segment: int = 0, segments: int = 1) -> Iterator[StoredEvent]:
        """Every stored event of this namespace, for a full replay (rebuilding a read
        model) where no notification log is kept (stream mode; it works in counter mode
        too). A strongly consistent parallel `Scan` (`segment` of `segments`, so several
        workers can share a rebuild) of the events table's event items: each aggregate's
        events come in version order (a partition's items are scanned in sort-key
        order), with no order between aggregates. Reads the whole table once, so it is
        for rebuilds, never for a lookup."""
        if not self.chunked:
            raise ProgrammingError("scan_events reads the events table, not snapshots")
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "ConsistentRead": True,
            "FilterExpression": "k = :k AND begins_with(pk, :prefix)",
            "ExpressionAttributeValues": {":k": _s(KIND_CHUNK), ":prefix": _s(f"{self.ns}#e#")},
            "Segment": segment,
            "TotalSegments": segments,
        }
        while True:
            response = self._call("scan", **kwargs)
            for item in response.get("Items", []):
                yield from codec.decode(item["b"]["B"])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last
