"""The schedule read model's port, one behaviour suite on SQLite and on DynamoDB Local.

The DynamoDB index must behave exactly as the SQLite one (sfr3_adapters.read_models_sqlite):
the version guard, due-day replacement, the late-fee candidates' date range and one
candidate per charge, autopay rows by charge day (ACTIVE only) and the zones they bring,
job runs that never move backwards, clear() before a rebuild; and, DynamoDB only, what a
day costs in requests.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sfr3_adapters.dynamodb.client import RETRY_CONFIG
from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex
from sfr3_adapters.read_models_sqlite import SQLiteScheduleIndex
from sfr3_ledger import LedgerApplication, jobs
from sfr3_ledger.leases import LeaseTerms
from sfr3_ledger.read_models.schedule import (
    AutopayRow,
    LateFeeCandidate,
    LeaseRow,
    ScheduleIndex,
    ScheduleProjection,
    rebuild,
)

NY = "America/New_York"
LA = "America/Los_Angeles"


def _client(endpoint: str) -> Any:
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1", config=RETRY_CONFIG)


@pytest.fixture(params=["sqlite", "dynamodb"])
def index(request: pytest.FixtureRequest, tmp_path: Path,
          dynamodb_local: str) -> Iterator[ScheduleIndex]:
    if request.param == "sqlite":
        sqlite = SQLiteScheduleIndex(tmp_path / "read-models.db")
        yield sqlite
        sqlite.close()
        return
    dynamo = DynamoDBScheduleIndex(f"schedule-{uuid.uuid4().hex[:12]}",
                                   client=_client(dynamodb_local), page_size=7)
    dynamo.create_table()
    yield dynamo
    dynamo.client.delete_table(TableName=dynamo.table_name)


def row(resident: str = "r1", *, days: set[int] | frozenset[int] = frozenset({1}),
        zone: str = NY, version: int = 1, grace: int = 5,
        end: date | None = None) -> LeaseRow:
    return LeaseRow(resident_id=resident, lease_id=f"lease-{resident}", time_zone=zone,
                    due_days=frozenset(days), grace=((date(2025, 1, 1), grace),),
                    start_date=date(2025, 1, 1), end_date=end, version=version)


def cand(resident: str, charge: str, on: date, zone: str = NY) -> LateFeeCandidate:
    return LateFeeCandidate(time_zone=zone, assess_on=on, resident_id=resident,
                            charge_id=charge)


def test_a_lease_row_reads_back_as_written(index: ScheduleIndex) -> None:
    written = LeaseRow(resident_id="r1", lease_id="L-1", time_zone=NY,
                       due_days=frozenset({1, 15}),
                       grace=((date(2025, 1, 1), 5), (date(2025, 6, 1), 3)),
                       start_date=date(2025, 1, 1), end_date=date(2026, 1, 31), version=4)
    index.put_lease(written)
    assert index.lease_row("r1") == written
    assert index.lease_row("nobody") is None
    index.put_lease(row("r2", version=1))
    assert index.lease_row("r2") == row("r2", version=1)  # no end date


def test_an_older_version_never_overwrites_a_newer_one(index: ScheduleIndex) -> None:
    index.put_lease(row(days={1, 15}, version=3))
    index.put_lease(row(days={20}, version=2))  # a redelivered older event
    assert index.lease_row("r1") == row(days={1, 15}, version=3)
    assert index.residents_due(NY, 20) == []
    assert index.residents_due(NY, 15) == ["r1"]
    index.put_lease(row(days={1, 15}, version=3))  # the same version again: unchanged
    assert index.residents_due(NY, 1) == ["r1"]
    index.put_lease(row(days={2}, version=4))
    assert index.lease_row("r1") == row(days={2}, version=4)


def test_due_days_are_replaced_not_added(index: ScheduleIndex) -> None:
    index.put_lease(row(days={1, 15}, version=1))
    index.put_lease(row(days={1, 20}, version=2))
    assert index.residents_due(NY, 1) == ["r1"]
    assert index.residents_due(NY, 15) == []
    assert index.residents_due(NY, 20) == ["r1"]
    # A move to another zone moves every due day, and the zone list follows.
    index.put_lease(row("r2", days={1}, version=1))
    index.put_lease(row(days={1, 20}, zone=LA, version=3))
    assert index.residents_due(NY, 1) == ["r2"]
    assert index.residents_due(NY, 20) == []
    assert index.residents_due(LA, 20) == ["r1"]
    assert index.time_zones() == [LA, NY]
    index.put_lease(row("r2", days={1}, zone=LA, version=2))
    assert index.time_zones() == [LA]
    assert index.residents_due(NY, 1) == []


def test_residents_due_are_every_one_in_order_across_pages(index: ScheduleIndex) -> None:
    residents = [f"res-{n:03d}" for n in range(23)]
    for resident in reversed(residents):
        index.put_lease(row(resident, days={5, 28}))
    index.put_lease(row("other", days={5}, zone=LA))
    assert index.residents_due(NY, 5) == residents
    assert index.residents_due(NY, 28) == residents
    assert index.residents_due(LA, 5) == ["other"]
    assert index.residents_due(NY, 6) == []
    assert index.time_zones() == [LA, NY]


def ap(resident: str = "r1", *, day: int = 1, zone: str = NY, status: str = "ACTIVE",
       version: int = 1) -> AutopayRow:
    return AutopayRow(resident_id=resident, enrollment_id=f"apay-{resident}", time_zone=zone,
                      charge_day=day, status=status, version=version)


def test_autopay_rows_are_found_by_charge_day_and_guarded_by_version(
        index: ScheduleIndex) -> None:
    index.put_autopay(ap(day=5, version=3))
    index.put_autopay(ap(day=9, version=2))  # a redelivered older event
    assert index.autopay_due(NY, 5) == ["r1"]
    assert index.autopay_due(NY, 9) == []
    index.put_autopay(ap(day=5, version=3))  # the same version again: unchanged
    assert index.autopay_due(NY, 5) == ["r1"]
    # A new charge day moves the row (not added next to the old one).
    index.put_autopay(ap(day=9, version=4))
    assert index.autopay_due(NY, 5) == []
    assert index.autopay_due(NY, 9) == ["r1"]
    # Leases and autopay are separate questions.
    assert index.residents_due(NY, 9) == []
    index.put_lease(row("r2", days={9}))
    assert index.autopay_due(NY, 9) == ["r1"]


def test_only_active_enrollments_are_due(index: ScheduleIndex) -> None:
    residents = [f"res-{n:03d}" for n in range(17)]
    for resident in reversed(residents):
        index.put_autopay(ap(resident, day=28))
    assert index.autopay_due(NY, 28) == residents  # in order, across pages
    index.put_autopay(ap("res-003", day=28, status="PAUSED", version=2))
    index.put_autopay(ap("res-004", day=28, status="CANCELLED", version=2))
    due = [r for r in residents if r not in ("res-003", "res-004")]
    assert index.autopay_due(NY, 28) == due
    index.put_autopay(ap("res-003", day=28, status="ACTIVE", version=3))  # resumed
    assert index.autopay_due(NY, 28) == sorted([*due, "res-003"])
    # Paused, then changed to another day while paused, then resumed: found on the new day.
    index.put_autopay(ap("res-005", day=28, status="PAUSED", version=2))
    index.put_autopay(ap("res-005", day=2, status="PAUSED", version=3))
    assert index.autopay_due(NY, 2) == []
    index.put_autopay(ap("res-005", day=2, status="ACTIVE", version=4))
    assert index.autopay_due(NY, 2) == ["res-005"]
    assert "res-005" not in index.autopay_due(NY, 28)
    assert index.autopay_due(LA, 28) == []


def test_enrollments_bring_their_zones(index: ScheduleIndex) -> None:
    index.put_autopay(ap("r1", zone=LA))
    assert index.time_zones() == [LA]
    index.put_lease(row("r2", zone=NY))
    assert index.time_zones() == [LA, NY]
    # Paused still counts (a resume must find its zone scheduled); cancelled does not.
    index.put_autopay(ap("r1", zone=LA, status="PAUSED", version=2))
    assert index.time_zones() == [LA, NY]
    index.put_autopay(ap("r1", zone=LA, status="CANCELLED", version=3))
    assert index.time_zones() == [NY]
    index.put_autopay(ap("r1", zone=LA, status="CANCELLED", version=3))  # replayed
    assert index.time_zones() == [NY]
    # A new enrollment after the cancellation (the aggregate's version goes on).
    index.put_autopay(ap("r1", zone=LA, version=4))
    assert index.time_zones() == [LA, NY]
    # Two enrollments in a zone: it stays while either is there; a lease and an
    # enrollment in the same zone likewise.
    index.put_autopay(ap("r3", zone=LA))
    index.put_autopay(ap("r1", zone=LA, status="CANCELLED", version=5))
    assert index.time_zones() == [LA, NY]
    index.put_autopay(ap("r3", zone=LA, status="CANCELLED", version=2))
    assert index.time_zones() == [NY]
    index.put_autopay(ap("r4", zone=NY))
    index.put_lease(row("r2", zone=LA, version=2))
    assert index.time_zones() == [LA, NY]
    index.put_autopay(ap("r4", zone=NY, status="CANCELLED", version=2))
    assert index.time_zones() == [LA]
    # An enrollment whose zone changes (a new enrollment after a move) moves its count.
    index.put_autopay(ap("r5", zone=NY))
    index.put_autopay(ap("r5", zone=LA, version=2))
    assert index.time_zones() == [LA]
    assert index.autopay_due(NY, 1) == [] and index.autopay_due(LA, 1) == ["r5"]


def test_late_candidates_up_to_a_day_oldest_first(index: ScheduleIndex) -> None:
    index.add_late_candidate(cand("r2", "c-2", date(2025, 3, 7)))
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))
    index.add_late_candidate(cand("r3", "c-3", date(2025, 3, 2)))
    index.add_late_candidate(cand("r4", "c-4", date(2025, 3, 8)))
    index.add_late_candidate(cand("r5", "c-5", date(2025, 3, 1), zone=LA))
    assert index.late_candidates(NY, date(2025, 3, 1)) == []
    assert index.late_candidates(NY, date(2025, 3, 7)) == [
        cand("r3", "c-3", date(2025, 3, 2)),
        cand("r1", "c-1", date(2025, 3, 7)),
        cand("r2", "c-2", date(2025, 3, 7)),
    ]
    assert len(index.late_candidates(NY, date(2025, 12, 31))) == 4
    assert index.late_candidates(LA, date(2025, 3, 31)) == [
        cand("r5", "c-5", date(2025, 3, 1), zone=LA)]


def test_one_candidate_per_charge_and_removals(index: ScheduleIndex) -> None:
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))  # replayed
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 9)))  # a new assess date
    assert index.late_candidates(NY, date(2025, 3, 31)) == [cand("r1", "c-1", date(2025, 3, 9))]
    # Removing a stale candidate (the old date) leaves the current one.
    index.remove_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))
    assert index.late_candidates(NY, date(2025, 3, 31)) == [cand("r1", "c-1", date(2025, 3, 9))]
    index.remove_late_candidate(cand("r1", "c-1", date(2025, 3, 9)))
    assert index.late_candidates(NY, date(2025, 3, 31)) == []
    index.remove_late_candidate(cand("r1", "c-1", date(2025, 3, 9)))  # twice: harmless
    # After a removal the charge can be a candidate again (a replayed ChargePosted).
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 9)))
    assert index.late_candidates(NY, date(2025, 3, 31)) == [cand("r1", "c-1", date(2025, 3, 9))]

    index.add_late_candidate(cand("r1", "c-2", date(2025, 4, 7)))
    index.add_late_candidate(cand("r2", "c-1", date(2025, 4, 7)))
    index.remove_late_candidates_for("r1", "c-1")
    index.remove_late_candidates_for("r1", "c-1")
    index.remove_late_candidates_for("nobody", "c-9")
    assert index.late_candidates(NY, date(2025, 12, 31)) == [
        cand("r1", "c-2", date(2025, 4, 7)), cand("r2", "c-1", date(2025, 4, 7))]
    index.remove_late_candidates_for("r1", "c-2")
    index.add_late_candidate(cand("r1", "c-2", date(2025, 4, 8)))
    assert index.late_candidates(NY, date(2025, 4, 8)) == [
        cand("r2", "c-1", date(2025, 4, 7)), cand("r1", "c-2", date(2025, 4, 8))]


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


def _count_requests(client: Any) -> list[str]:
    calls: list[str] = []

    def hook(model: Any, **_: Any) -> None:
        calls.append(model.name)

    client.meta.events.register("before-call.dynamodb", hook)
    return calls


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
    calls = _count_requests(client)

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


def test_a_removal_that_keeps_conflicting_raises_and_removes_nothing(
        dynamodb_local: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A removal whose transaction conflicts on every attempt must fail (the projection
    retries its batch), not delete the candidate row alone: the pointer left behind would
    make a replayed add of the same candidate a no-op, and the late fee would be lost."""
    index = DynamoDBScheduleIndex(f"schedule-{uuid.uuid4().hex[:12]}",
                                  client=_client(dynamodb_local))
    index.create_table()  # DynamoDB only: SQLite removes row and pointer in one statement
    candidate = cand("r1", "c-1", date(2025, 3, 7))
    index.add_late_candidate(candidate)
    conflict = ClientError({"Error": {"Code": "TransactionCanceledException",
                                      "Message": "Transaction cancelled"},
                            "CancellationReasons": [{"Code": "TransactionConflict"},
                                                    {"Code": "None"}]}, "TransactWriteItems")

    def always_conflicts(writes: Any) -> None:
        raise conflict

    monkeypatch.setattr(index, "_transact", always_conflicts)
    monkeypatch.setattr("sfr3_adapters.dynamodb.late_fee_candidates._pause", lambda _: None)
    with pytest.raises(ClientError):
        index.remove_late_candidate(candidate)
    monkeypatch.undo()
    assert index.late_candidates(NY, date(2025, 3, 31)) == [candidate]
    index.remove_late_candidate(candidate)  # the retried batch
    assert index.late_candidates(NY, date(2025, 3, 31)) == []
    index.add_late_candidate(candidate)  # and a replayed add is not taken as already there
    assert index.late_candidates(NY, date(2025, 3, 31)) == [candidate]
    index.client.delete_table(TableName=index.table_name)
