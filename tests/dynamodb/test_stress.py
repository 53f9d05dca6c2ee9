"""Eight writers racing on one aggregate, each as if in its own Lambda container.

Each thread has its own application (and its own cached notification sequence, as a
separate process would), retries a command when the store says another writer won, and
records the commands that succeeded. Afterwards the store must hold each of them
exactly once, at contiguous versions, and (counter mode) the notification log must list
every event once, in order. Runs in both notification modes.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError, ProgrammingError

from sfr3_adapters.dynamodb.recorders import (
    COUNTER,
    STREAM,
    DynamoDBApplicationRecorder,
    _SequenceState,
)
from tests.dynamodb.support import endpoint

THREADS = 8
COMMANDS_PER_THREAD = 8


class Tally(Aggregate):
    def __init__(self) -> None:
        self.commands: list[str] = []

    @event("Counted")
    def count(self, command_id: str) -> None:
        self.commands.append(command_id)


class Tallies(Application[UUID]):
    pass


@pytest.mark.parametrize("mode", [COUNTER, STREAM])
def test_eight_writers_on_one_aggregate(dynamodb_local: str, mode: str) -> None:
    env = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": f"stress-{uuid.uuid4().hex[:8]}",
        "DYNAMODB_ENDPOINT_URL": endpoint(),
        "DYNAMODB_NOTIFICATIONS": mode,
    }
    setup = Tallies(env=env)
    tally = Tally()
    setup.save(tally)

    succeeded: list[str] = []
    conflicts = [0]
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)

    def writer(n: int) -> None:
        app = Tallies(env=env)
        recorder = app.recorder
        assert isinstance(recorder, DynamoDBApplicationRecorder)
        recorder._sequence = _SequenceState()  # its own "process": no shared cache or lock
        start.wait()
        try:
            for i in range(COMMANDS_PER_THREAD):
                command_id = f"w{n}-c{i}"
                while True:
                    current: Any = app.repository.get(tally.id)
                    current.count(command_id)
                    try:
                        app.save(current)
                    except IntegrityError:
                        with lock:
                            conflicts[0] += 1
                        continue
                    with lock:
                        succeeded.append(command_id)
                    break
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert len(succeeded) == THREADS * COMMANDS_PER_THREAD
    assert conflicts[0] > 0, "the writers never actually raced"

    stored = list(setup.events.get(tally.id))
    versions = [e.originator_version for e in stored]
    assert versions == list(range(1, len(stored) + 1))
    counted = [e.command_id for e in stored[1:]]  # type: ignore[attr-defined]
    assert sorted(counted) == sorted(succeeded)
    assert len(set(counted)) == len(counted)
    assert setup.repository.get(tally.id).commands == counted

    if mode == STREAM:  # no log to check: consumers follow the stream (test_stream_mode)
        with pytest.raises(ProgrammingError):
            setup.recorder.select_notifications(start=None, limit=10_000)
        return
    log = setup.recorder.select_notifications(start=None, limit=10_000)
    ids = [n.id for n in log]
    assert ids == list(range(1, len(ids) + 1))
    positions = [(n.originator_id, n.originator_version) for n in log]
    assert positions == [(tally.id, v) for v in versions]
    assert setup.recorder.max_notification_id() == len(ids)
