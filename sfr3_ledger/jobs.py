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

from sfr3_ledger.autopay import (
    ACTIVE,
    AUTOPAY_ACTOR,
    REMINDER_DAYS,
    AutopayEnrollment,
    payment_id_for,
)
from sfr3_ledger.errors import AmountExceedsBalance, ChargeNotFound, NoBalanceDue
from sfr3_ledger.late_fees import late_fees_due
from sfr3_ledger.payment_errors import PaymentDeclined
from sfr3_ledger.read_models.schedule import LateFeeCandidate, ScheduleIndex
from sfr3_ledger.schedules import days, next_period, period_name, period_of
from sfr3_ledger.values import MIN_PAYMENT_CENTS, ChargeType, PaymentStatus

if TYPE_CHECKING:
    from sfr3_ledger.application import LedgerApplication
    from sfr3_ledger.autopay_runs import AutopaySweeps
    from sfr3_ledger.ledger import ResidentLedger
    from sfr3_ledger.payment_service import PaymentService

log = logging.getLogger(__name__)

JobName = Literal["recurring-charges", "autopay-sweep", "autopay-reminders", "late-fees"]
# In the order a property day runs them (00:05, 06:00, 09:00, 23:00 by default).
JOBS: tuple[JobName, ...] = ("recurring-charges", "autopay-sweep", "autopay-reminders",
                             "late-fees")
# How far back a run catches up after missed days (and the first run's own day only).
MAX_CATCH_UP_DAYS = 31
SYSTEM_ACTOR = "system:jobs"
# The item of an autopay sweep run with nothing due: it only stores the run's summary.
RUN_CLOSER = "*run*"


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
    if job in ("recurring-charges", "autopay-sweep", "autopay-reminders"):
        last = index.last_run(job, time_zone)
        first = day if last is None else last + timedelta(days=1)
        first = max(first, day - timedelta(days=MAX_CATCH_UP_DAYS))
        if first > day:  # already ran for this day (or later): redo today's, harmlessly
            first = day
        if job == "autopay-reminders":
            return _reminders(index, time_zone, first, day)
        due = index.residents_due if job == "recurring-charges" else index.autopay_due
        residents: dict[str, None] = {}
        for d in days(first, day):
            for resident_id in due(time_zone, d.day):
                residents[resident_id] = None
        return [WorkItem(job, r, time_zone, first, day) for r in residents]
    return [WorkItem(job, c.resident_id, time_zone, c.assess_on, day, charge_id=c.charge_id,
                     assess_on=c.assess_on)
            for c in index.late_candidates(time_zone, day)]


def _reminders(index: ScheduleIndex, time_zone: str, first: date, day: date) -> list[WorkItem]:
    """Reminders for the charges REMINDER_DAYS after each day since the last run; one
    whose charge date has already come is not sent (the charge itself is the news)."""
    items = []
    for d in days(first, day):
        charge_date = d + timedelta(days=REMINDER_DAYS)
        if charge_date < day + timedelta(days=1):
            continue
        items += [WorkItem("autopay-reminders", r, time_zone, charge_date, charge_date)
                  for r in index.autopay_due(time_zone, charge_date.day)]
    return items


def run(index: ScheduleIndex, queue: WorkQueue, job: JobName, time_zone: str,
        day: date, *, sweeps: AutopaySweeps | None = None) -> RunReport:
    """Plan, queue, then record the run (the queue's workers do the rest). `sweeps`: the
    autopay sweep's tally, told the plan before anything is queued (autopay_runs.py)."""
    items = plan(index, job, time_zone, day)
    if job == "autopay-sweep" and sweeps is not None:
        planned = sweeps.planned(time_zone, day, [i.resident_id for i in items])
        first = min((i.first for i in items), default=day)
        queued = {i.resident_id for i in items}
        items += [WorkItem(job, r, time_zone, first, day) for r in planned if r not in queued]
        if not items:  # a worker closes the run (its summary is a ledger write)
            items = [WorkItem(job, RUN_CLOSER, time_zone, day, day)]
    for start in range(0, len(items), 100):
        queue.send(items[start:start + 100])
    index.record_run(job, time_zone, day)
    first = min((i.first for i in items), default=day)
    log.info("job %s %s %s: %d items", job, time_zone, day, len(items))
    return RunReport(job=job, time_zone=time_zone, day=day, first=first, queued=len(items))


