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
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

import attrs
from eventsourcing.domain import Aggregate, event

from sfr3_ledger.errors import (
    AmountExceedsBalance,
    ChargeNotFound,
    ConflictingFact,
    DisputeNotFound,
    DuplicateRefund,
    InvalidAmount,
    InvalidCommand,
    NoBalanceDue,
    PaymentNotFound,
    PaymentNotRefundable,
    RefundExceedsPayment,
)
from sfr3_ledger.records import Charge, Credit, Dispute, Payment, RefundRequest
from sfr3_ledger.values import (
    COLLECTED_STATUSES,
    MIN_PAYMENT_CENTS,
    US_STATES,
    ChargeType,
    DisputeStatus,
    PaymentStatus,
    cents,
)

LEDGER_NAMESPACE = UUID("4b0d5d0e-5a3c-4c52-9a57-0b8a3f1f5e21")
SYSTEM = "system"

# Facts finished longer ago than this leave the aggregate's state (their events stay in
# the store forever), so a load costs the same after 10 or 5,000 events. 540 days is past
# every window in which a card network or bank can still reverse a payment.
ARCHIVE_AFTER_DAYS = 540


def _due_order(charge: Charge) -> tuple[date, datetime]:
    return (charge.effective_due, charge.posted_at)


@attrs.frozen
class OutstandingCharge:
    charge: Charge
    remaining: int


@attrs.frozen
class Allocation:
    """`amount` of the funding source `source` (a payment or credit id) paid `charge_id`."""

    source: str
    charge_id: str
    amount: int


# Free text ends up in mail headers, PDFs and CSV exports: control characters (NUL, CR,
# LF, ...), lone surrogates and Unicode line/paragraph separators are refused.
_UNPRINTABLE = frozenset({"Cc", "Cs", "Zl", "Zp"})
# A keyless refund identical to one completed this recently is taken for a double click.
REFUND_DUPLICATE_WINDOW = timedelta(minutes=10)


def _text(value: object, field: str, *, max_len: int = 500, required: bool = True) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidCommand(f"{field} must be a non-empty string")
    if len(value) > max_len:
        raise InvalidCommand(f"{field} must be at most {max_len} characters")
    if any(unicodedata.category(ch) in _UNPRINTABLE for ch in value):
        raise InvalidCommand(f"{field} must not contain control characters or line breaks")
    return value


