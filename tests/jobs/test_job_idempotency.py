"""The daily jobs post exactly the expected facts: twice, killed halfway, after missed days.

On every ledger backend (POPO, SQLite, DynamoDB Local), with the SQLite schedule index
fed from the notification log as the local backbone feeds it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date

import pytest

from sfr3_adapters.read_models_sqlite import SQLiteScheduleIndex
from sfr3_ledger import LedgerApplication, ResidentLedger
from sfr3_ledger.jobs import JobName, Worker, WorkItem, run
from sfr3_ledger.leases import LeaseTerms, RecurringCharge
from sfr3_ledger.read_models.schedule import ScheduleProjection

ZONE = "America/Chicago"
RESIDENTS = [f"res-job-{i}" for i in range(6)]


class Crash(Exception):
    pass


class Queue:
    """In-process queue; `crash_after` kills the run after that many items (mid-run)."""

    def __init__(self, worker: Worker, crash_after: int | None = None) -> None:
        self.worker, self.crash_after, self.done = worker, crash_after, 0

    def send(self, items: Sequence[WorkItem]) -> None:
        for item in items:
            if self.crash_after is not None and self.done >= self.crash_after:
                raise Crash()
            self.worker(item)
            self.done += 1


class Harness:
    def __init__(self, env: dict[str, str]) -> None:
        self.app = LedgerApplication(env=env)
        self.index = SQLiteScheduleIndex(":memory:")
        self.projection = ScheduleProjection(self.index, self.app.find_lease)
        self.position = 0
        for i, rid in enumerate(RESIDENTS):
            self.app.start_lease(
                rid, lease_id=f"lse_{rid}", property_id=f"home-{i}", us_state="TX",
                start_date=date(2027, 3, 1), actor="pm",
                terms=LeaseTerms(monthly_rent=150_000 + i, rent_due_day=1 + i % 3,
                                 recurring=[RecurringCharge("water", "UTILITY", 4_000,
                                                            "Water", 15)]))
        self.feed()

    def feed(self) -> None:
        while notes := self.app.recorder.select_notifications(
                start=self.position, limit=500, inclusive_of_start=False):
            self.projection.process([self.app.mapper.to_domain_event(n) for n in notes])
            self.position = notes[-1].id

    def run(self, job: JobName, day: date, crash_after: int | None = None) -> None:
        self.feed()
        run(self.index, Queue(Worker(self.app, self.index), crash_after), job, ZONE, day)
        self.feed()

    def charges(self) -> Counter[str]:
        """Every ChargePosted / LateFeeApplied stored, by charge id (duplicates show)."""
        seen: Counter[str] = Counter()
        for rid in RESIDENTS:
            for e in self.app.events.get(ResidentLedger.create_id(rid)):
                if isinstance(e, (ResidentLedger.ChargePosted, ResidentLedger.LateFeeApplied)):
                    seen[e.charge_id] += 1
        return seen


def expected_rent(day: date) -> set[str]:
    """Rent and water due on or before `day` in March 2027."""
    out = set()
    for i, rid in enumerate(RESIDENTS):
        if day.day >= 1 + i % 3:
            out.add(f"lse_{rid}:rent:2027-03")
        if day.day >= 15:
            out.add(f"lse_{rid}:water:2027-03")
    return out


@pytest.fixture
def harness(ledger_env: dict[str, str]) -> Harness:
    return Harness(ledger_env)


def test_a_job_run_twice_posts_once(harness: Harness) -> None:
    for day in (1, 2, 3):
        harness.run("recurring-charges", date(2027, 3, day))
        harness.run("recurring-charges", date(2027, 3, day))
    assert set(harness.charges()) == expected_rent(date(2027, 3, 3))
    assert max(harness.charges().values()) == 1


def test_a_run_killed_halfway_and_resumed_posts_each_charge_once(harness: Harness) -> None:
    harness.run("recurring-charges", date(2027, 3, 1))
    with pytest.raises(Crash):
        harness.run("recurring-charges", date(2027, 3, 2), crash_after=1)
    # The crashed run was not recorded: the next run (same day) re-plans all of it.
    assert harness.index.last_run("recurring-charges", ZONE) == date(2027, 3, 1)
    harness.run("recurring-charges", date(2027, 3, 2))
    assert set(harness.charges()) == expected_rent(date(2027, 3, 2))
    assert max(harness.charges().values()) == 1


def test_a_run_after_three_missed_days_catches_up_with_proper_due_dates(
    harness: Harness,
) -> None:
    harness.run("recurring-charges", date(2027, 2, 28))  # the day before the lease starts
    harness.run("recurring-charges", date(2027, 3, 4))  # 1st, 2nd and 3rd were missed
    assert set(harness.charges()) == expected_rent(date(2027, 3, 4))
    for i, rid in enumerate(RESIDENTS):
        rent = harness.app.ledger(rid).charges[f"lse_{rid}:rent:2027-03"]
        assert rent.due_date == date(2027, 3, 1 + i % 3)
        assert (rent.property_id, rent.us_state) == (f"home-{i}", "TX")


def test_late_fees_once_only_for_unpaid_rent_after_grace(harness: Harness) -> None:
    app = harness.app
    for day in (1, 2, 3):
        harness.run("recurring-charges", date(2027, 3, day))
    payer = RESIDENTS[0]  # due the 1st, pays in full within its grace period
    method = app.enroll_payment_method(payer, provider_id="pm_card_visa", method_type="CARD",
                                       last4="4242", actor=payer).method_id
    pid = app.initiate_payment(payer, amount=app.ledger(payer).payable, method_id=method,
                               actor=payer).payment.payment_id
    app.settle_payment(payer, pid, stripe_ref="pi_1")
    for day in range(1, 12):
        harness.run("late-fees", date(2027, 3, day))
        harness.run("late-fees", date(2027, 3, day))
    fined = {rid for rid in RESIDENTS if app.ledger(rid).late_fees}
    assert fined == set(RESIDENTS) - {payer}
    for rid in fined:
        [fee_id] = app.ledger(rid).late_fees.values()
        assert app.ledger(rid).charges[fee_id].amount == 5_000  # the default flat fee
    assert max(harness.charges().values()) == 1
    # Nothing is left to decide: a quiet day reads an empty range.
    assert harness.index.late_candidates(ZONE, date(2027, 3, 31)) == []


def test_a_payment_in_flight_holds_off_the_late_fee_until_it_fails(harness: Harness) -> None:
    app = harness.app
    harness.run("recurring-charges", date(2027, 3, 1))
    rid = RESIDENTS[0]  # due the 1st, grace 5 days
    method = app.enroll_payment_method(rid, provider_id="pm_usBankAccount_success",
                                       method_type="ACH", last4="6789", actor=rid).method_id
    pid = app.initiate_payment(rid, amount=app.ledger(rid).payable, method_id=method,
                               actor=rid).payment.payment_id  # an ACH debit, days to settle
    harness.run("late-fees", date(2027, 3, 7))
    assert app.ledger(rid).late_fees == {}, "fined although a payment made in time is in flight"
    app.fail_payment(rid, pid, reason="insufficient_funds")  # R01, returned on the 8th
    harness.run("late-fees", date(2027, 3, 8))
    assert list(app.ledger(rid).late_fees) == [f"lse_{rid}:rent:2027-03"]
