"""The schedule index's job runs, clear() and rebuild, and the projection that fills it:
on SQLite and on DynamoDB Local (the `index` fixture in conftest.py).

Job runs never move backwards, clear() before a rebuild keeps them, real ledger events
projected twice and rebuilt give the same rows; and, DynamoDB only, what a day costs in
requests.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest

from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex
from sfr3_ledger import LedgerApplication, jobs
from sfr3_ledger.leases import LeaseTerms
from sfr3_ledger.read_models.schedule import ScheduleIndex, ScheduleProjection, rebuild
from tests.dynamodb.schedule_support import LA, NY, ap, cand, row
from tests.dynamodb.schedule_support import client as _client
from tests.dynamodb.support import requests_in_this_thread


def test_a_job_run_never_moves_backwards(index: ScheduleIndex) -> None:
    assert index.last_run("recurring-charges", NY) is None
    index.record_run("recurring-charges", NY, date(2025, 3, 5))
    index.record_run("recurring-charges", NY, date(2025, 3, 3))  # a re-run of an old day
    index.record_run("recurring-charges", NY, date(2025, 3, 5))
    assert index.last_run("recurring-charges", NY) == date(2025, 3, 5)
    index.record_run("recurring-charges", NY, date(2025, 3, 6))
    assert index.last_run("recurring-charges", NY) == date(2025, 3, 6)
    assert index.last_run("late-fees", NY) is None
    assert index.last_run("recurring-charges", LA) is None


def test_clear_drops_the_projection_but_keeps_job_runs(index: ScheduleIndex) -> None:
    index.put_lease(row(days={1, 2}))
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))
    index.put_autopay(ap("r9", day=4, zone=LA))
    index.record_run("late-fees", NY, date(2025, 3, 7))
    index.clear()
    assert index.lease_row("r1") is None
    assert index.residents_due(NY, 1) == []
    assert index.autopay_due(LA, 4) == []
    assert index.time_zones() == []
    assert index.late_candidates(NY, date(2025, 12, 31)) == []
    assert index.last_run("late-fees", NY) == date(2025, 3, 7)
    # And it fills again as new (no stale version or pointer left behind).
    index.put_lease(row(days={3}, version=1))
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))
    assert index.residents_due(NY, 3) == ["r1"]
    assert index.time_zones() == [NY]
    assert len(index.late_candidates(NY, date(2025, 3, 7))) == 1
    index.put_autopay(ap("r9", day=4, zone=LA, version=1))
    assert index.autopay_due(LA, 4) == ["r9"]
    assert index.time_zones() == [LA, NY]


def test_the_projection_is_idempotent_on_either_index(index: ScheduleIndex) -> None:
    """Lease and rent events from a real ledger, applied twice and rebuilt: the same rows."""
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.start_lease("res-1", lease_id="L-1", property_id="p-1", us_state="TX",
                    start_date=date(2025, 1, 1), actor="pm",
                    terms=LeaseTerms(monthly_rent=150_000, rent_due_day=3, grace_days=4))
    app.post_charge("res-1", charge_id="L-1:rent:2025-02", amount=150_000, charge_type="RENT",
                    description="Rent 2025-02", due_date=date(2025, 2, 3), actor="system:jobs")
    app.post_charge("res-2", charge_id="c-free", amount=100, charge_type="RENT",
                    description="No lease", actor="pm")
    events = [app.mapper.to_domain_event(n)
              for n in app.recorder.select_notifications(start=None, limit=1000)]
    projection = ScheduleProjection(index, app.find_lease)
    projection.process(events)
    projection.process(events)
    expected = [cand("res-1", "L-1:rent:2025-02", date(2025, 2, 8), zone="America/Chicago")]
    assert index.late_candidates("America/Chicago", date(2025, 2, 28)) == expected
    assert index.residents_due("America/Chicago", 3) == ["res-1"]
    assert index.time_zones() == ["America/Chicago"]
    rebuild(index, projection, [events[:2], events[2:]])
    assert index.late_candidates("America/Chicago", date(2025, 2, 28)) == expected
    assert index.lease_row("res-1") is not None
    app.close()


def test_autopay_events_project_on_either_index(index: ScheduleIndex) -> None:
    """Enroll, change the day, pause, resume, cancel: replayed and rebuilt, the same rows."""
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.start_lease("res-1", lease_id="L-1", property_id="p-1", us_state="TX",
                    start_date=date(2025, 1, 1), actor="pm",
                    terms=LeaseTerms(monthly_rent=150_000, rent_due_day=1))
    for rid in ("res-1", "res-2"):
        method = app.enroll_payment_method(rid, provider_id=f"pm_{rid}", method_type="CARD",
                                           last4="4242", actor=rid)
        app.enroll_autopay(rid, enrollment_id=f"apay-{rid}", method_id=method.method_id,
                           charge_day=5, actor=rid)
    app.change_autopay("res-1", actor="res-1", charge_day=7)
    app.pause_autopay("res-2", actor="res-2")
    projection = ScheduleProjection(index, app.find_lease, app.find_autopay)

    def replay() -> list[Any]:
        events = [app.mapper.to_domain_event(n)
                  for n in app.recorder.select_notifications(start=None, limit=1000)]
        projection.process(events)
        projection.process(events)
        return events

    replay()
    chi = "America/Chicago"  # res-1's lease zone; res-2 has no lease: the default zone
    assert index.autopay_due(chi, 5) == []
    assert index.autopay_due(chi, 7) == ["res-1"]
    assert index.time_zones() == [chi]
    app.resume_autopay("res-2", actor="res-2")
    app.cancel_autopay("res-1", actor="res-1")
    events = replay()
    assert index.autopay_due(chi, 7) == []
    assert index.autopay_due(chi, 5) == ["res-2"]
    rebuild(index, projection, [events[:3], events[3:]])
    assert index.autopay_due(chi, 5) == ["res-2"]
    assert index.autopay_due(chi, 7) == []
    assert index.time_zones() == [chi]
    app.close()


class CountingQueue:
    def __init__(self) -> None:
        self.items: list[jobs.WorkItem] = []

    def send(self, items: Any) -> None:
        self.items.extend(items)


@pytest.mark.parametrize("leases", [12, 60])
def test_a_quiet_day_costs_a_constant_handful_of_requests(dynamodb_local: str,
                                                          leases: int) -> None:
    """Whatever the portfolio size: recurring charges 3 requests, late fees 2."""
    client = _client(dynamodb_local)
    dynamo = DynamoDBScheduleIndex(f"schedule-{uuid.uuid4().hex[:12]}", client=client)
    dynamo.create_table()
    for n in range(leases):
        dynamo.put_lease(row(f"res-{n:03d}", days={1}))
        dynamo.add_late_candidate(cand(f"res-{n:03d}", f"c-{n}", date(2025, 3, 7)))
    dynamo.record_run("recurring-charges", NY, date(2025, 3, 14))
    calls = requests_in_this_thread(client)

    queue = CountingQueue()
    jobs.run(dynamo, queue, "recurring-charges", NY, date(2025, 3, 15))
    assert calls == ["GetItem", "Query", "UpdateItem"]
    calls.clear()
    jobs.run(dynamo, queue, "late-fees", NY, date(2025, 3, 6))
    assert calls == ["Query", "UpdateItem"]
    assert queue.items == []

    # A due day reads the same partitions, and finds everyone due.
    calls.clear()
    dynamo.record_run("recurring-charges", NY, date(2025, 3, 31))
    calls.clear()
    report = jobs.run(dynamo, queue, "recurring-charges", NY, date(2025, 4, 1))
    assert report.queued == leases
    assert calls[0] == "GetItem" and calls[-1] == "UpdateItem"
    assert set(calls[1:-1]) == {"Query"}
    client.delete_table(TableName=dynamo.table_name)
