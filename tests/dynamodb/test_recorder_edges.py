"""What the library's cases do not reach: DynamoDB's item, transaction and page limits,
overlapping writers, binary state, a stale sequence cache."""

from __future__ import annotations

import os
import uuid
import zlib
from uuid import UUID, uuid4

import pytest
from eventsourcing.application import Application
from eventsourcing.cipher import AESCipher
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, StoredEvent

from sfr3_adapters.dynamodb.recorders import (
    CommitTooLargeError,
    DynamoDBAggregateRecorder,
    DynamoDBApplicationRecorder,
    _SequenceState,
)
from tests.dynamodb.support import endpoint, fresh_datastore


def events(oid: UUID | str, versions: range, size: int = 10, topic: str = "t") -> list[StoredEvent]:
    return [
        StoredEvent(oid, v, topic, v.to_bytes(4, "big") + os.urandom(max(size - 4, 0)))
        for v in versions
    ]


def test_a_commit_larger_than_an_item_is_split_and_stays_atomic() -> None:
    recorder = DynamoDBApplicationRecorder(fresh_datastore())
    oid = uuid4()
    big = events(oid, range(1, 7), size=150_000)  # 900 KB: three chunks, three log items
    assert recorder.insert_events(big) == [1, 2, 3, 4, 5, 6]
    assert recorder.select_events(oid) == big
    assert recorder.select_events(oid, desc=True) == big[::-1]
    assert recorder.select_events(oid, gt=2, lte=5) == big[2:5]
    assert recorder.select_events(oid, lte=3, desc=True, limit=2) == [big[2], big[1]]
    assert recorder.select_events(oid, gt=4, limit=1) == [big[4]]
    log = recorder.select_notifications(start=3, limit=2)
    assert [(n.id, n.originator_version) for n in log] == [(3, 3), (4, 4)]
    assert [n.id for n in recorder.select_notifications(None, 10, stop=5)] == [1, 2, 3, 4, 5]

    # A writer overlapping the middle of a stored chunk is refused, and writes nothing.
    for clash in ([2], [4, 5, 6, 7], [6, 7]):
        with pytest.raises(IntegrityError):
            recorder.insert_events(events(oid, range(clash[0], clash[-1] + 1)))
    assert recorder.max_notification_id() == 6
    assert recorder.select_events(oid) == big
    assert recorder.insert_events(events(oid, range(7, 8))) == [7]


def test_reads_page_past_one_megabyte() -> None:
    recorder = DynamoDBApplicationRecorder(fresh_datastore())
    oid = uuid4()
    written: list[StoredEvent] = []
    for v in range(1, 13):  # 12 items of 300 KB: at least four 1 MB query pages
        batch = events(oid, range(v, v + 1), size=300_000)
        recorder.insert_events(batch)
        written += batch
    pages: list[bool] = []

    def count_page(**kwargs: object) -> None:
        pages.append(True)

    recorder.client.meta.events.register("after-call.dynamodb.Query", count_page)
    try:
        assert recorder.select_events(oid) == written
    finally:
        recorder.client.meta.events.unregister("after-call.dynamodb.Query", count_page)
    assert len(pages) >= 3  # 3.6 MB comes back in several pages of about 1 MB
    assert len(recorder.select_notifications(start=None, limit=100)) == 12
    assert recorder.select_events(oid, gt=11) == written[11:]


def test_limits_are_named_when_a_commit_cannot_fit() -> None:
    recorder = DynamoDBApplicationRecorder(fresh_datastore())
    many = [e for _ in range(60) for e in events(uuid4(), range(1, 2))]
    with pytest.raises(CommitTooLargeError, match="at most 100"):
        recorder.insert_events(many)
    with pytest.raises(CommitTooLargeError, match="400 KB"):
        recorder.insert_events(events(uuid4(), range(1, 2), size=500_000))
    with pytest.raises(CommitTooLargeError, match="4 MB"):
        recorder.insert_events(events(uuid4(), range(1, 9), size=300_000))
    assert recorder.max_notification_id() is None


def test_a_thousand_events_in_one_call_are_one_atomic_commit() -> None:
    recorder = DynamoDBApplicationRecorder(fresh_datastore())
    oid = str(uuid4())  # string ids keep their type
    stack = events(oid, range(0, 1000), topic="x" * 40)
    ids = recorder.insert_events(stack)
    assert ids == list(range(1, 1001))
    stored = recorder.select_events(oid)
    assert stored == stack
    assert isinstance(stored[0].originator_id, str)
    bystander = uuid4()
    with pytest.raises(IntegrityError):
        recorder.insert_events([*events(bystander, range(0, 500)), *events(oid, range(999, 1001))])
    assert recorder.max_notification_id() == 1000
    assert recorder.select_events(bystander) == []  # nothing of the refused commit


