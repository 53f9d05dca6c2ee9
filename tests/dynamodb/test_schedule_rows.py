"""The schedule index's lease and autopay rows, one behaviour suite on SQLite and on DynamoDB
Local (the `index` fixture in conftest.py).

The DynamoDB index must behave exactly as the SQLite one (sfr3_adapters.read_models_sqlite):
the version guard, due-day replacement, residents due in order across pages, autopay rows
by charge day (ACTIVE only) and the zones leases and enrollments bring.
"""

from __future__ import annotations

from datetime import date

from sfr3_ledger.read_models.schedule import LeaseRow, ScheduleIndex
from tests.dynamodb.schedule_support import LA, NY, ap, row


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