def _us_state(value: str | None) -> str | None:
    if value is None:
        return None
    if value not in US_STATES:
        raise InvalidCommand("state must be a two-letter US state code")
    return value


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
            payment.stripe_ref = self.stripe_ref or payment.stripe_ref
            ledger.balance -= self.amount
            ledger._fund(self.payment_id, self.amount, self.timestamp)
            ledger._archive(self.timestamp)

    class PaymentFailed(LedgerEvent):
        payment_id: str
        amount: int
        reason: str
        stripe_ref: str | None

        def apply(self, aggregate: Any) -> None:
            ledger: ResidentLedger = aggregate
            payment = ledger.payments[self.payment_id]
            ledger.pending_total -= payment.amount
            payment.status = PaymentStatus.FAILED
            payment.failed_at = self.timestamp
            payment.failure_reason = self.reason
            payment.stripe_ref = self.stripe_ref or payment.stripe_ref

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

    # ---- allocation and archiving (called only from events' apply) -----------------

    def _fund(self, source: str, amount: int, at: datetime) -> None:
        """Money in: pay open charges, oldest due first; keep any excess for later charges."""
        take = min(amount, self.unassigned_debt)
        self.unassigned_debt -= take
        amount -= take
        for charge in sorted(self.charges.values(), key=_due_order):
            if not amount:
                break
            take = min(amount, charge.remaining)
            if take > 0:
                charge.paid_by[source] = charge.paid_by.get(source, 0) + take
                charge.paid_at = at
                amount -= take
        if amount:
            self.unallocated[source] = self.unallocated.get(source, 0) + amount

    def _unfund(self, source: str, amount: int) -> None:
        """Money back out (refund, chargeback): undo that source's payments, latest due first."""
        held = self.unallocated.get(source, 0)
        take = min(amount, held)
        if take:
            if take == held:
                del self.unallocated[source]
            else:
                self.unallocated[source] = held - take
            amount -= take
        paid = [c for c in self.charges.values() if source in c.paid_by]
        for charge in sorted(paid, key=_due_order, reverse=True):
            if not amount:
                break
            take = min(amount, charge.paid_by[source])
            charge.paid_by[source] -= take
            if not charge.paid_by[source]:
                del charge.paid_by[source]
            amount -= take
        self.unassigned_debt += amount

    def _charge_added(self, charge: Charge, at: datetime) -> None:
        for source in list(self.unallocated):
            if not charge.remaining:
                break
            held = self.unallocated[source]
            take = min(held, charge.remaining)
            charge.paid_by[source] = charge.paid_by.get(source, 0) + take
            charge.paid_at = at
            if take == held:
                del self.unallocated[source]
            else:
                self.unallocated[source] = held - take
        self._archive(at)

    def _archive(self, now: datetime) -> None:
        """Drop facts finished before the archive window; at most one sweep a day."""
        if not self.archive_after_days:
            return
        if self.archived_at is not None and now - self.archived_at < timedelta(days=1):
            return
        self.archived_at = now
        cutoff = now - timedelta(days=self.archive_after_days)
        open_disputes = {
            d.payment_id
            for d in self.disputes.values()
            if d.status in (DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW)
        }
        for pid, payment in list(self.payments.items()):
            finished = payment.settled_at or payment.failed_at
            if (
                payment.status != PaymentStatus.PENDING
                and finished is not None
                and finished < cutoff
                and pid not in open_disputes
                and pid not in self.unallocated
            ):
                del self.payments[pid]
                self.archived_payments += 1
                for refund_id in payment.refunds:
                    self.refund_index.pop(refund_id, None)
        for charge_id, charge in list(self.charges.items()):
            if not charge.remaining and (charge.paid_at or charge.posted_at) < cutoff:
                del self.charges[charge_id]
                self.late_fees.pop(charge_id, None)
        for did, dispute in list(self.disputes.items()):
            if dispute.closed_at is not None and dispute.closed_at < cutoff:
                del self.disputes[did]
        for credit_id, credit in list(self.credits.items()):
            if credit.applied_at < cutoff and credit_id not in self.unallocated:
                del self.credits[credit_id]

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
        description = _text(description, "description")
        if due_date is not None and (
            not isinstance(due_date, date) or isinstance(due_date, datetime)
        ):
            raise InvalidCommand("dueDate must be a date (YYYY-MM-DD)")
        us_state = _us_state(us_state)
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
        self, *, payment_id: str, amount: int, method_id: str, actor: str
    ) -> Payment:
        """Reserve `amount` as PENDING. The payable balance counts pending payments."""
        amount = cents(amount)
        if amount < MIN_PAYMENT_CENTS:
            raise InvalidAmount(
                f"amount must be at least {MIN_PAYMENT_CENTS} cents (the smallest payment the "
                "payment provider accepts)"
            )
        method_id = _text(method_id, "paymentMethodId", max_len=200)
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
            self.PaymentInitiated, actor, payment_id=payment_id, amount=amount, method_id=method_id
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
        self, *, payment_id: str, reason: str, stripe_ref: str | None = None
    ) -> Payment:
        """Fail a PENDING payment. A failure arriving after settlement never un-settles it."""
        payment = self.get_payment(payment_id)
        if payment.status != PaymentStatus.PENDING:
            return payment
        self._trigger(
            self.PaymentFailed,
            SYSTEM,
            payment_id=payment_id,
            amount=payment.amount,
            reason=_text(reason or "unknown", "reason"),
            stripe_ref=stripe_ref,
            property_id=payment.property_id,
            us_state=payment.us_state,
        )
        return payment

    def refundable_amount(self, payment_id: str, amount: int | None = None) -> int:
        """What a refund of `amount` (None = the rest) would be; raises if not allowed."""
        payment = self.get_payment(payment_id)
        if payment.status not in (PaymentStatus.SETTLED, PaymentStatus.PARTIALLY_REFUNDED):
            raise PaymentNotRefundable(payment_id, payment.status.value)
        if amount is None:
            return payment.refundable
        amount = cents(amount)
        if amount > payment.refundable:
            raise RefundExceedsPayment(payment.refundable)
        return amount

    def request_refund(
        self,
        *,
        payment_id: str,
        request_id: str | None,
        amount: int | None,
        actor: str,
        new_request_id: str,
        now: datetime | None = None,
    ) -> RefundRequest:
        """Reserve a refund before the provider is asked, so concurrent ones never overlap.

        `request_id` names the request when the caller fixed it (an Idempotency-Key): the
        same id again is the same request. Without one (`request_id=None`), a request
        identical to one still in flight *is* that request (re-driven, never doubled),
        and one identical to a refund completed within REFUND_DUPLICATE_WINDOW is
        refused as a double click; otherwise it becomes `new_request_id`.
        """
        payment = self.get_payment(payment_id)
        requested = None if amount is None else cents(amount)
        if request_id is not None:
            existing = payment.refund_requests.get(request_id)
            if existing is not None:
                if existing.requested != requested:
                    raise ConflictingFact(f"Refund request {request_id} asked for another amount")
                return existing
        else:
            now = now or datetime.now(UTC)
            for earlier in payment.refund_requests.values():
                if earlier.requested != requested:
                    continue
                if earlier.status == "PENDING":
                    return earlier
                if earlier.status == "COMPLETED" and now - earlier.requested_at < (
                    REFUND_DUPLICATE_WINDOW
                ):
                    raise DuplicateRefund(payment_id, earlier.refund_id, earlier.amount)
            request_id = new_request_id
        to_refund = self.refundable_amount(payment_id, requested)
        if to_refund <= 0 or payment.stripe_ref is None:
            raise PaymentNotRefundable(payment_id, payment.status.value)
        self._trigger(
            self.RefundRequested,
            actor,
            request_id=request_id,
            payment_id=payment_id,
            amount=to_refund,
            requested=requested,
            property_id=payment.property_id,
            us_state=payment.us_state,
        )
        return payment.refund_requests[request_id]

    def fail_refund_request(self, *, payment_id: str, request_id: str, reason: str) -> Payment:
        payment = self.get_payment(payment_id)
        request = payment.refund_requests.get(request_id)
        if request is not None and request.status == "PENDING":
            self._trigger(
                self.RefundRequestFailed,
                SYSTEM,
                request_id=request_id,
                payment_id=payment_id,
                reason=_text(reason or "refused", "reason"),
                property_id=payment.property_id,
                us_state=payment.us_state,
            )
        return payment

    def apply_refund(
        self,
        *,
        refund_id: str,
        payment_id: str,
        amount: int,
        actor: str,
        stripe_ref: str | None = None,
        request_id: str | None = None,
    ) -> Payment:
        """Record a refund the provider made (once per refund id, whichever path is first).

        A refund is a fact: it may take up to all that is unrefunded, whatever requests
        are in flight (those were reserved so that *we* never ask for more).
        """
        known = self.refund_index.get(refund_id)
        if known is not None:
            if known != payment_id or self.payments[known].refunds[refund_id] != amount:
                raise ConflictingFact(f"Refund {refund_id} was already applied with other details")
            payment = self.payments[known]
            request = payment.refund_requests.get(request_id or "")
            if request is not None and request.status == "PENDING":
                self._trigger(
                    self.RefundRequestCompleted,
                    SYSTEM,
                    request_id=request.request_id,
                    payment_id=payment_id,
                    refund_id=refund_id,
                    property_id=payment.property_id,
                    us_state=payment.us_state,
                )
            return payment
        payment = self.get_payment(payment_id)
        if payment.status not in (PaymentStatus.SETTLED, PaymentStatus.PARTIALLY_REFUNDED):
            raise PaymentNotRefundable(payment_id, payment.status.value)
        amount = cents(amount)
        if amount > payment.unrefunded:
            raise RefundExceedsPayment(payment.unrefunded)
        request = payment.refund_requests.get(request_id or "")
        self._trigger(
            self.RefundApplied,
            actor,
            refund_id=refund_id,
            payment_id=payment_id,
            amount=amount,
            stripe_ref=stripe_ref,
            request_id=request.request_id if request and request.status == "PENDING" else None,
            property_id=payment.property_id,
            us_state=payment.us_state,
        )
        return payment

    def open_dispute(
        self, *, dispute_id: str, payment_id: str, amount: int, reason: str
    ) -> Dispute:
        if dispute_id in self.disputes:
            return self.disputes[dispute_id]
        payment = self.get_payment(payment_id)
        self._trigger(
            self.DisputeOpened,
            SYSTEM,
            dispute_id=dispute_id,
            payment_id=payment_id,
            amount=cents(amount),
            reason=_text(reason or "general", "reason"),
            property_id=payment.property_id,
            us_state=payment.us_state,
        )
        return self.disputes[dispute_id]

    def submit_dispute_evidence(self, *, dispute_id: str, actor: str) -> Dispute:
        dispute = self.get_dispute(dispute_id)
        if dispute.status == DisputeStatus.OPEN:
            self._trigger(self.DisputeEvidenceSubmitted, actor, dispute_id=dispute_id)
        return dispute

    def close_dispute(self, *, dispute_id: str, won: bool) -> Dispute:
        """WON changes no balance; LOST reinstates what we still held of the payment."""
        dispute = self.get_dispute(dispute_id)
        if dispute.status in (DisputeStatus.WON, DisputeStatus.LOST):
            return dispute
        payment = self.payments[dispute.payment_id]
        if won:
            self._trigger(self.DisputeWon, SYSTEM, dispute_id=dispute_id)
        else:
            self._trigger(
                self.ChargebackApplied,
                SYSTEM,
                dispute_id=dispute_id,
                payment_id=payment.payment_id,
                amount=min(dispute.amount, payment.net_collected),
                property_id=payment.property_id,
                us_state=payment.us_state,
            )
        return dispute

    def apply_credit(self, *, credit_id: str, amount: int, reason: str, actor: str) -> int:
        amount = cents(amount)
        reason = _text(reason, "reason")
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

    def allocations(self) -> list[Allocation]:
        """Which payment or credit paid which charge (charges oldest due first)."""
        return [
            Allocation(source=source, charge_id=charge.charge_id, amount=amount)
            for charge in sorted(self.charges.values(), key=_due_order)
            for source, amount in charge.paid_by.items()
        ]

    def outstanding_charges(self) -> list[OutstandingCharge]:
        return [
            OutstandingCharge(charge=c, remaining=c.remaining)
            for c in sorted(self.charges.values(), key=_due_order)
            if c.remaining > 0
        ]

    def holds_payments_since(self, start: datetime | None) -> bool:
        """Whether every payment initiated at or after `start` is still in this state."""
        if not self.archived_payments:
            return True
        if start is None or self.archived_at is None:
            return False
        return start >= self.archived_at - timedelta(days=self.archive_after_days)

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
