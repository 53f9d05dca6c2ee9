"""The schedules' laws: recurring charges and late fees, as a hypothesis state machine.

One leased resident; days go by (or are missed), the resident pays, staff change the
terms or end the lease, and the daily jobs run as deployed: recurring charges at the
start of each property day, late fees at its end, planned from the schedule read model
(fed from the notification log) and worked by the same `Worker`. After every step:

- every charge the lease makes due up to today (and its end date) is posted exactly once,
  with the amount of the terms in force for its period, and nothing else is posted;
- terms changed on a day apply from the next period, never to the running one;
- a rent charge gets a late fee iff it was still unpaid when the late-fee run of a day
  after its grace period came, while the lease was in force; never two; its amount is
  the period's policy applied to the rent.
- autopay charges only while ACTIVE; its mandate revoked (Stripe's `mandate.updated`)
  pauses it, and it never charges again under that mandate: resume is refused until a
  new mandate is enrolled.

Run with `check_schedule_laws(env)` against any backend (`laws.py` does the ledger's).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sfr3_ledger.application import LedgerApplication
from sfr3_ledger.autopay import MandateRevokedError
from sfr3_ledger.jobs import JobName, Worker, WorkItem, run
from sfr3_ledger.late_fees import LateFeePolicy
from sfr3_ledger.laws_support import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_laws,
    st,
)
from sfr3_ledger.leases import LeaseTerms
from sfr3_ledger.paid_charge_books import late_fee_of
from sfr3_ledger.payment_provider import PaymentIntentResult
from sfr3_ledger.payment_service import PaymentService
from sfr3_ledger.read_models.schedule import ScheduleIndex, ScheduleProjection
from sfr3_ledger.schedules import next_period, period_name, period_of

START = date(2027, 1, 1)
ZONE = "America/Chicago"

TERMS = st.builds(
    lambda rent, day, grace, flat, pct: LeaseTerms(
        monthly_rent=rent, rent_due_day=day, grace_days=grace,
        late_fee=LateFeePolicy(flat_cents=flat) if pct is None
        else LateFeePolicy(flat_cents=None, percent_bps=pct, cap_cents=10_000)),
    rent=st.integers(min_value=50_000, max_value=400_000),
    day=st.integers(min_value=1, max_value=28),
    grace=st.integers(min_value=0, max_value=7),
    flat=st.integers(min_value=1, max_value=20_000),
    pct=st.one_of(st.none(), st.integers(min_value=1, max_value=1_000)),
)


class _Provider:
    """A provider that accepts every PaymentIntent (processing); settlement is the law's."""

    def create_payment_intent(self, *, payment_id: str, amount: int, currency: str,
                              **_: Any) -> PaymentIntentResult:
        return PaymentIntentResult(id=f"pi_{payment_id}", status="processing", amount=amount,
                                   currency=currency)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the laws do not call the provider's {name}")


class _Queue:
    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def send(self, items: Sequence[WorkItem]) -> None:
        for item in items:
            self.worker(item)


