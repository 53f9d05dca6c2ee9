"""The autopay sweep and reminders (issue 12): once per enrollment and period, never more
than payable, never for a paused or cancelled enrollment; reminders 3 days ahead.

Against the local Stripe server through the official SDK (the flows' fixtures), on every
ledger backend, with the SQLite schedule index fed from the notification log.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import pytest

from sfr3_adapters.read_models_sqlite import SQLiteScheduleIndex
from sfr3_adapters.stripe_adapter import StripeAdapter
from sfr3_ledger import LedgerApplication, PaymentStatus
from sfr3_ledger.autopay import payment_id_for
from sfr3_ledger.autopay_mandates import MandateAcceptance, create_mandate
from sfr3_ledger.jobs import JobName, Worker, WorkItem, plan, run
from sfr3_ledger.leases import LeaseTerms
from sfr3_ledger.payment_errors import ProviderUnavailableError
from sfr3_ledger.payment_provider import ProviderUnavailable
from sfr3_ledger.payment_service import PaymentService
from sfr3_ledger.read_models.schedule import ScheduleProjection
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver

ZONE = "America/Chicago"


class Crash(Exception):
    pass


class Queue:
    def __init__(self, worker: Worker, crash_after: int | None = None) -> None:
        self.worker, self.crash_after, self.done = worker, crash_after, 0
        self.outcomes: list[str] = []

    def send(self, items: Sequence[WorkItem]) -> None:
        for item in items:
            if self.crash_after is not None and self.done >= self.crash_after:
                raise Crash()
            self.outcomes.append(self.worker(item))
            self.done += 1


class Harness:
    def __init__(self, env: dict[str, str], sandbox: SandboxHandle,
                 receiver: WebhookReceiver) -> None:
        secret = sandbox.register_webhook(receiver.url)
        adapter = StripeAdapter("sk_test_autopay", secret, api_base=sandbox.url, timeout=10,
                                max_network_retries=0)
        self.app = LedgerApplication(env=env)
        self.service = PaymentService(self.app, adapter)
        self.index = SQLiteScheduleIndex(":memory:")
        self.projection = ScheduleProjection(self.index, self.app.find_lease,
                                             self.app.find_autopay)
        self.position = 0

    def feed(self) -> None:
        while notes := self.app.recorder.select_notifications(
                start=self.position, limit=500, inclusive_of_start=False):
            self.projection.process([self.app.mapper.to_domain_event(n) for n in notes])
            self.position = notes[-1].id

    def resident(self, rid: str, *, rent: int = 150_000, charge_day: int = 1,
                 cap: int | None = None, token: str = "pm_card_visa",
                 kind: str = "card") -> str:
        """A leased resident on autopay (an ACH method under a mandate, as the API makes)."""
        self.app.start_lease(rid, lease_id=f"lse_{rid}", property_id="home", us_state="TX",
                             start_date=date(2027, 1, 1), actor="pm",
                             terms=LeaseTerms(monthly_rent=rent, rent_due_day=1))
        method = self.service.enroll_payment_method(rid, method_type=kind,
                                                    provider_method_id=token, actor=rid)
        mandate = create_mandate(
            self.app, self.service.provider, rid, setup_id=f"apay_{rid}",
            method_id=method.method_id, acceptance=MandateAcceptance(
                ip_address="203.0.113.9", user_agent="test", accepted_at=datetime.now(UTC)))
        self.app.enroll_autopay(rid, enrollment_id=f"apay_{rid}", method_id=method.method_id,
                                charge_day=charge_day, max_amount=cap, actor=rid,
                                mandate_id=mandate)
        self.feed()
        return method.method_id

    def run(self, job: JobName, day: date, crash_after: int | None = None) -> list[str]:
        self.feed()
        queue = Queue(Worker(self.app, self.index, self.service), crash_after)
        run(self.index, queue, job, ZONE, day)
        self.feed()
        return queue.outcomes

    def autopay_payments(self, rid: str) -> list[tuple[str, int, PaymentStatus]]:
        return [(p.payment_id, p.amount, p.status)
                for p in self.app.ledger(rid).payments.values()
                if p.initiated_by == "system:autopay"]


@pytest.fixture
def h(ledger_env: dict[str, str], stripe_sandbox: SandboxHandle,
      webhook_receiver: WebhookReceiver) -> Harness:
    return Harness(ledger_env, stripe_sandbox, webhook_receiver)


def test_sweep_twice_the_same_day_pays_once(h: Harness) -> None:
    h.resident("ap-twice")
    h.run("recurring-charges", date(2027, 1, 1))
    assert h.run("autopay-sweep", date(2027, 1, 1)) == ["charged"]
    assert h.run("autopay-sweep", date(2027, 1, 1)) == ["already done"]
    [(pid, amount, _)] = h.autopay_payments("ap-twice")
    assert (pid, amount) == (payment_id_for("apay_ap-twice", date(2027, 1, 1)), 150_000)


def test_a_crash_mid_sweep_then_a_rerun_pays_each_enrollment_once(h: Harness) -> None:
    for rid in ("ap-c1", "ap-c2", "ap-c3"):
        h.resident(rid)
    h.run("recurring-charges", date(2027, 1, 1))
    with pytest.raises(Crash):
        h.run("autopay-sweep", date(2027, 1, 1), crash_after=1)
    h.run("autopay-sweep", date(2027, 1, 1))
    for rid in ("ap-c1", "ap-c2", "ap-c3"):
        assert len(h.autopay_payments(rid)) == 1


def test_a_manual_payment_racing_the_sweep_never_overpays(h: Harness) -> None:
    method = h.resident("ap-race")
    h.run("recurring-charges", date(2027, 1, 1))
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def by_hand() -> None:
        barrier.wait()
        try:
            h.service.pay("ap-race", amount=150_000, method_id=method, actor="ap-race")
        except Exception as exc:  # the loser of the race is refused, by design
            errors.append(exc)

    hand = threading.Thread(target=by_hand)
    hand.start()
    barrier.wait()
    h.run("autopay-sweep", date(2027, 1, 1))
    hand.join(30)
    ledger = h.app.ledger("ap-race")
    reserved = sum(p.amount for p in ledger.payments.values()
                   if p.status != PaymentStatus.FAILED)
    assert reserved <= 150_000, "the resident was collected more than was owed"


def test_cancelled_or_paused_enrollments_are_not_charged_and_caps_hold(h: Harness) -> None:
    h.resident("ap-cancel")
    h.resident("ap-pause")
    h.resident("ap-cap", cap=100_000)
    h.app.cancel_autopay("ap-cancel", actor="ap-cancel")
    h.app.pause_autopay("ap-pause", actor="ap-pause")
    h.run("recurring-charges", date(2027, 1, 1))
    h.run("autopay-sweep", date(2027, 1, 1))
    assert h.autopay_payments("ap-cancel") == h.autopay_payments("ap-pause") == []
    [(_, amount, _)] = h.autopay_payments("ap-cap")
    assert amount == 100_000
    # Resumed later in the month: the next period is paid.
    h.app.resume_autopay("ap-pause", actor="ap-pause")
    h.run("recurring-charges", date(2027, 2, 1))
    h.run("autopay-sweep", date(2027, 2, 1))
    assert [a for _, a, _ in h.autopay_payments("ap-pause")] == [300_000]


def test_nothing_payable_is_recorded_as_skipped(h: Harness) -> None:
    h.resident("ap-skip")
    assert h.run("autopay-sweep", date(2027, 1, 1)) == ["skipped"]  # no rent posted yet
    assert h.app.autopay("ap-skip").outcomes["2027-01"][0] == "SKIPPED"


@pytest.mark.parametrize(("charge_day", "today", "charge_date"), [
    (1, date(2027, 1, 29), date(2027, 2, 1)),   # the previous month
    (1, date(2027, 2, 26), date(2027, 3, 1)),   # after a 28-day February
    (28, date(2027, 2, 25), date(2027, 2, 28)),
    (3, date(2027, 2, 28), date(2027, 3, 3)),
])
def test_reminders_three_days_ahead(h: Harness, charge_day: int, today: date,
                                    charge_date: date) -> None:
    rid = f"ap-remind-{charge_day}-{today.isoformat()}"
    h.resident(rid, charge_day=charge_day)
    items = plan(h.index, "autopay-reminders", ZONE, today)
    assert [(i.resident_id, i.first) for i in items if i.resident_id == rid] == [
        (rid, charge_date)]
    h.run("autopay-reminders", today)
    h.run("autopay-reminders", today)  # once per period
    reminders = [e for e in h.app.events.get(h.app.autopay(rid).id)
                 if type(e).__name__ == "ReminderSent"]
    assert [(e.charge_date, e.last4) for e in reminders] == [(charge_date, "4242")]


def test_ach_autopay_debits_off_session_under_the_enrollment_mandate(
        h: Harness, stripe_sandbox: SandboxHandle) -> None:
    h.resident("ap-ach", token="pm_usBankAccount_success", kind="us_bank_account")
    mandate = h.app.autopay("ap-ach").mandate_id
    assert mandate is not None and mandate.startswith("mandate_")
    h.run("recurring-charges", date(2027, 1, 1))
    assert h.run("autopay-sweep", date(2027, 1, 1)) == ["charged"]
    [(pid, _, status)] = h.autopay_payments("ap-ach")
    assert status == PaymentStatus.PENDING  # processing: ACH settles days later
    intent = h.app.ledger("ap-ach").payments[pid].stripe_ref
    store = stripe_sandbox.sandbox.store
    with store.lock:
        charge = store.objects[store.objects[intent]["latest_charge"]]
        assert charge["payment_method_details"]["us_bank_account"]["mandate"] == mandate
    # A card enrollment has none, and its charge is made as before.
    h.resident("ap-card-no-mandate")
    assert h.app.autopay("ap-card-no-mandate").mandate_id is None


class _DownOnce:
    """The provider, unreachable for the first PaymentIntent (Stripe down at 06:00)."""

    def __init__(self, provider: Any) -> None:
        self.provider, self.down = provider, True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.provider, name)

    def create_payment_intent(self, **kwargs: Any) -> Any:
        self.calls = [*getattr(self, "calls", []), kwargs]
        if self.down:
            self.down = False
            raise ProviderUnavailable("Stripe is down")
        return self.provider.create_payment_intent(**kwargs)


def test_a_redriven_ach_autopay_debit_names_the_mandate_it_was_reserved_under(
        h: Harness, stripe_sandbox: SandboxHandle) -> None:
    """The recovery job re-drives with a plain PaymentService and the same idempotency key:
    the request must be the sweep's own, mandate included (the payment records it)."""
    h.resident("ap-redrive", token="pm_usBankAccount_success", kind="us_bank_account")
    mandate = h.app.autopay("ap-redrive").mandate_id
    assert mandate is not None
    flaky = _DownOnce(h.service.provider)
    h.service.provider = flaky
    h.run("recurring-charges", date(2027, 1, 1))
    with pytest.raises(ProviderUnavailableError):  # the queue would redeliver the item
        h.run("autopay-sweep", date(2027, 1, 1))
    [(pid, _, status)] = h.autopay_payments("ap-redrive")
    reserved = h.app.ledger("ap-redrive").payments[pid]
    assert (status, reserved.stripe_ref, reserved.mandate_id) == (
        PaymentStatus.PENDING, None, mandate)
    redriven = h.service.resubmit("ap-redrive", pid)
    assert redriven.stripe_ref is not None
    assert [c["mandate_id"] for c in flaky.calls] == [mandate, mandate]
    assert flaky.calls[0] == flaky.calls[1], "a re-drive repeats the request it keys"
    store = stripe_sandbox.sandbox.store
    with store.lock:
        charge = store.objects[store.objects[redriven.stripe_ref]["latest_charge"]]
        assert charge["payment_method_details"]["us_bank_account"]["mandate"] == mandate