Outcome = Literal["posted", "nothing due", "no lease", "fined", "paid", "not yet due",
                  "not a rent charge", "lease ended", "already fined", "not enrolled",
                  "charged", "declined", "skipped", "already done", "reminded",
                  "payment pending"]


class Worker:
    """Does one WorkItem against the resident's aggregates; safe to repeat."""

    def __init__(self, app: LedgerApplication, index: ScheduleIndex,
                 payments: PaymentService | None = None,
                 sweeps: AutopaySweeps | None = None) -> None:
        self.app = app
        self.index = index
        self.payments = payments
        self.sweeps = sweeps

    def __call__(self, item: WorkItem) -> Outcome:
        if item.job == "recurring-charges":
            return self.post_due_charges(item.resident_id, item.first, item.last)
        if item.job == "autopay-sweep":
            return self.autopay_sweep(item.resident_id, item.first, item.last,
                                      time_zone=item.time_zone)
        if item.job == "autopay-reminders":
            return self.autopay_reminder(item.resident_id, item.first)
        assert item.charge_id is not None and item.assess_on is not None
        outcome = self.assess_late_fee(item.resident_id, item.charge_id, item.last)
        if outcome not in ("not yet due", "payment pending"):
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
        if _covered_by_pending(ledger, charge_id):
            # A payment made in time is still in flight (an ACH debit takes days): no fee
            # while it is; if it fails, the candidate is still there for the next run.
            return "payment pending"
        try:
            # The resident's email goes out from the late_fee.applied event, like a charge's.
            self.app.apply_late_fee(resident_id, charge_id, amount=fees[charge_id],
                                    actor=SYSTEM_ACTOR, due_date=today)
        except ChargeNotFound:
            return "paid"
        return "fined"

    # ---- autopay ------------------------------------------------------------------------

    def autopay_sweep(self, resident_id: str, first: date, last: date, *,
                      time_zone: str | None = None) -> Outcome:
        """Pay each charge date of an ACTIVE enrollment in [first, last], once per period.

        Through the API's own path (PaymentService.pay: reservation first, Stripe key from
        the payment id `pay_auto_<enrollment>_<YYYY-MM>`), for min(payable, cap): a payment
        made by hand meanwhile is already counted in `payable`, so autopay never overpays.
        With `sweeps` and the item's `time_zone`, the outcome is tallied for the run
        (zone, `last`) once, which completes the run's summary when it is the last.
        """
        if resident_id == RUN_CLOSER:  # an empty run: only its summary to store
            if self.sweeps is not None and time_zone is not None:
                self.sweeps.complete_if_done(time_zone, last)
            return "nothing due"
        outcome, amount = self._autopay_sweep(resident_id, first, last)
        if self.sweeps is not None and time_zone is not None:
            tallied, cents = (outcome, amount) if outcome != "already done" else \
                self._recorded_outcome(resident_id, first, last)
            self.sweeps.recorded(time_zone, last, resident_id, tallied, cents)
        return outcome

    def _recorded_outcome(self, resident_id: str, first: date, last: date
                          ) -> tuple[Outcome, int]:
        """What the enrollment recorded for the periods charged in [first, last]: the tally
        counts the ledger's fact, whichever delivery of the item records first (two sweeps
        of one run at once: the second finds the period done before the first tallied it)."""
        enrollment = self.app.find_autopay(resident_id)
        if enrollment is None:
            return "already done", 0
        outcome: Outcome = "already done"
        total = 0
        period = period_of(first)
        while period <= last:
            record = enrollment.outcomes.get(period_name(period))
            if record is not None and first <= enrollment.charge_date(period) <= last:
                kind, ref, cents = record
                if kind == "SKIPPED":
                    outcome = "skipped"
                else:
                    failed = self.app.ledger(resident_id).payments.get(ref)
                    outcome = "declined" if failed is not None and \
                        failed.status == PaymentStatus.FAILED else "charged"
                    total += cents
            period = next_period(period)
        return outcome, total

    def _autopay_sweep(self, resident_id: str, first: date, last: date
                       ) -> tuple[Outcome, int]:
        enrollment = self.app.find_autopay(resident_id)
        if enrollment is None or enrollment.status != ACTIVE:
            return "not enrolled", 0
        assert enrollment.enrollment_id is not None and self.payments is not None
        method = self.app.payment_methods(resident_id).methods.get(enrollment.method_id)
        if method is None or not method.active:  # removed in a race with its pause
            self.app.method_removed(resident_id, enrollment.method_id, actor=AUTOPAY_ACTOR)
            return "not enrolled", 0
        outcome: Outcome = "nothing due"
        total = 0
        period = period_of(first)
        while period <= last:
            charge_date = enrollment.charge_date(period)
            if first <= charge_date <= last:
                outcome, amount = self._autopay_period(enrollment, period, charge_date)
                total += amount
            period = next_period(period)
        return outcome, total

    def _autopay_period(self, enrollment: AutopayEnrollment, period: date,
                        charge_date: date) -> tuple[Outcome, int]:
        """What one period came to, and the cents charged (or declined) for it."""
        rid, name = enrollment.resident_id, period_name(period)
        if name in enrollment.outcomes:
            return "already done", 0
        assert enrollment.enrollment_id is not None and self.payments is not None
        pid = payment_id_for(enrollment.enrollment_id, period)
        ledger = self.app.ledger(rid)
        existing = ledger.payments.get(pid)
        if existing is not None:  # a run that crashed after paying: finish its record
            if existing.status == PaymentStatus.PENDING and existing.stripe_ref is None:
                self.payments.resubmit(rid, pid)
            self.app.record_autopay_charged(rid, period=period, payment_id=pid,
                                            amount=existing.amount, charge_date=charge_date)
            return "charged", existing.amount
        amount = enrollment.amount_for(ledger.payable)
        if amount < MIN_PAYMENT_CENTS:
            self.app.record_autopay_skipped(
                rid, period=period, charge_date=charge_date,
                reason="nothing payable" if ledger.payable <= 0 else "below the minimum")
            return "skipped", 0
        outcome: Outcome = "charged"
        try:
            # An ACH debit names the resident's mandate (made at enrollment; cards need
            # none). The payment records it, so its retries and re-drives name it too.
            self.payments.pay(rid, amount=amount, method_id=enrollment.method_id,
                              actor=AUTOPAY_ACTOR, payment_id=pid,
                              mandate_id=enrollment.mandate_id)
        except (NoBalanceDue, AmountExceedsBalance):
            # Paid by hand in the same moment: the reservation counted it first.
            self.app.record_autopay_skipped(rid, period=period, charge_date=charge_date,
                                            reason="nothing payable")
            return "skipped", 0
        except PaymentDeclined:
            outcome = "declined"  # recorded FAILED; the payment.failed mail tells the resident
        self.app.record_autopay_charged(rid, period=period, payment_id=pid, amount=amount,
                                        charge_date=charge_date)
        return outcome, amount

    def autopay_reminder(self, resident_id: str, charge_date: date) -> Outcome:
        enrollment = self.app.find_autopay(resident_id)
        if enrollment is None or enrollment.status != ACTIVE:
            return "not enrolled"
        period = period_of(charge_date)
        if enrollment.charge_date(period) != charge_date:
            return "nothing due"
        method = self.app.payment_methods(resident_id).methods.get(enrollment.method_id)
        if method is None or not method.active:
            return "not enrolled"
        payable = max(self.app.ledger(resident_id).payable, 0)
        sent = self.app.record_autopay_reminder(
            resident_id, period=period, charge_date=charge_date, method_label=method.label,
            last4=method.last4, amount=enrollment.amount_for(payable))
        return "reminded" if sent else "already done"


def _covered_by_pending(ledger: ResidentLedger, charge_id: str) -> bool:
    """Would the payments in flight pay `charge_id`, allocated oldest due first as the
    ledger allocates settled money?"""
    pending = ledger.pending_total
    for outstanding in ledger.outstanding_charges():
        pending -= outstanding.remaining
        if outstanding.charge.charge_id == charge_id:
            return pending >= 0
    return False