def schedule_laws(env: Mapping[str, str],
                  make_index: Any) -> type[RuleBasedStateMachine]:
    app = LedgerApplication(env=dict(env))
    service = PaymentService(app, _Provider())

    class ScheduleLaws(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.app = app
            self.resident = f"res-{uuid.uuid4().hex}"
            self.index: ScheduleIndex = make_index()
            self.projection = ScheduleProjection(self.index, app.find_lease, app.find_autopay)
            self.position = app.recorder.max_notification_id() or 0
            self.today = START
            self.terms_history: list[tuple[date, LeaseTerms]] = []
            self.end_date: date | None = None
            self.expected_fees: dict[str, int] = {}
            self.never_fined: set[str] = set()
            self.method = app.enroll_payment_method(
                self.resident, provider_id="pm_card_visa", method_type="CARD",
                last4="4242", actor=self.resident).method_id
            app.link_customer(self.resident, f"cus_{self.resident}")
            self.started = False
            self.autopay: str | None = None  # ACTIVE, PAUSED, CANCELLED once enrolled
            self.mandate: str | None = None  # the enrollment's mandate (a bank account)
            self.revoked = False  # Stripe reported that mandate inactive
            self.autopay_day = 1

        # ---- plumbing -----------------------------------------------------------------

        def feed(self) -> None:
            """The projection follows the log, as the backbone / stream processor does."""
            while True:
                notes = app.recorder.select_notifications(
                    start=self.position, limit=500, inclusive_of_start=False)
                if not notes:
                    return
                self.projection.process([app.mapper.to_domain_event(n) for n in notes])
                self.position = notes[-1].id

        def run_job(self, job: JobName, day: date) -> None:
            self.feed()
            run(self.index, _Queue(Worker(app, self.index, service)), job, ZONE, day)
            self.feed()

        def terms_for(self, period: date) -> LeaseTerms:
            chosen = self.terms_history[0][1]
            for effective, terms in self.terms_history:
                if effective <= period:
                    chosen = terms
            return chosen

        def rent_id(self, period: date) -> str:
            return f"lse_{self.resident}:rent:{period_name(period)}"

        def noon(self) -> datetime:
            return datetime.combine(self.today, time(12), tzinfo=ZoneInfo(ZONE)).astimezone(UTC)

        # ---- rules --------------------------------------------------------------------

        @precondition(lambda self: not self.started)
        @rule(terms=TERMS)
        def start(self, terms: LeaseTerms) -> None:
            app.start_lease(self.resident, lease_id=f"lse_{self.resident}", property_id="p1",
                            us_state="TX", start_date=START, terms=terms, actor="pm")
            self.terms_history = [(START, terms)]
            self.started = True
            self.run_job("recurring-charges", self.today)

        @precondition(lambda self: self.started)
        @rule(days=st.integers(min_value=1, max_value=12), missed=st.booleans())
        def days_go_by(self, days: int, missed: bool) -> None:
            """End of today (late fees), then the next days; missed days run no job."""
            for _ in range(days):
                if not missed:
                    self.late_fee_run()
                self.today += timedelta(days=1)
                if not missed:
                    self.start_of_day()
            if missed:  # the next run catches up
                self.start_of_day()

        def start_of_day(self) -> None:
            self.run_job("recurring-charges", self.today)
            before = len(self.autopay_periods())
            self.run_job("autopay-sweep", self.today)
            if self.autopay != "ACTIVE":
                assert len(self.autopay_periods()) == before, "charged while not ACTIVE"
            self.settle_pending()

        def settle_pending(self) -> None:
            """Every payment in flight settles by the end of its day (the provider's word)."""
            for payment in list(app.ledger(self.resident).payments.values()):
                if payment.status.value == "PENDING":
                    app.settle_payment(self.resident, payment.payment_id,
                                       stripe_ref=f"pi_{payment.payment_id}")

        def late_fee_run(self) -> None:
            ledger = app.ledger(self.resident)
            for charge in ledger.charges.values():
                if charge.charge_type.value != "RENT" or charge.charge_id in ledger.late_fees:
                    continue
                assert charge.due_date is not None
                terms = self.terms_for(period_of(charge.due_date))
                if self.today <= charge.due_date + timedelta(days=terms.grace_days):
                    continue
                if charge.charge_id in self.never_fined or charge.charge_id in (
                        self.expected_fees):
                    continue
                in_force = self.end_date is None or self.today <= self.end_date
                if charge.remaining > 0 and in_force:
                    self.expected_fees[charge.charge_id] = terms.policy.fee_for(charge.amount)
                else:
                    self.never_fined.add(charge.charge_id)
            self.run_job("late-fees", self.today)

        @precondition(lambda self: self.started)
        @rule()
        def rerun_today(self) -> None:
            before = app.ledger(self.resident).version
            self.run_job("recurring-charges", self.today)
            assert app.ledger(self.resident).version == before, "a re-run posted again"

        @precondition(lambda self: self.started)
        @rule(share=st.one_of(st.just(100), st.integers(min_value=1, max_value=100)))
        def pay(self, share: int) -> None:
            payable = app.ledger(self.resident).payable
            amount = max(payable * share // 100, 50)
            if payable < 50:
                return
            started = app.initiate_payment(self.resident, amount=min(amount, payable),
                                           method_id=self.method, actor=self.resident)
            app.settle_payment(self.resident, started.payment.payment_id, stripe_ref="pi_x")

        @precondition(lambda self: self.started and self.autopay in (None, "CANCELLED"))
        @rule(day=st.integers(min_value=1, max_value=28),
              cap=st.one_of(st.none(), st.integers(min_value=50, max_value=300_000)))
        def enroll_autopay(self, day: int, cap: int | None) -> None:
            self.mandate = f"mandate_{uuid.uuid4().hex}"
            app.enroll_autopay(self.resident, enrollment_id=f"apay_{uuid.uuid4().hex}",
                               method_id=self.method, charge_day=day, max_amount=cap,
                               actor=self.resident, mandate_id=self.mandate)
            self.autopay, self.autopay_day, self.revoked = "ACTIVE", day, False

        @precondition(lambda self: self.autopay in ("ACTIVE", "PAUSED"))
        @rule(action=st.sampled_from(["pause", "resume", "cancel"]))
        def change_autopay(self, action: str) -> None:
            if action == "resume" and self.revoked:
                try:
                    app.resume_autopay(self.resident, actor=self.resident)
                except MandateRevokedError:
                    assert app.autopay(self.resident).status == "PAUSED"
                    return
                raise AssertionError("resumed under a revoked mandate")
            getattr(app, f"{action}_autopay")(self.resident, actor=self.resident)
            self.autopay = {"pause": "PAUSED", "resume": "ACTIVE",
                            "cancel": "CANCELLED"}[action]

        @precondition(lambda self: self.autopay in ("ACTIVE", "PAUSED", "CANCELLED"))
        @rule(replay=st.booleans())
        def revoke_mandate(self, replay: bool) -> None:
            """Stripe reports the mandate inactive (maybe twice: a redelivered webhook)."""
            assert self.mandate is not None
            for _ in range(2 if replay else 1):
                app.mandate_revoked(self.resident, self.mandate, actor="stripe")
            if self.autopay != "CANCELLED":
                self.autopay, self.revoked = "PAUSED", True
            assert app.autopay(self.resident).status == self.autopay

        @precondition(lambda self: self.revoked and self.autopay == "PAUSED")
        @rule()
        def new_mandate(self) -> None:
            """The resident authorises again (here: a new mandate on the same method)."""
            self.mandate = f"mandate_{uuid.uuid4().hex}"
            app.change_autopay(self.resident, actor=self.resident, method_id=self.method,
                               mandate_id=self.mandate)
            self.revoked = False

        def autopay_periods(self) -> list[str]:
            return [p.payment_id.rsplit("_", 1)[1]
                    for p in app.ledger(self.resident).payments.values()
                    if p.initiated_by == "system:autopay"]

        @precondition(lambda self: self.started and self.end_date is None)
        @rule(terms=TERMS)
        def change_terms(self, terms: LeaseTerms) -> None:
            _, effective = app.change_lease(self.resident, actor="pm", terms=terms,
                                            now=self.noon())
            assert effective == next_period(period_of(self.today))
            self.terms_history = [(p, t) for p, t in self.terms_history if p < effective]
            self.terms_history.append((effective, terms))

        @precondition(lambda self: self.started and self.end_date is None)
        @rule(after=st.integers(min_value=0, max_value=15))
        def end_lease(self, after: int) -> None:
            self.end_date = self.today + timedelta(days=after)
            app.end_lease(self.resident, end_date=self.end_date, actor="pm")

        # ---- laws ---------------------------------------------------------------------

        @invariant()
        def laws_hold(self) -> None:
            if not self.started:
                return
            ledger = app.ledger(self.resident)
            last = self.today if self.end_date is None else min(self.today, self.end_date)
            expected: dict[str, tuple[int, date]] = {}
            period = period_of(START)
            while period <= last:
                terms = self.terms_for(period)
                due = period.replace(day=terms.rent_due_day)
                if START <= due <= last:
                    expected[self.rent_id(period)] = (terms.monthly_rent, due)
                period = next_period(period)
            # Paid charges are out of the state (paid_charges.py): the statement has all.
            _, charges = app.statement(self.resident)
            by_id = {c.charge_id: c for c in charges}
            posted = {c.charge_id: (c.amount, c.due_date) for c in charges
                      if c.charge_type.value == "RENT"}
            assert posted == expected, "rent posted differs from the lease's schedule"
            fees = {c.charge_id: by_id[fee_id].amount for c in charges
                    if (fee_id := late_fee_of(ledger, c)) is not None}
            assert fees == self.expected_fees, "late fees differ from the rules"
            assert not self.never_fined & set(fees)
            # Autopay: at most one payment per enrollment and period, never more than was
            # payable (the balance never goes below what staff credits allow: none here),
            # and none while paused or after a cancellation.
            autopay = [p for p in ledger.payments.values() if p.initiated_by == "system:autopay"]
            keys = [p.payment_id for p in autopay]
            assert len(keys) == len(set(keys)), "two autopay payments for one period"
            assert ledger.payable >= 0 and ledger.balance >= 0, "autopay overpaid"
            enrollment = app.find_autopay(self.resident)
            if enrollment is not None:
                assert enrollment.status == self.autopay
                own = [p for p in autopay
                       if p.payment_id.startswith(f"pay_auto_{enrollment.enrollment_id}_")]
                charged = [o for o in enrollment.outcomes.values() if o[0] == "CHARGED"]
                assert len(charged) == len(own)
                assert all(p.amount <= (enrollment.max_amount or p.amount) for p in own)
            # Once per fact: no charge id posted twice in the stored events.
            ids = [getattr(e, "charge_id", None) for e in app.events.get(ledger.id)
                   if type(e).__name__ in ("ChargePosted", "LateFeeApplied")]
            assert len(ids) == len(set(ids))

    return ScheduleLaws


def check_schedule_laws(env: Mapping[str, str], make_index: Any, *,
                        max_examples: int = 30, steps: int = 20) -> None:
    """Run the schedule laws; `make_index()` gives a fresh, empty ScheduleIndex."""
    run_laws(schedule_laws(env, make_index), max_examples=max_examples, steps=steps)


__all__ = ["check_schedule_laws", "schedule_laws"]
