"""The daily jobs: plan from the read model, fan out per resident, do idempotent work.

A job run is one (job, time zone, day): the scheduler fires it at the job's local time in
each zone that has leases (recurring charges 00:30, late fees 23:00 by default). Planning
reads only the schedule index (never every resident): the residents due on each day
since the zone's last run, or the late-fee candidates up to today. Each resident becomes
one `WorkItem` on a queue (SQS deployed, in-process locally); a worker does the item
against that resident's own aggregates. Every step is idempotent:

- recurring charges are posted under deterministic ids (`<leaseId>:<code>:<YYYY-MM>`),
  which the ledger refuses twice, so two runs, a resumed run or an overlapping catch-up
  post each charge once, with its own due date;
- a late fee is `late_<chargeId>`, once per charge by the ledger's own rule;
- the run is recorded only after every item was queued, so a crash mid-planning re-plans
  from the same last run; a crash mid-work is retried by the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

import attrs

from sfr3_ledger.errors import ChargeNotFound
from sfr3_ledger.late_fees import late_fees_due
from sfr3_ledger.read_models.schedule import LateFeeCandidate, ScheduleIndex
from sfr3_ledger.schedules import days, period_of
from sfr3_ledger.values import ChargeType

if TYPE_CHECKING:
    from sfr3_ledger.application import LedgerApplication

log = logging.getLogger(__name__)

JobName = Literal["recurring-charges", "late-fees"]
JOBS: tuple[JobName, ...] = ("recurring-charges", "late-fees")
# How far back a run catches up after missed days (and the first run's own day only).
MAX_CATCH_UP_DAYS = 31
SYSTEM_ACTOR = "system:jobs"


@attrs.frozen
class WorkItem:
    """One resident's share of a job run: what a worker (or SQS message) carries."""

    job: JobName
    resident_id: str
    time_zone: str
    first: date
    last: date
    charge_id: str | None = None
    assess_on: date | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"job": self.job, "residentId": self.resident_id, "timeZone": self.time_zone,
                "first": self.first.isoformat(), "last": self.last.isoformat(),
                "chargeId": self.charge_id,
                "assessOn": self.assess_on.isoformat() if self.assess_on else None}

    @classmethod
    def from_json(cls, data: dict[str, str | None]) -> WorkItem:
        job = str(data["job"])
        if job not in JOBS:
            raise ValueError(f"unknown job {job!r}")
        assess = data.get("assessOn")
        return cls(job=job,
                   resident_id=str(data["residentId"]), time_zone=str(data["timeZone"]),
                   first=date.fromisoformat(str(data["first"])),
                   last=date.fromisoformat(str(data["last"])),
                   charge_id=data.get("chargeId"),
                   assess_on=date.fromisoformat(assess) if assess else None)


class WorkQueue(Protocol):
    def send(self, items: Sequence[WorkItem]) -> None:
        """Queue every item (or raise: then the run is not recorded and is re-planned)."""


@attrs.frozen
class RunReport:
    job: JobName
    time_zone: str
    day: date
    first: date
    queued: int


def plan(index: ScheduleIndex, job: JobName, time_zone: str, day: date) -> list[WorkItem]:
    """The work of one run, from the read model alone."""
    if job == "recurring-charges":
        last = index.last_run(job, time_zone)
        first = day if last is None else last + timedelta(days=1)
        first = max(first, day - timedelta(days=MAX_CATCH_UP_DAYS))
        if first > day:  # already ran for this day (or later): re-post today's, harmlessly
            first = day
        residents: dict[str, None] = {}
        for d in days(first, day):
            for resident_id in index.residents_due(time_zone, d.day):
                residents[resident_id] = None
        return [WorkItem(job, r, time_zone, first, day) for r in residents]
    return [WorkItem(job, c.resident_id, time_zone, c.assess_on, day, charge_id=c.charge_id,
                     assess_on=c.assess_on)
            for c in index.late_candidates(time_zone, day)]


def run(index: ScheduleIndex, queue: WorkQueue, job: JobName, time_zone: str,
        day: date) -> RunReport:
    """Plan, queue, then record the run (the queue's workers do the rest)."""
    items = plan(index, job, time_zone, day)
    for start in range(0, len(items), 100):
        queue.send(items[start:start + 100])
    index.record_run(job, time_zone, day)
    first = min((i.first for i in items), default=day)
    log.info("job %s %s %s: %d items", job, time_zone, day, len(items))
    return RunReport(job=job, time_zone=time_zone, day=day, first=first, queued=len(items))


Outcome = Literal["posted", "nothing due", "no lease", "fined", "paid", "not yet due",
                  "not a rent charge", "lease ended", "already fined"]


class Worker:
    """Does one WorkItem against the resident's aggregates; safe to repeat."""

    def __init__(self, app: LedgerApplication, index: ScheduleIndex) -> None:
        self.app = app
        self.index = index

    def __call__(self, item: WorkItem) -> Outcome:
        if item.job == "recurring-charges":
            return self.post_due_charges(item.resident_id, item.first, item.last)
        assert item.charge_id is not None and item.assess_on is not None
        outcome = self.assess_late_fee(item.resident_id, item.charge_id, item.last)
        if outcome != "not yet due":
            self.index.remove_late_candidate(LateFeeCandidate(
                time_zone=item.time_zone, assess_on=item.assess_on,
                resident_id=item.resident_id, charge_id=item.charge_id))
        return outcome

    def post_due_charges(self, resident_id: str, first: date, last: date) -> Outcome:
        lease = self.app.find_lease(resident_id)
        if lease is None:
            return "no lease"
        due = lease.scheduled_charges(first, last)
        for scheduled in due:
            self.app.post_charge(
                resident_id, charge_id=scheduled.charge_id, amount=scheduled.amount,
                charge_type=scheduled.charge_type, description=scheduled.description,
                due_date=scheduled.due_date, actor=SYSTEM_ACTOR,
                property_id=lease.property_id, us_state=lease.us_state)
        return "posted" if due else "nothing due"

    def assess_late_fee(self, resident_id: str, charge_id: str, today: date) -> Outcome:
        lease = self.app.find_lease(resident_id)
        if lease is None:
            return "no lease"
        if lease.end_date is not None and today > lease.end_date:
            return "lease ended"
        ledger = self.app.ledger(resident_id)
        charge = ledger.charges.get(charge_id)
        if charge is None or charge.remaining <= 0:
            return "paid"  # paid in full (or paid and archived)
        if charge.charge_type != ChargeType.RENT:
            return "not a rent charge"
        if charge_id in ledger.late_fees:
            return "already fined"
        terms = lease.terms_for(period_of(charge.effective_due))
        fees = dict(late_fees_due(ledger, terms.policy, today))
        if charge_id not in fees:
            return "not yet due"
        try:
            # The resident's email goes out from the late_fee.applied event, like a charge's.
            self.app.apply_late_fee(resident_id, charge_id, amount=fees[charge_id],
                                    actor=SYSTEM_ACTOR, due_date=today)
        except ChargeNotFound:
            return "paid"
        return "fined"
