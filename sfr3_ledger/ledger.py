"""The resident ledger: one aggregate per resident, the consistency boundary for money.

Every fact that moves a resident's balance (charges, payments, refunds, chargebacks, late
fees, credits) is an event of this one aggregate. That is deliberate: the overpayment rule
compares a new payment with the balance *and* the payments still pending, so both must be
read and written under one optimistic-concurrency version. Two racing payments then
cannot both be appended at the same version: the loser is retried against fresh state and
sees the winner's pending payment.

Commands validate and trigger events; events' `apply` methods are the only code that
changes state, so replaying the stored events rebuilds exactly the same object. Commands
that repeat a fact already recorded (same id, same content) change nothing: webhooks and
retries deliver facts more than once.

This module holds the aggregate: its state, events and commands. Stored events and
snapshots name their classes by topic (`sfr3_ledger.ledger:ResidentLedger.ChargePosted`),
so the aggregate and its nested events stay here under these names (checked by
tests/ledger/test_stored_topics.py). The rules they use live beside it: `allocation`,
`archiving`, `refunds`, `disputes` and `validation`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from sfr3_ledger import allocation, archiving, attempts, disputes, refunds
from sfr3_ledger.allocation import Allocation, OutstandingCharge
from sfr3_ledger.archiving import ARCHIVE_AFTER_DAYS
from sfr3_ledger.errors import (
    AmountExceedsBalance,
    ChargeNotFound,
    ConflictingFact,
    DisputeNotFound,
    InvalidAmount,
    InvalidCommand,
    NoBalanceDue,
    PaymentNotFound,
)
from sfr3_ledger.records import Charge, Credit, Dispute, Payment, RefundRequest
from sfr3_ledger.refunds import REFUND_DUPLICATE_WINDOW
from sfr3_ledger.retries import RetryPolicy
from sfr3_ledger.validation import valid_text, valid_us_state
from sfr3_ledger.values import (
    COLLECTED_STATUSES,
    MIN_PAYMENT_CENTS,
    SYSTEM,
    ChargeType,
    DisputeStatus,
    PaymentStatus,
    cents,
)

# What other modules import from here (some of it is defined next door).
__all__ = [
    "ARCHIVE_AFTER_DAYS", "LEDGER_NAMESPACE", "REFUND_DUPLICATE_WINDOW", "SYSTEM", "Allocation",
    "OutstandingCharge", "ResidentLedger", "balance_of",
]

LEDGER_NAMESPACE = UUID("4b0d5d0e-5a3c-4c52-9a57-0b8a3f1f5e21")


class ResidentLedger(Aggregate):
    """All money facts of one resident. Balance > 0 means the resident owes us."""

    @staticmethod
    def create_id(resident_id: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, resident_id)

    @event("Opened")
    def __init__(self, resident_id: str, property_id: str, us_state: str) -> None:
        self.resident_id = resident_id
        self.property_id = property_id
        self.us_state = us_state
        self.balance = 0
        self.pending_total = 0
        self.charges: dict[str, Charge] = {}
        self.payments: dict[str, Payment] = {}
        self.disputes: dict[str, Dispute] = {}
        self.credits: dict[str, Credit] = {}
        self.refund_index: dict[str, str] = {}  # refund id -> payment id
        self.late_fees: dict[str, str] = {}  # charge id -> late fee charge id
        # Money received but not matched to a charge yet (an overpayment waits here for
        # the next charge), by source, and money reinstated against archived charges.
        self.unallocated: dict[str, int] = {}
        self.unassigned_debt = 0
        # 0 keeps every fact in state (the full-history view used for old records).
        self.archive_after_days = ARCHIVE_AFTER_DAYS
        self.archived_at: datetime | None = None
        self.archived_payments = 0

    # ---- events -------------------------------------------------------------------

    class LedgerEvent(Aggregate.Event):
        """Every ledger fact records whose, who, where (property, US state) and when.

        `resident_id` is on every event (not only `Opened`) so a consumer of one event,
        such as the stream processor, needs no lookup to say whose money moved.
        """

        resident_id: str
        actor: str
        property_id: str
        us_state: str

        def balance_effect(self) -> int:
            """Signed cents this fact adds to the balance (charges +, payments -)."""
            return 0

        def apply(self, aggregate: Any) -> None:
            raise NotImplementedError

    class ChargePosted(LedgerEvent):
        charge_id: str
        charge_type: str
        amount: int
        description: str
        due_date: date | None

        def balance_effect(self) -> int:
            return self.amount

        def apply(self, aggregate: Any) -> None:
            ledger: ResidentLedger = aggregate
            ledger.charges[self.charge_id] = Charge(
                charge_id=self.charge_id,
                charge_type=ChargeType(self.charge_type),
                amount=self.amount,
                description=self.description,
                due_date=self.due_date,
                posted_at=self.timestamp,
                posted_by=self.actor,
                property_id=self.property_id,
                us_state=self.us_state,
            )
            ledger.property_id = self.property_id
            ledger.us_state = self.us_state
            ledger.balance += self.amount
            ledger._charge_added(ledger.charges[self.charge_id], self.timestamp)

    class LateFeeApplied(LedgerEvent):
        charge_id: str  # the late fee's own charge id
        late_fee_for: str  # the overdue charge
        amount: int
        description: str
        # The property-local day it was assessed on (the job's day); older events: None.
        due_date: date | None = None

        def balance_effect(self) -> int:
            return self.amount

        def apply(self, aggregate: Any) -> None:
            ledger: ResidentLedger = aggregate
            ledger.charges[self.charge_id] = Charge(
                charge_id=self.charge_id,
                charge_type=ChargeType.LATE_FEE,
                amount=self.amount,
                description=self.description,
                due_date=self.due_date or self.timestamp.date(),
                posted_at=self.timestamp,
                posted_by=self.actor,
                property_id=self.property_id,
                us_state=self.us_state,
                late_fee_for=self.late_fee_for,
            )
            ledger.late_fees[self.late_fee_for] = self.charge_id
            ledger.balance += self.amount
            ledger._charge_added(ledger.charges[self.charge_id], self.timestamp)

    class PaymentInitiated(LedgerEvent):
        payment_id: str
        amount: int
        method_id: str
        # The ACH mandate of an autopay debit (None: on-session, or stored before mandates).
        mandate_id: str | None = None

        def apply(self, aggregate: Any) -> None:
            ledger: ResidentLedger = aggregate
            ledger.payments[self.payment_id] = Payment(
                payment_id=self.payment_id,
                amount=self.amount,
                method_id=self.method_id,
                status=PaymentStatus.PENDING,
                initiated_at=self.timestamp,
                initiated_by=self.actor,
                property_id=self.property_id,
                us_state=self.us_state,
                mandate_id=self.mandate_id,
            )
            ledger.pending_total += self.amount

    class PaymentSubmitted(LedgerEvent):
        """The provider accepted the payment for processing under `stripe_ref`."""

        payment_id: str
        stripe_ref: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payments[self.payment_id].stripe_ref = self.stripe_ref

    class PaymentSettled(LedgerEvent):
        payment_id: str
        amount: int
        stripe_ref: str | None

        def balance_effect(self) -> int:
            return -self.amount

        def apply(self, aggregate: Any) -> None:
            ledger: ResidentLedger = aggregate
            payment = ledger.payments[self.payment_id]
            if payment.status == PaymentStatus.PENDING:
                ledger.pending_total -= payment.amount
            payment.status = PaymentStatus.SETTLED
            payment.settled_at = self.timestamp
            if payment.retry_status == attempts.SCHEDULED:  # a late success: no retry
                attempts.applied_retry_ended(payment, None)
            payment.stripe_ref = self.stripe_ref or payment.stripe_ref
            ledger.balance -= self.amount
            ledger._fund(self.payment_id, self.amount, self.timestamp)
            ledger._archive(self.timestamp)

    class PaymentFailed(LedgerEvent):
        payment_id: str
        amount: int
        reason: str
        stripe_ref: str | None
        # The attempt that failed and the retry policy's decision (attempts.py); None on
        # events stored before retries existed.
        attempt: int | None = None
        retry_at: datetime | None = None
        retryable: bool | None = None

        def apply(self, aggregate: Any) -> None:
            ledger: ResidentLedger = aggregate
            payment = ledger.payments[self.payment_id]
            ledger.pending_total -= payment.amount
            payment.status = PaymentStatus.FAILED
            payment.failed_at = self.timestamp
            payment.failure_reason = self.reason
            payment.stripe_ref = self.stripe_ref or payment.stripe_ref
            attempts.applied_failure(payment, self.reason, self.timestamp, self.stripe_ref,
                                     self.attempt, self.retry_at, self.retryable)

    class PaymentPermanentlyFailed(LedgerEvent):
        """A retryable payment failed on its last attempt: no more are made."""

        payment_id: str
        amount: int
        attempts: int
        reason: str
        method_id: str

        def apply(self, aggregate: Any) -> None:
            attempts.applied_retry_ended(aggregate.payments[self.payment_id],
                                         attempts.EXHAUSTED)

    class PaymentRetryStarted(LedgerEvent):
        """The next attempt of a failed payment: `amount` is reserved again (PENDING)."""

        payment_id: str
        attempt: int
        amount: int
        method_id: str

        def apply(self, aggregate: Any) -> None:
            attempts.applied_retry_started(aggregate, aggregate.payments[self.payment_id],
                                           self.attempt, self.amount)

    class PaymentRetryCancelled(LedgerEvent):
        payment_id: str
        attempt: int
        reason: str

        def apply(self, aggregate: Any) -> None:
            attempts.applied_retry_ended(aggregate.payments[self.payment_id],
                                         f"{attempts.CANCELLED}: {self.reason}")

    class PaymentRecovered(LedgerEvent):
        """The recovery job resolved a payment left PENDING (a crash or a lost webhook)."""

        payment_id: str
        attempt: int
        action: str
        outcome: str
        stripe_ref: str | None

        def apply(self, aggregate: Any) -> None:
            pass

    class RefundRequested(LedgerEvent):
        """A refund is about to be asked of the provider: `amount` is reserved until then."""

        request_id: str
        payment_id: str
        amount: int
        requested: int | None

        def apply(self, aggregate: Any) -> None:
            payment = aggregate.payments[self.payment_id]
            payment.refund_requests[self.request_id] = RefundRequest(
                request_id=self.request_id,
                amount=self.amount,
                requested=self.requested,
                requested_at=self.timestamp,
                requested_by=self.actor,
            )
            payment.refund_pending += self.amount

    class RefundRequestFailed(LedgerEvent):
        """The provider refused the refund: nothing moved, the reservation is released."""

        request_id: str
        payment_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            payment = aggregate.payments[self.payment_id]
            request = payment.refund_requests[self.request_id]
            payment.refund_pending -= request.amount
            request.status, request.reason = "FAILED", self.reason

    class RefundRequestCompleted(LedgerEvent):
        """The request's refund was already recorded (its webhook came first)."""

        request_id: str
        payment_id: str
        refund_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payments[self.payment_id].complete_refund_request(
                self.request_id, self.refund_id
            )

    class RefundApplied(LedgerEvent):
        refund_id: str
        payment_id: str
        amount: int
        stripe_ref: str | None
        # The request this refund answers (None for refunds made outside our API).
        request_id: str | None = None

        def balance_effect(self) -> int:
            return self.amount

        def apply(self, aggregate: Any) -> None:
            ledger: ResidentLedger = aggregate
            payment = ledger.payments[self.payment_id]
            if self.request_id is not None:
                payment.complete_refund_request(self.request_id, self.refund_id)
            payment.refunds[self.refund_id] = self.amount
            payment.refunded += self.amount
            payment.status = (
                PaymentStatus.REFUNDED
                if payment.refunded + payment.charged_back >= payment.amount
                else PaymentStatus.PARTIALLY_REFUNDED
            )
            ledger.refund_index[self.refund_id] = self.payment_id
            ledger.balance += self.amount
            ledger._unfund(self.payment_id, self.amount)

    class DisputeOpened(LedgerEvent):
        dispute_id: str
        payment_id: str
        amount: int
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.disputes[self.dispute_id] = Dispute(
                dispute_id=self.dispute_id,
                payment_id=self.payment_id,
                amount=self.amount,
                reason=self.reason,
                status=DisputeStatus.OPEN,
                opened_at=self.timestamp,
            )

    class DisputeEvidenceSubmitted(LedgerEvent):
        dispute_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.disputes[self.dispute_id].status = DisputeStatus.UNDER_REVIEW

    class DisputeWon(LedgerEvent):
        dispute_id: str

        def apply(self, aggregate: Any) -> None:
            dispute: Dispute = aggregate.disputes[self.dispute_id]
            dispute.status = DisputeStatus.WON
            dispute.closed_at = self.timestamp

    class ChargebackApplied(LedgerEvent):
        """A dispute was lost: the money left us, so the amount is owed again."""

        dispute_id: str
        payment_id: str
        amount: int

        def balance_effect(self) -> int:
            return self.amount

        def apply(self, aggregate: Any) -> None:
            ledger: ResidentLedger = aggregate
            dispute = ledger.disputes[self.dispute_id]
            dispute.status = DisputeStatus.LOST
            dispute.closed_at = self.timestamp
            dispute.chargeback = self.amount
            payment = ledger.payments[self.payment_id]
            payment.charged_back += self.amount
            ledger.balance += self.amount
            ledger._unfund(self.payment_id, self.amount)

    class CreditApplied(LedgerEvent):
        credit_id: str
        amount: int
        reason: str

        def balance_effect(self) -> int:
            return -self.amount

        def apply(self, aggregate: Any) -> None:
            ledger: ResidentLedger = aggregate
            ledger.credits[self.credit_id] = Credit(
                credit_id=self.credit_id,
                amount=self.amount,
                reason=self.reason,
                applied_at=self.timestamp,
                applied_by=self.actor,
            )
            ledger.balance -= self.amount
            ledger._fund(self.credit_id, self.amount, self.timestamp)
            ledger._archive(self.timestamp)

    # ---- allocation.py and archiving.py (called only from events' apply) ------------

    _fund = allocation.fund
    _unfund = allocation.unfund
    _archive = archiving.archive

    def _charge_added(self, charge: Charge, at: datetime) -> None:
        allocation.charge_added(self, charge, at)
        self._archive(at)

    def _trigger(self, event_class: type[LedgerEvent], actor: str, **kwargs: Any) -> None:
        kwargs.setdefault("resident_id", self.resident_id)
        kwargs.setdefault("property_id", self.property_id)
        kwargs.setdefault("us_state", self.us_state)
        self.trigger_event(event_class, actor=actor, **kwargs)

    # ---- commands -------------------------------------------------------------------

    def post_charge(
        self,
        *,
        charge_id: str,
        charge_type: str,
        amount: int,
        description: str,
        due_date: date | None,
        actor: str,
        property_id: str | None = None,
        us_state: str | None = None,
    ) -> Charge:
        amount = cents(amount)
        try:
            kind = ChargeType(charge_type)
        except ValueError:
            allowed = ", ".join(t.value for t in ChargeType)
            raise InvalidCommand(f"chargeType must be one of {allowed}") from None
        description = valid_text(description, "description")
        if due_date is not None and (
            not isinstance(due_date, date) or isinstance(due_date, datetime)
        ):
            raise InvalidCommand("dueDate must be a date (YYYY-MM-DD)")
        us_state = valid_us_state(us_state)
        existing = self.charges.get(charge_id)
        if existing is not None:
            same = (existing.amount, existing.charge_type, existing.description)
            if same != (amount, kind, description):
                raise ConflictingFact(f"Charge {charge_id} was already posted with other details")
            return existing
        self._trigger(
            self.ChargePosted,
            actor,
            charge_id=charge_id,
            charge_type=kind.value,
            amount=amount,
            description=description,
            due_date=due_date,
            property_id=property_id if property_id is not None else self.property_id,
            us_state=us_state if us_state is not None else self.us_state,
        )
        return self.charges[charge_id]

    def apply_late_fee(
        self,
        *,
        fee_id: str,
        late_fee_for: str,
        amount: int,
        actor: str = SYSTEM,
        due_date: date | None = None,
    ) -> Charge:
        """Assess a late fee on `late_fee_for`; a second fee for the same charge is a no-op."""
        amount = cents(amount)
        if late_fee_for not in self.charges:
            raise ChargeNotFound(late_fee_for)
        if late_fee_for in self.late_fees:
            return self.charges[self.late_fees[late_fee_for]]
        if fee_id in self.charges:
            raise ConflictingFact(f"Charge {fee_id} already exists")
        overdue = self.charges[late_fee_for]
        self._trigger(
            self.LateFeeApplied,
            actor,
            charge_id=fee_id,
            late_fee_for=late_fee_for,
            amount=amount,
            description=f"Late fee: {overdue.description}",
            due_date=due_date,
            property_id=overdue.property_id,
            us_state=overdue.us_state,
        )
        return self.charges[fee_id]

    def initiate_payment(
        self, *, payment_id: str, amount: int, method_id: str, actor: str,
        mandate_id: str | None = None,
    ) -> Payment:
        """Reserve `amount` as PENDING. The payable balance counts pending payments."""
        amount = cents(amount)
        if amount < MIN_PAYMENT_CENTS:
            raise InvalidAmount(
                f"amount must be at least {MIN_PAYMENT_CENTS} cents (the smallest payment the "
                "payment provider accepts)"
            )
        method_id = valid_text(method_id, "paymentMethodId", max_len=200)
        existing = self.payments.get(payment_id)
        if existing is not None:
            if (existing.amount, existing.method_id) != (amount, method_id):
                raise ConflictingFact(f"Payment {payment_id} already exists with other details")
            return existing
        if self.balance <= 0:
            raise NoBalanceDue()
        if amount > self.payable:
            raise AmountExceedsBalance(balance=max(self.payable, 0), pending=self.pending_total)
        self._trigger(
            self.PaymentInitiated, actor, payment_id=payment_id, amount=amount,
            method_id=method_id, mandate_id=mandate_id,
        )
        return self.payments[payment_id]

    def record_submission(self, *, payment_id: str, stripe_ref: str) -> Payment:
        payment = self.get_payment(payment_id)
        if payment.stripe_ref == stripe_ref:
            return payment
        if payment.stripe_ref is not None:
            raise ConflictingFact(f"Payment {payment_id} is already {payment.stripe_ref}")
        self._trigger(self.PaymentSubmitted, SYSTEM, payment_id=payment_id, stripe_ref=stripe_ref)
        return payment

    def settle_payment(self, *, payment_id: str, stripe_ref: str | None = None) -> Payment:
        """Settle once. A late success after a failure still settles: the money moved."""
        payment = self.get_payment(payment_id)
        if payment.status in COLLECTED_STATUSES:
            return payment
        self._trigger(
            self.PaymentSettled,
            SYSTEM,
            payment_id=payment_id,
            amount=payment.amount,
            stripe_ref=stripe_ref,
            property_id=payment.property_id,
            us_state=payment.us_state,
        )
        return payment

    def fail_payment(
        self,
        *,
        payment_id: str,
        reason: str,
        stripe_ref: str | None = None,
        policy: RetryPolicy | None = None,
        now: datetime | None = None,
    ) -> Payment:
        """Fail a PENDING payment. A failure arriving after settlement never un-settles it.

        With a retry `policy` the failure records its attempt and whether (and when) the
        next is due, and a retryable failure on the last attempt is permanent.
        """
        payment = self.get_payment(payment_id)
        if payment.status != PaymentStatus.PENDING:
            return payment
        reason = valid_text(reason or "unknown", "reason")
        # The decision is timed from the failure's own timestamp (unless `now` is given).
        stamp = self.PaymentFailed.create_timestamp()
        decision = attempts.failure_decision(payment, reason, policy, now or stamp)
        self._trigger(
            self.PaymentFailed,
            SYSTEM,
            timestamp=stamp,
            payment_id=payment_id,
            amount=payment.amount,
            reason=reason,
            stripe_ref=stripe_ref,
            property_id=payment.property_id,
            us_state=payment.us_state,
            attempt=payment.attempt if decision else None,
            retry_at=decision.retry_at if decision else None,
            retryable=decision.retryable if decision else None,
        )
        attempts.after_failure(self, payment, decision)
        return payment

    # Retry commands (attempts.py), bound here as methods of the same name.
    start_retry = attempts.start_retry
    cancel_retry = attempts.cancel_retry
    record_recovery = attempts.record_recovery

    # Refund and dispute commands: plain functions of the ledger, kept in refunds.py and
    # disputes.py, bound here as methods of the same name.
    refundable_amount = refunds.refundable_amount
    request_refund = refunds.request_refund
    fail_refund_request = refunds.fail_refund_request
    apply_refund = refunds.apply_refund
    open_dispute = disputes.open_dispute
    submit_dispute_evidence = disputes.submit_dispute_evidence
    close_dispute = disputes.close_dispute

    def apply_credit(self, *, credit_id: str, amount: int, reason: str, actor: str) -> int:
        amount = cents(amount)
        reason = valid_text(reason, "reason")
        if credit_id in self.credits:
            if self.credits[credit_id].amount != amount:
                raise ConflictingFact(f"Credit {credit_id} was already applied with other details")
            return self.balance
        self._trigger(self.CreditApplied, actor, credit_id=credit_id, amount=amount, reason=reason)
        return self.balance

    # ---- queries --------------------------------------------------------------------

    @property
    def payable(self) -> int:
        """What a new payment may still cover: the balance less payments in flight."""
        return self.balance - self.pending_total

    def get_payment(self, payment_id: str) -> Payment:
        try:
            return self.payments[payment_id]
        except KeyError:
            raise PaymentNotFound(payment_id) from None

    def get_dispute(self, dispute_id: str) -> Dispute:
        try:
            return self.disputes[dispute_id]
        except KeyError:
            raise DisputeNotFound(dispute_id) from None

    # Which money paid which charge (allocation.py); whether state still holds the payments
    # since a date, or some were archived (archiving.py).
    allocations = allocation.allocations
    outstanding_charges = allocation.outstanding_charges
    holds_payments_since = archiving.holds_payments_since

    def payment_history(
        self,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        method_id: str | None = None,
    ) -> list[Payment]:
        """Payments initiated in [start, end), newest first."""
        return sorted(
            (
                p
                for p in self.payments.values()
                if (start is None or p.initiated_at >= start)
                and (end is None or p.initiated_at < end)
                and (method_id is None or p.method_id == method_id)
            ),
            key=lambda p: p.initiated_at,
            reverse=True,
        )


def balance_of(events: Iterable[object], *, until: datetime | None = None) -> int:
    """Fold stored ledger events into a balance, optionally as of an instant."""
    total = 0
    for domain_event in events:
        if not isinstance(domain_event, ResidentLedger.LedgerEvent):
            continue
        if until is not None and domain_event.timestamp > until:
            break
        total += domain_event.balance_effect()
    return total
