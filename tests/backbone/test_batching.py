"""Batch limits and retry-only-the-rejected, with a scripted AWS client (moto never
rejects single entries), and the stream processor's per-sink bookkeeping."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sfr3_adapters.eventbridge import EventBridgePublisher
from sfr3_adapters.firehose import FirehoseLakeWriter
from sfr3_lambdas.stream_processor import StreamProcessor
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import Envelope


def envelope(n: int) -> Envelope:
    return {
        "eventId": f"id-{n}",
        "eventType": "charge.posted",
        "source": "sfr3.ledger",
        "timestamp": "2025-03-01T12:00:00.000000Z",
        "version": 1,
        "data": {"residentId": "r", "amount": n},
    }


class ScriptedEvents:
    """Rejects each entry whose id is in `reject` the first `times` times it is seen."""

    def __init__(self, reject: set[str], times: int = 1) -> None:
        self.calls: list[list[str]] = []
        self.seen: dict[str, int] = {}
        self.reject, self.times = reject, times

    def _results(self, ids: list[str]) -> list[dict[str, str]]:
        out = []
        for i in ids:
            self.seen[i] = self.seen.get(i, 0) + 1
            bad = i in self.reject and self.seen[i] <= self.times
            out.append({"ErrorCode": "ThrottlingException"} if bad else {"EventId": i})
        return out

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        ids = [json.loads(e["Detail"])["eventId"] for e in Entries]
        self.calls.append(ids)
        results = self._results(ids)
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}

    def put_record_batch(
        self, DeliveryStreamName: str, Records: list[dict[str, Any]]
    ) -> dict[str, Any]:
        ids = [json.loads(r["Data"])["eventId"] for r in Records]
        self.calls.append(ids)
        results = self._results(ids)
        return {
            "FailedPutCount": sum("ErrorCode" in r for r in results),
            "RequestResponses": results,
        }


def test_put_events_batches_of_ten_resending_only_rejected_entries() -> None:
    client = ScriptedEvents(reject={"id-3", "id-14"})
    publisher = EventBridgePublisher("bus", client=client, sleep=lambda _: None)
    assert publisher.publish([envelope(n) for n in range(23)]) == []
    assert [len(c) for c in client.calls] == [10, 1, 10, 1, 3]
    assert client.calls[1] == ["id-3"] and client.calls[3] == ["id-14"]


def test_put_record_batch_of_five_hundred_and_what_stays_rejected_is_returned() -> None:
    client = ScriptedEvents(reject={"id-7"}, times=99)
    writer = FirehoseLakeWriter("stream", client=client, max_attempts=3, sleep=lambda _: None)
    failed = writer.write([envelope(n) for n in range(1201)])
    assert [e["eventId"] for e in failed] == ["id-7"]
    assert [len(c) for c in client.calls] == [500, 1, 1, 500, 201]


class MemoryLog:
    def __init__(self) -> None:
        self.done: set[tuple[str, str]] = set()

    def delivered(self, sink: str, event_ids: Sequence[str]) -> set[str]:
        return {i for i in event_ids if (sink, i) in self.done}

    def mark_delivered(self, sink: str, event_ids: Sequence[str]) -> None:
        self.done |= {(sink, i) for i in event_ids}


class Sink:
    def __init__(self, fail_once: set[str] | None = None) -> None:
        self.sent: list[str] = []
        self.fail_once = set(fail_once or ())

    def publish(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        self.sent += [e["eventId"] for e in envelopes]
        failed = [e for e in envelopes if e["eventId"] in self.fail_once]
        self.fail_once -= {e["eventId"] for e in failed}
        return failed

    write = publish


def test_a_sink_failure_fails_the_record_and_the_retry_resends_only_what_is_missing() -> None:
    bus, lake = Sink(), Sink(fail_once={"id-2"})
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    processor = StreamProcessor(app, bus, lake, MemoryLog())
    batch = [envelope(n) for n in range(4)]

    assert processor.deliver(batch) == {"id-2"}
    assert processor.deliver(batch) == set()

    assert bus.sent == ["id-0", "id-1", "id-2", "id-3"]  # nothing twice on the bus
    assert lake.sent == ["id-0", "id-1", "id-2", "id-3", "id-2"]
