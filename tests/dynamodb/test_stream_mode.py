"""Stream notification mode: commits carry no global counter, consumers read the stream.

What it must keep from counter mode: atomic commits, exact optimistic concurrency (any
overlap with a stored version refused, nothing of the refused commit written), tracking
in the same write, limits named; what it drops is said out loud: no ids, and the pull
interface refuses instead of answering wrongly. Its table's stream must deliver every
event, per aggregate in version order, to `aggregate_events_from_stream_record`.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from typing import Any
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, ProgrammingError, Tracking

from sfr3_adapters.dynamodb.recorders import (
    COUNTER,
    STREAM,
    CommitTooLargeError,
    DynamoDBApplicationRecorder,
    DynamoDBDatastore,
    DynamoDBProcessRecorder,
)
from sfr3_adapters.dynamodb.stream import (
    aggregate_events_from_stream_record,
    stored_events_from_stream_record,
)
from tests.dynamodb.support import endpoint, fresh_datastore, requests_in_this_thread
from tests.dynamodb.test_recorder_edges import events
from tests.dynamodb.test_stream_and_schema import as_lambda_receives, stream_records


def partition(datastore: DynamoDBDatastore, pk: str) -> list[dict[str, Any]]:
    response = datastore.client.query(
        TableName=datastore.table(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
    )
    return list(response["Items"])


def test_a_one_event_commit_is_one_put_and_nothing_else() -> None:
    datastore = fresh_datastore(notifications=STREAM)
    recorder = DynamoDBApplicationRecorder(datastore)
    oid = uuid4()
    calls = requests_in_this_thread(datastore.client)
    assert recorder.insert_events(events(oid, range(1, 2))) is None  # no ids in this mode
    assert calls == ["PutItem"]
    recorder.insert_events(events(oid, range(2, 5)))  # several events: one transaction
    assert calls == ["PutItem", "TransactWriteItems"]
    ns = datastore.namespace
    assert [int(i["sk"]["N"]) for i in partition(datastore, f"{ns}#e#{oid}")] == [1, 2, 3, 4]
    for pk in (f"{ns}#h#{oid}", f"{ns}#seq", f"{ns}#log"):
        assert partition(datastore, pk) == []  # no head, no counter, no log
    assert [e.originator_version for e in recorder.select_events(oid, gt=2)] == [3, 4]
    assert recorder.select_events(oid, desc=True, limit=1)[0].originator_version == 4


def test_any_overlap_with_a_stored_version_is_refused_and_writes_nothing() -> None:
    recorder = DynamoDBApplicationRecorder(fresh_datastore(notifications=STREAM))
    oid, bystander = uuid4(), uuid4()
    stored = events(oid, range(1, 4))
    recorder.insert_events(stored)
    for attempt in (range(2, 3), range(3, 5), range(1, 2), range(2, 6)):
        with pytest.raises(IntegrityError):
            recorder.insert_events([*events(bystander, range(1, 3)), *events(oid, attempt)])
    assert recorder.select_events(oid) == stored
    assert recorder.select_events(bystander) == []  # nothing of any refused commit
    recorder.insert_events(events(oid, range(4, 5)))
    assert [e.originator_version for e in recorder.select_events(oid)] == [1, 2, 3, 4]


def test_the_pull_interface_refuses_in_stream_mode() -> None:
    recorder = DynamoDBApplicationRecorder(fresh_datastore(notifications=STREAM))
    recorder.insert_events(events(uuid4(), range(1, 2)))
    for call in (
        lambda: recorder.select_notifications(None, 10),
        recorder.max_notification_id,
        recorder.subscribe,
    ):
        with pytest.raises(ProgrammingError, match="stream notification mode"):
            call()


def test_tracking_is_written_with_the_events_or_not_at_all() -> None:
    recorder = DynamoDBProcessRecorder(fresh_datastore(notifications=STREAM))
    oid = uuid4()
    recorder.insert_events(events(oid, range(1, 2)), tracking=Tracking("up", 5))
    assert recorder.max_tracking_id("up") == 5
    with pytest.raises(IntegrityError):  # tracking 5 again: the events are refused too
        recorder.insert_events(events(oid, range(2, 3)), tracking=Tracking("up", 5))
    assert [e.originator_version for e in recorder.select_events(oid)] == [1]
    with pytest.raises(IntegrityError):  # version 1 again: the tracking does not move
        recorder.insert_events(events(oid, range(1, 2)), tracking=Tracking("up", 6))
    assert recorder.max_tracking_id("up") == 5


def test_limits_are_named_for_stream_mode() -> None:
    recorder = DynamoDBApplicationRecorder(fresh_datastore(notifications=STREAM))
    with pytest.raises(CommitTooLargeError, match="stream mode: one per event"):
        recorder.insert_events(events(uuid4(), range(1, 102)))
    with pytest.raises(CommitTooLargeError, match="400 KB"):
        recorder.insert_events(events(uuid4(), range(1, 2), size=500_000))


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="counter, stream"):
        fresh_datastore(notifications="sharded")


class Note(Aggregate):
    def __init__(self) -> None:
        self.lines: list[str] = []

    @event("Written")
    def write(self, line: str) -> None:
        self.lines.append(line)


class Notes(Application[UUID]):
    snapshotting_intervals = {Note: 3}


def test_an_application_saves_and_reads_back_in_stream_mode() -> None:
    env = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": f"streammode-{uuid.uuid4().hex[:8]}",
        "DYNAMODB_ENDPOINT_URL": endpoint(),
        "DYNAMODB_NOTIFICATIONS": "stream",
    }
    app = Notes(env=env)
    note = Note()
    for n in range(7):
        note.write(f"line {n}")
        recordings = app.save(note)
    assert recordings == []  # the library records no notification without an id
    assert app.repository.get(note.id).lines == [f"line {n}" for n in range(7)]
    stale = app.repository.get(note.id, version=3)  # an old view must not overwrite
    stale.write("late")
    with pytest.raises(IntegrityError):
        app.save(stale)


@pytest.mark.parametrize("mode", [STREAM, COUNTER])
def test_the_stream_delivers_each_aggregate_in_version_order(mode: str) -> None:
    """Real DynamoDB Local stream records, as Lambda receives them (base64 binaries)."""
    table = f"streamev-{uuid4().hex[:8]}"
    recorder = DynamoDBApplicationRecorder(fresh_datastore(table, notifications=mode))
    a, b = uuid4(), uuid4()
    recorder.insert_events(events(a, range(1, 4), topic="A"))
    recorder.insert_events([*events(b, range(1, 2), topic="B"), *events(a, range(4, 5))])
    recorder.insert_events(events(b, range(2, 5), size=200_000))  # big events
    expected = {oid: list(recorder.select_events(oid)) for oid in (a, b)}

    decoded: list[Any] = []
    for _ in range(50):  # the stream is written asynchronously
        records = [as_lambda_receives(r) for r in stream_records(table)]
        decoded = [e for r in records for e in aggregate_events_from_stream_record(r)]
        if len(decoded) >= 8:
            break
        time.sleep(0.1)
    for oid, stored in expected.items():
        assert [e for e in decoded if e.originator_id == oid] == stored
    assert len(decoded) == 8  # each event once: heads, counter and log carry none
    assert Counter(type(e).__name__ for e in decoded) == {"StoredEvent": 8}  # no ids
    other = recorder.datastore.namespace + "x"
    assert not [e for r in records for e in aggregate_events_from_stream_record(r, other)]
    log = [e for r in records for e in stored_events_from_stream_record(r)]
    assert len(log) == (8 if mode == COUNTER else 0)



@pytest.mark.parametrize("mode", [STREAM, COUNTER])
def test_a_full_replay_scans_every_event_once_in_version_order_per_aggregate(mode: str) -> None:
    table = f"replay-{uuid4().hex[:8]}"
    recorder = DynamoDBApplicationRecorder(fresh_datastore(table, notifications=mode))
    neighbour = DynamoDBApplicationRecorder(fresh_datastore(table, notifications=mode))
    oids = [uuid4() for _ in range(6)]
    for n, oid in enumerate(oids):
        recorder.insert_events(events(oid, range(1, 3 + n)))
        recorder.insert_events(events(oid, range(3 + n, 5 + n)))
    neighbour.insert_events(events(uuid4(), range(1, 4)))  # another application's events
    replayed = [e for segment in range(3) for e in recorder.scan_events(segment, 3)]
    for oid in oids:
        assert [e for e in replayed if e.originator_id == oid] == recorder.select_events(oid)
    assert len(replayed) == sum(4 + n for n in range(6))
