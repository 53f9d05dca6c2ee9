"""The step every read model's stream consumer shares (sfr3_lambdas/jobs/stream_projection.py):
records applied in stream order, the first failing record and everything after it reported
(so Lambda retries from there), and, within the second reader's batch, each record decoded
once however many projections read it. On DynamoDB Local, with the events table's stream."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import pytest

from sfr3_adapters.dynamodb.stream import stored_events_from_stream_record
from sfr3_lambdas import wiring
from sfr3_lambdas.jobs import read_models, stream_projection
from sfr3_lambdas.jobs.stream_projection import decoded_once, project_in_order
from sfr3_ledger.leases import LeaseTerms
from tests.backbone.support import StreamReader, log_records, poisoned

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]


def leases(deployed: dict[str, str], n: int) -> list[dict[str, Any]]:
    app = wiring.ledger()
    for k in range(n):
        app.start_lease(f"res-sp{k}", lease_id=f"L-sp{k}", property_id="p-1", us_state="TX",
                        start_date=date(2025, 1, 1), actor="pm",
                        terms=LeaseTerms(monthly_rent=1000, rent_due_day=3))
    records = log_records(StreamReader(deployed["DYNAMODB_TABLE"]).read())
    assert len(records) >= n
    return records


def sequence(records: Sequence[dict[str, Any]]) -> list[str]:
    return [str(r["dynamodb"]["SequenceNumber"]) for r in records]


def test_the_first_failure_and_everything_after_it_are_reported(
        deployed: dict[str, str]) -> None:
    records = leases(deployed, 3)
    seen: list[str] = []

    def process(events: Sequence[Any]) -> int:
        ids = {e.originator_id for e in events}
        seen.extend(str(i) for i in ids)
        if len(seen) == 2:
            raise RuntimeError("throttled")
        return len(events)

    answer = project_in_order({"Records": records}, process, "test")
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    assert failed == sequence(records[1:]), "from the failing record on, in order"
    assert len(seen) == 2, "nothing past the failing record was applied"
    assert project_in_order({"Records": records}, lambda events: 1, "test") == {
        "batchItemFailures": []}


def test_a_poison_record_fails_from_there_in_every_projection(
        deployed: dict[str, str]) -> None:
    records = leases(deployed, 2)
    bad = poisoned(records[0])
    applied: list[int] = []
    answer = project_in_order({"Records": [records[0], bad, *records[1:]]},
                              lambda events: applied.append(len(events)) or 1, "test")
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == sequence(
        [bad, *records[1:]])
    assert len(applied) == 1


def test_the_second_reader_decodes_each_record_once(
        deployed: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    records = leases(deployed, 2)
    decoded: list[str] = []

    def counting(record: dict[str, Any]) -> Any:
        decoded.append(str(record["dynamodb"]["SequenceNumber"]))
        return stored_events_from_stream_record(record)

    monkeypatch.setattr(stream_projection, "stored_events_from_stream_record", counting)
    with decoded_once():
        for _ in range(3):
            assert project_in_order({"Records": records}, lambda events: len(events),
                                    "test") == {"batchItemFailures": []}
    assert decoded == sequence(records)
    # Outside the second reader's batch, each projection decodes for itself.
    decoded.clear()
    project_in_order({"Records": records}, lambda events: len(events), "test")
    project_in_order({"Records": records}, lambda events: len(events), "test")
    assert decoded == sequence(records) * 2
    # The second reader itself runs four projections over the batch (here the finance
    # one fails on its missing configuration, from the first record): one decoding each.
    decoded.clear()
    answer = read_models.handle({"Records": records})
    assert decoded == sequence(records)
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == sequence(records)
    assert wiring.schedule_index().lease_row("res-sp1") is not None
