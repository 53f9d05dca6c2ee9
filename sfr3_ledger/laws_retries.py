"""The retry and recovery laws (issue 13), as a hypothesis state machine.

One resident with charges; they pay (the provider declining for a retryable or a hard
reason, accepting for processing, or unreachable), pay by hand meanwhile, time passes,
processing intents settle or fail, and the payment-retries and payment-recovery jobs run
as deployed, planned from the payment-watch read model (fed from the notification log)
and worked by the same `PaymentJobWorker`. After every step:

- never more than payable: the payable balance (balance less payments in flight) is never
  negative, and a retry never asks for more than its payment's previous attempt;
- at most one live attempt: a payment has at most one intent that is neither failed nor
  succeeded at the provider, and only while it is PENDING (the current attempt's);
- every attempt is its own intent (one per attempt number), at most `max_attempts` of them,
  and each failed one is on the ledger with its reason;
- a retry is made only for a retryable reason, never before its time, and a payment out
  of attempts is EXHAUSTED exactly when its last failure was retryable;
- the ledger's reservations are the PENDING payments' amounts; money settled is exactly
  what the provider says succeeded;
- no intent is created once consent is withdrawn: after a payment's method is removed,
  no new intent is made for that payment (a retry is cancelled; a payment left PENDING
  by a crash, whether or not its create reached the provider, is looked up by recovery,
  never re-sent), and such a payment ends with the intent the provider made applied, or
  released.

Run with `check_retry_laws(env, make_watch)` against any backend.
"""

from __future__ import annotations

import contextlib
import itertools
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sfr3_ledger.application import LedgerApplication
from sfr3_ledger.laws_support import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_laws,
    st,
)
from sfr3_ledger.payment_errors import PaymentDeclined, ProviderUnavailableError
from sfr3_ledger.payment_jobs import PaymentJobName, PaymentJobWorker, PaymentWorkItem, run
from sfr3_ledger.payment_provider import (
    CardDeclined,
    InvalidProviderRequest,
    PaymentIntentPage,
    PaymentIntentResult,
    ProviderEvent,
    ProviderUnavailable,
)
from sfr3_ledger.payment_service import PaymentService
from sfr3_ledger.provider_events import named_attempt, named_payment
from sfr3_ledger.provider_proofs import attempt_metadata
from sfr3_ledger.read_models.payments_pending import PaymentWatchProjection
from sfr3_ledger.retries import is_retryable
from sfr3_ledger.values import PaymentStatus

START = datetime(2027, 1, 1, 12, tzinfo=UTC)
OUTCOMES = st.sampled_from(["insufficient_funds", "processing_error", "lost_card",
                            "processing", "processing", "down"])


class _Provider:
    """Intents keyed as Stripe keys them (the create's payment id), outcomes scripted."""

    def __init__(self) -> None:
        self.intents: dict[str, PaymentIntentResult] = {}
        self.next: list[str] = []

    def create_payment_intent(self, *, payment_id: str, amount: int, currency: str,
                              metadata: Mapping[str, str] | None = None,
                              **_: Any) -> PaymentIntentResult:
        key = f"pi_{payment_id}"
        if key in self.intents:  # the idempotency key: the same intent again
            return self.intents[key]
        outcome = self.next.pop(0) if self.next else "processing"
        if outcome == "down":
            raise ProviderUnavailable("provider unreachable")
        status = "processing" if outcome == "processing" else "requires_payment_method"
        intent = PaymentIntentResult(id=key, status=status, amount=amount, currency=currency,
                                     metadata=dict(metadata or {}),
                                     failure_code=None if status == "processing" else outcome)
        self.intents[key] = intent
        if status != "processing":
            raise CardDeclined("declined", decline_code=outcome, payment_intent_id=key)
        return intent

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentResult:
        return self.intents[intent_id]

    def list_payment_intents_page(self, *, customer_id: str, created_from: datetime,
                                  starting_after: str | None = None,
                                  limit: int = 100) -> PaymentIntentPage:
        """Every intent made (one resident, one customer), newest first, one page."""
        return PaymentIntentPage(data=list(reversed(self.intents.values())), has_more=False)

    def retrieve_event(self, event_id: str) -> ProviderEvent:
        """The laws deliver no webhooks: Stripe knows no event of theirs."""
        raise InvalidProviderRequest(f"No such event: '{event_id}'", code="resource_missing")

    def decide(self, intent_id: str, succeeded: bool, reason: str) -> None:
        old = self.intents[intent_id]
        self.intents[intent_id] = PaymentIntentResult(
            id=old.id, status="succeeded" if succeeded else "requires_payment_method",
            amount=old.amount, currency=old.currency, metadata=old.metadata,
            failure_code=None if succeeded else reason)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the laws do not call the provider's {name}")


