"""The deployed daily jobs end to end on real protocols: the ledger and the schedule table
on DynamoDB Local (the events table's stream feeding the schedule projection), the work
queues on moto's SQS; the scheduler, worker and projection steps as Lambda calls them."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from sfr3_lambdas import wiring
from sfr3_lambdas.jobs import projection, scheduler, worker
from sfr3_ledger.leases import LeaseTerms
from tests.backbone.support import FakeContext, StreamReader, log_records, poisoned
from tests.jobs.sqs_support import CHI, drain, project

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]


def test_schedule_queue_work_and_project_a_month(deployed: dict[str, str]) -> None:
    app = wiring.ledger()
    for n, due in ((1, 3), (2, 3), (3, 10)):
        app.start_lease(f"res-{n}", lease_id=f"L-{n}", property_id="p-1", us_state="TX",
                        start_date=date(2025, 1, 1), actor="pm", email=f"r{n}@example.com",
                        terms=LeaseTerms(monthly_rent=100_000 * n, rent_due_day=due,
                                         grace_days=4))
    reader = StreamReader(deployed["DYNAMODB_TABLE"])
    assert project(reader) == []
    index = wiring.schedule_index()
    assert index.residents_due(CHI, 3) == ["res-1", "res-2"]

    # The scheduler plans from the read model and queues one item per due resident.
    out = scheduler.handler({"job": "recurring-charges", "timeZone": CHI, "date": "2025-03-03"},
                            FakeContext())
    assert out["runs"] == [{"job": "recurring-charges", "timeZone": CHI, "date": "2025-03-03",
                            "from": "2025-03-03", "queued": 2}]
    assert out["unscheduledTimeZones"] == []
    records = drain(deployed["JOBS_QUEUE_URL"])
    assert len(records) == 2

    # The worker: a poison record fails alone, the rest are done.
    poison = {**records[0], "messageId": "poison-1", "body": "{not json"}
    unknown = {**records[0], "messageId": "poison-2",
               "body": json.dumps({**json.loads(records[0]["body"]), "job": "autopay"})}
    event = {"Records": [records[0], poison, records[1], unknown]}
    response = worker.handler(event, FakeContext())
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == [
        "poison-1", "poison-2"]
    assert app.balance("res-1") == 100_000 and app.balance("res-2") == 200_000
    assert app.balance("res-3") == 0
    # Redelivered (SQS is at least once): nothing posted twice.
    assert worker.handle({"Records": records}) == {"batchItemFailures": []}
    assert app.balance("res-1") == 100_000

    # The posted rent becomes a late-fee candidate; res-2 pays in time, res-1 does not.
    assert project(reader) == []
    assert [c.resident_id for c in index.late_candidates(CHI, date(2025, 3, 8))] == [
        "res-1", "res-2"]
    assert [c.assess_on for c in index.late_candidates(CHI, date(2025, 3, 8))] == [
        date(2025, 3, 8)] * 2
    app.apply_credit("res-2", amount=200_000, reason="paid at the office", actor="pm")
    assert scheduler.run({"job": "late-fees", "timeZone": CHI, "date": "2025-03-07"})[
        "runs"][0]["queued"] == 0
    out = scheduler.run({"job": "late-fees", "timeZone": CHI, "date": "2025-03-08"})
    assert out["runs"][0]["queued"] == 2
    assert worker.handle({"Records": drain(deployed["JOBS_QUEUE_URL"])}) == {
        "batchItemFailures": []}
    assert app.ledger("res-1").late_fees and not app.ledger("res-2").late_fees
    assert index.late_candidates(CHI, date(2025, 3, 31)) == []
    assert project(reader) == []  # the late fee's event: nothing left to remove
    # Re-running the day queues nothing more (every candidate was decided).
    assert scheduler.run({"job": "late-fees", "timeZone": CHI, "date": "2025-03-08"})[
        "runs"][0]["queued"] == 0


def test_all_zones_and_today_by_default(deployed: dict[str, str]) -> None:
    app = wiring.ledger()
    app.start_lease("res-hi", lease_id="L-hi", property_id="p-2", us_state="HI",
                    start_date=date(2025, 1, 1), actor="pm",
                    terms=LeaseTerms(monthly_rent=100_000, rent_due_day=1))
    app.start_lease("res-ny", lease_id="L-ny", property_id="p-3", us_state="NY",
                    start_date=date(2025, 1, 1), actor="pm",
                    terms=LeaseTerms(monthly_rent=100_000, rent_due_day=1))
    assert project(StreamReader(deployed["DYNAMODB_TABLE"])) == []
    # 2025-04-01 05:30 UTC: already the 1st in New York, still March 31st in Honolulu.
    out = scheduler.run({"job": "recurring-charges", "timeZone": "*"},
                        now=datetime(2025, 4, 1, 5, 30, tzinfo=UTC))
    runs = {r["timeZone"]: r for r in out["runs"]}
    assert runs["America/New_York"]["date"] == "2025-04-01"
    assert runs["America/New_York"]["queued"] == 1
    assert runs["Pacific/Honolulu"]["date"] == "2025-03-31"
    assert runs["Pacific/Honolulu"]["queued"] == 0
    # Honolulu has leases but (in this environment) no schedule of its own.
    assert out["unscheduledTimeZones"] == ["Pacific/Honolulu"]
    assert [json.loads(r["body"])["residentId"] for r in drain(deployed["JOBS_QUEUE_URL"])] == [
        "res-ny"]


@pytest.mark.parametrize("bad", [
    {"job": "autopay", "timeZone": CHI},
    {"job": "late-fees", "timeZone": "Mars/Olympus"},
    {"job": "late-fees"},
    {"job": "late-fees", "timeZone": CHI, "date": "03/08/2025"},
])
def test_the_scheduler_refuses_bad_input(deployed: dict[str, str], bad: dict[str, Any]) -> None:
    with pytest.raises(scheduler.BadJobInput):
        scheduler.run(bad)
    assert drain(deployed["JOBS_QUEUE_URL"]) == []


def test_a_poison_stream_record_stops_the_projection_batch_there(
        deployed: dict[str, str]) -> None:
    app = wiring.ledger()
    app.start_lease("res-9", lease_id="L-9", property_id="p-1", us_state="TX",
                    start_date=date(2025, 1, 1), actor="pm",
                    terms=LeaseTerms(monthly_rent=1000, rent_due_day=9))
    records = log_records(StreamReader(deployed["DYNAMODB_TABLE"]).read())
    bad = poisoned(records[-1])
    response = projection.handle({"Records": [bad, *records]})
    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    assert failed == [r["dynamodb"]["SequenceNumber"] for r in [bad, *records]]
    assert wiring.schedule_index().lease_row("res-9") is None
    assert projection.handle({"Records": records}) == {"batchItemFailures": []}
    assert wiring.schedule_index().residents_due(CHI, 9) == ["res-9"]