def test_a_stale_sequence_cache_costs_a_retry_not_a_conflict() -> None:
    datastore = fresh_datastore()
    first = DynamoDBApplicationRecorder(datastore)
    second = DynamoDBApplicationRecorder(datastore)
    second._sequence = _SequenceState()  # as if in another process
    assert first.insert_events(events(uuid4(), range(1, 3))) == [1, 2]
    assert second.insert_events(events(uuid4(), range(1, 2))) == [3]
    assert first.insert_events(events(uuid4(), range(1, 2))) == [4]  # its cache said 2
    assert [n.id for n in first.select_notifications(None, 10)] == [1, 2, 3, 4]


def test_every_byte_value_round_trips() -> None:
    recorder = DynamoDBApplicationRecorder(fresh_datastore())
    oid = uuid4()
    state = bytes(range(256)) * 4
    recorder.insert_events([StoredEvent(oid, 1, "topic ünïcode", state)])
    (stored,) = recorder.select_events(oid)
    assert stored.state == state and stored.topic == "topic ünïcode"
    (note,) = recorder.select_notifications(None, 1, topics=["topic ünïcode"])
    assert note.state == state


class Note(Aggregate):
    def __init__(self, text: str) -> None:
        self.text = text

    @event("Edited")
    def edit(self, text: str) -> None:
        self.text = text


def test_compressed_and_encrypted_state_goes_through(dynamodb_local: str) -> None:
    env = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": f"cipher-{uuid.uuid4().hex[:8]}",
        "DYNAMODB_ENDPOINT_URL": endpoint(),
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        "CIPHER_KEY": AESCipher.create_key(32),
        "IS_SNAPSHOTTING_ENABLED": "y",
    }
    app = Application[UUID](env=env)
    note = Note("secret rent ledger")
    note.edit("secret, edited")
    app.save(note)
    app.take_snapshot(note.id)
    assert app.repository.get(note.id).text == "secret, edited"
    raw = app.recorder.select_events(note.id)
    assert all(b"secret" not in e.state for e in raw)
    with pytest.raises(zlib.error):
        zlib.decompress(raw[0].state)  # encrypted after compression
    other = Application[UUID](env={**env, "CIPHER_KEY": AESCipher.create_key(32)})
    with pytest.raises(ValueError):
        other.repository.get(note.id)


def test_a_snapshot_larger_than_an_item_is_split_into_parts() -> None:
    """A ledger that keeps every charge in its state outgrows one 400 KB item."""
    recorder = DynamoDBAggregateRecorder(fresh_datastore(), purpose="snapshots")
    oid = uuid4()
    small1, big, small2 = (
        events(oid, range(1, 2), size=1_000)[0],
        events(oid, range(2, 3), size=1_000_000)[0],  # three parts
        events(oid, range(3, 4), size=2_000)[0],
    )
    for snapshot in (small1, big, small2):
        recorder.insert_events([snapshot])
    with pytest.raises(IntegrityError):  # a second writer of v2, whatever its size
        recorder.insert_events(events(oid, range(2, 3), size=10))
    with pytest.raises(IntegrityError):
        recorder.insert_events(events(oid, range(3, 4), size=900_000))
    assert recorder.select_events(oid) == [small1, big, small2]
    assert recorder.select_events(oid, desc=True) == [small2, big, small1]
    assert recorder.select_events(oid, gt=1, lte=2) == [big]

    queries: list[int] = []

    def count(**kwargs: object) -> None:
        queries.append(1)

    recorder.client.meta.events.register("after-call.dynamodb.Query", count)
    try:
        assert recorder.select_events(oid, lte=2, desc=True, limit=1) == [big]
        assert len(queries) == 2  # part 0 says "3 parts"; one more request for the rest
        assert recorder.select_events(oid, desc=True, limit=1) == [small2]
        assert len(queries) == 3
    finally:
        recorder.client.meta.events.unregister("after-call.dynamodb.Query", count)
    with pytest.raises(CommitTooLargeError, match="4 MB"):
        recorder.insert_events(events(oid, range(9, 10), size=4_500_000))