class _Queue:
    def __init__(self, worker: PaymentJobWorker, now: datetime) -> None:
        self.worker, self.now = worker, now

    def send(self, items: Sequence[PaymentWorkItem]) -> None:
        for item in items:
            # Unreachable: back to the queue; the next run plans it again.
            with contextlib.suppress(ProviderUnavailableError):
                self.worker(item, self.now)


def retry_laws(env: Mapping[str, str], make_watch: Any) -> type[RuleBasedStateMachine]:
    app = LedgerApplication(env=dict(env))
    policy = app.retry_policy

    class RetryLaws(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.provider = _Provider()
            self.service = PaymentService(app, self.provider)
            self.resident = f"res-{uuid.uuid4().hex}"
            self.watch = make_watch()
            self.projection = PaymentWatchProjection(self.watch)
            self.position = app.recorder.max_notification_id() or 0
            self.now = START
            self.method = app.enroll_payment_method(
                self.resident, provider_id="pm_card_visa", method_type="CARD",
                last4="4242", actor=self.resident).method_id
            app.link_customer(self.resident, f"cus_{self.resident}")
            self.amounts: dict[str, list[int]] = {}  # payment -> amount of each attempt
            # Removed methods -> the intents the provider had made when they were removed.
            self.withdrawn: dict[str, set[str]] = {}
            self.retried_at: list[tuple[datetime, datetime]] = []  # (retry_at, started)

        def feed(self) -> None:
            while notes := app.recorder.select_notifications(
                    start=self.position, limit=500, inclusive_of_start=False):
                self.projection.process([app.mapper.to_domain_event(n) for n in notes])
                self.position = notes[-1].id

        def ledger(self) -> Any:
            return app.ledger(self.resident)

        def job(self, name: PaymentJobName) -> None:
            self.feed()
            before = {p.payment_id: (p.retry_at, p.attempt)
                      for p in self.ledger().payments.values()}
            run(self.watch, _Queue(PaymentJobWorker(self.service, self.watch), self.now),
                name, self.now)
            self.feed()
            for p in self.ledger().payments.values():
                retry_at, attempt = before.get(p.payment_id, (None, p.attempt))
                if p.attempt > attempt:
                    assert retry_at is not None
                    self.retried_at.append((retry_at, self.now))
                    self.amounts.setdefault(p.payment_id, []).append(p.amount)

        # ---- rules ----------------------------------------------------------------------

        @rule(amount=st.integers(min_value=5_000, max_value=200_000))
        def post_charge(self, amount: int) -> None:
            app.post_charge(self.resident, amount=amount, charge_type="RENT",
                            description="Rent", actor="pm")

        @precondition(lambda self: app.ledger(self.resident).payable >= 5_000)
        @rule(share=st.integers(min_value=1, max_value=100), outcome=OUTCOMES)
        def pay(self, share: int, outcome: str) -> None:
            amount = max(5_000, self.ledger().payable * share // 100)
            self.provider.next = [outcome]
            pid = f"pay_{uuid.uuid4().hex[:12]}"
            with contextlib.suppress(PaymentDeclined, ProviderUnavailableError):
                self.service.pay(self.resident, amount=amount, method_id=self.method,
                                 actor=self.resident, payment_id=pid)
            self.amounts[pid] = [amount]
            self.provider.next = []

        @precondition(lambda self: app.ledger(self.resident).payable >= 5_000)
        @rule(share=st.integers(min_value=1, max_value=100), reached=st.booleans())
        def pay_and_crash(self, share: int, reached: bool) -> None:
            """The process dies after the reservation; the create reached the provider
            (its answer lost, no webhook) or never left."""
            amount = max(5_000, self.ledger().payable * share // 100)
            pid = f"pay_{uuid.uuid4().hex[:12]}"
            app.initiate_payment(self.resident, amount=amount, method_id=self.method,
                                 actor=self.resident, payment_id=pid)
            self.amounts[pid] = [amount]
            if reached:
                with contextlib.suppress(CardDeclined):
                    self.provider.create_payment_intent(
                        payment_id=pid, amount=amount, currency="usd",
                        metadata=attempt_metadata(self.resident, pid, 1))

        @rule()
        def method_removed(self) -> None:
            """The resident removes the method (consent withdrawn) and enrolls another."""
            self.withdrawn[self.method] = set(self.provider.intents)
            app.remove_payment_method(self.resident, self.method, actor=self.resident)
            self.method = app.enroll_payment_method(
                self.resident, provider_id=f"pm_card_{len(self.withdrawn)}",
                method_type="CARD", last4="4242", actor=self.resident).method_id

        @precondition(lambda self: app.ledger(self.resident).payable >= 100)
        @rule(share=st.integers(min_value=1, max_value=100))
        def pay_by_hand(self, share: int) -> None:
            amount = max(100, self.ledger().payable * share // 100)
            app.apply_credit(self.resident, amount=amount, reason="paid at the office",
                             actor="pm")

        @rule(succeeded=st.booleans(), reason=st.sampled_from(["insufficient_funds", "R02"]),
              webhook=st.booleans())
        def provider_decides(self, succeeded: bool, reason: str, webhook: bool) -> None:
            """A processing intent settles or fails; its webhook arrives or is lost."""
            live = [i for i in self.provider.intents.values() if i.status == "processing"]
            if not live:
                return
            intent = live[0]
            self.provider.decide(intent.id, succeeded, reason)
            if webhook:
                self.service.apply_intent(self.provider.intents[intent.id])

        @rule(hours=st.sampled_from([1, 4, 9, 25]), outcome=OUTCOMES,
              by_hand=st.one_of(st.none(), st.integers(min_value=1, max_value=100)))
        def time_passes_and_retries_run(self, hours: int, outcome: str,
                                        by_hand: int | None) -> None:
            """Hours go by (the resident may pay some or all by hand), then retries run."""
            if by_hand is not None and self.ledger().payable >= 100:
                self.pay_by_hand(by_hand)
            self.now += timedelta(hours=hours)
            self.provider.next = [outcome] * 4
            self.job("payment-retries")
            self.provider.next = []

        @rule()
        def recovery_runs(self) -> None:
            self.now += timedelta(minutes=20)
            self.job("payment-recovery")

        # ---- laws -----------------------------------------------------------------------

        @invariant()
        def never_more_than_payable(self) -> None:
            ledger = self.ledger()
            assert ledger.payable >= 0, "a retry (or payment) overpaid"
            assert ledger.pending_total == sum(
                p.amount for p in ledger.payments.values()
                if p.status == PaymentStatus.PENDING)
            for amounts in self.amounts.values():
                assert all(b <= a for a, b in itertools.pairwise(amounts))

        @invariant()
        def one_live_attempt_and_every_attempt_recorded(self) -> None:
            ledger = self.ledger()
            by_payment: dict[str, list[PaymentIntentResult]] = {}
            for intent in self.provider.intents.values():
                owner = named_payment(intent.metadata)
                assert owner is not None
                by_payment.setdefault(owner[1], []).append(intent)
            for pid, intents in by_payment.items():
                payment = ledger.payments[pid]
                numbers = [named_attempt(i.metadata) for i in intents]
                assert len(numbers) == len(set(numbers)) <= policy.max_attempts
                live = [i for i in intents if i.status == "processing"]
                assert len(live) <= 1
                if live:
                    assert payment.status == PaymentStatus.PENDING
                    assert named_attempt(live[0].metadata) == payment.attempt
                succeeded = [i for i in intents if i.status == "succeeded"]
                assert len(succeeded) <= 1
                if succeeded and payment.stripe_ref == succeeded[0].id and \
                        payment.status != PaymentStatus.PENDING:
                    assert payment.status == PaymentStatus.SETTLED
                for attempt in payment.attempts:
                    assert attempt.reason
                if payment.status == PaymentStatus.SETTLED:
                    assert succeeded, "settled only on the provider's word"

        @invariant()
        def nothing_created_after_consent_was_withdrawn(self) -> None:
            ledger = self.ledger()
            for intent in self.provider.intents.values():
                owner = named_payment(intent.metadata)
                assert owner is not None
                payment = ledger.payments[owner[1]]
                made_before = self.withdrawn.get(payment.method_id)
                if made_before is not None:
                    assert intent.id in made_before, (
                        f"{intent.id} was created after {payment.method_id} was removed")

        @invariant()
        def retries_follow_the_policy(self) -> None:
            for retry_at, started in self.retried_at:
                assert started >= retry_at, "a retry came before its time"
            for payment in self.ledger().payments.values():
                for failed in payment.attempts[:-1] if payment.attempt > 1 else []:
                    assert is_retryable(failed.reason), "a hard decline was retried"
                if payment.retry_status == "EXHAUSTED":
                    assert payment.attempt == policy.max_attempts
                    assert is_retryable(payment.failure_reason)
                if payment.retry_status == "SCHEDULED":
                    assert payment.status == PaymentStatus.FAILED
                    assert payment.attempt < policy.max_attempts
                    assert is_retryable(payment.failure_reason)

    return RetryLaws


def check_retry_laws(env: Mapping[str, str], make_watch: Any, *,
                     max_examples: int = 30, steps: int = 25) -> None:
    """Run the retry laws; `make_watch()` gives a fresh, empty PaymentWatch."""
    run_laws(retry_laws(env, make_watch), max_examples=max_examples, steps=steps)


__all__ = ["check_retry_laws", "retry_laws"]
