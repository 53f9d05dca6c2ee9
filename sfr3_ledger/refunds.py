"""The refund commands of ResidentLedger, kept out of ledger.py to keep it readable.

A refund has two paths into the ledger, and these rules keep them from doubling money:

- our API *requests* a refund: `request_refund` reserves the amount (RefundRequested)
  before the provider is asked, so concurrent requests never together exceed what is
  refundable; the provider's answer then fails the request (RefundRequestFailed,
  nothing moved) or the refund is applied;
- the provider *reports* a refund (webhook, or the answer to our request):
  `apply_refund` records it once per refund id, whichever path arrives first; the other
  path then only completes the request (RefundRequestCompleted).

These are plain functions of the ledger; `ResidentLedger` exposes each as a method of the
same name, so callers still write `ledger.request_refund(...)`. Like every command they
decide and trigger the aggregate's events; the events (defined in ledger.py, where their
stored topics point) are the only code that changes state.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sfr3_ledger import allocation
from sfr3_ledger.errors import (
    ConflictingFact,
    DuplicateRefund,
    PaymentNotRefundable,
    RefundExceedsPayment,
)
from sfr3_ledger.records import Charge, Payment, RefundRequest
from sfr3_ledger.validation import valid_text
from sfr3_ledger.values import SYSTEM, PaymentStatus, cents

if TYPE_CHECKING:
    from sfr3_ledger.ledger import ResidentLedger

# A keyless refund identical to one completed this recently is taken for a double click.
REFUND_DUPLICATE_WINDOW = timedelta(minutes=10)


def refundable_amount(ledger: ResidentLedger, payment_id: str, amount: int | None = None) -> int:
    """What a refund of `amount` (None = the rest) would be; raises if not allowed."""
    payment = ledger.get_payment(payment_id)
    if payment.status not in (PaymentStatus.SETTLED, PaymentStatus.PARTIALLY_REFUNDED):
        raise PaymentNotRefundable(payment_id, payment.status.value)
    if amount is None:
        return payment.refundable
    amount = cents(amount)
    if amount > payment.refundable:
        raise RefundExceedsPayment(payment.refundable)
    return amount


def request_refund(
    ledger: ResidentLedger,
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
    payment = ledger.get_payment(payment_id)
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
    to_refund = refundable_amount(ledger, payment_id, requested)
    if to_refund <= 0 or payment.stripe_ref is None:
        raise PaymentNotRefundable(payment_id, payment.status.value)
    ledger._trigger(
        ledger.RefundRequested,
        actor,
        request_id=request_id,
        payment_id=payment_id,
        amount=to_refund,
        requested=requested,
        property_id=payment.property_id,
        us_state=payment.us_state,
    )
    return payment.refund_requests[request_id]


def fail_refund_request(
    ledger: ResidentLedger, *, payment_id: str, request_id: str, reason: str
) -> Payment:
    """The provider refused the request: release its reservation (once)."""
    payment = ledger.get_payment(payment_id)
    request = payment.refund_requests.get(request_id)
    if request is not None and request.status == "PENDING":
        ledger._trigger(
            ledger.RefundRequestFailed,
            SYSTEM,
            request_id=request_id,
            payment_id=payment_id,
            reason=valid_text(reason or "refused", "reason"),
            property_id=payment.property_id,
            us_state=payment.us_state,
        )
    return payment


def apply_refund(
    ledger: ResidentLedger,
    *,
    refund_id: str,
    payment_id: str,
    amount: int,
    actor: str,
    stripe_ref: str | None = None,
    request_id: str | None = None,
    paid_out: Sequence[Charge] = (),
) -> Payment:
    """Record a refund the provider made (once per refund id, whichever path is first).

    A refund is a fact: it may take up to all that is unrefunded, whatever requests
    are in flight (those were reserved so that *we* never ask for more). `paid_out`: the
    paid charges out of the state that this payment paid (the application reads them from
    the book, paid_charges.py); those it reaches come back first (ChargesReinstated).
    """
    known = ledger.refund_index.get(refund_id)
    if known is not None:
        if known != payment_id or ledger.payments[known].refunds[refund_id] != amount:
            raise ConflictingFact(f"Refund {refund_id} was already applied with other details")
        payment = ledger.payments[known]
        request = payment.refund_requests.get(request_id or "")
        if request is not None and request.status == "PENDING":
            ledger._trigger(
                ledger.RefundRequestCompleted,
                SYSTEM,
                request_id=request.request_id,
                payment_id=payment_id,
                refund_id=refund_id,
                property_id=payment.property_id,
                us_state=payment.us_state,
            )
        return payment
    payment = ledger.get_payment(payment_id)
    if payment.status not in (PaymentStatus.SETTLED, PaymentStatus.PARTIALLY_REFUNDED):
        raise PaymentNotRefundable(payment_id, payment.status.value)
    amount = cents(amount)
    if amount > payment.unrefunded:
        raise RefundExceedsPayment(payment.unrefunded)
    request = payment.refund_requests.get(request_id or "")
    ledger._reinstate(allocation.reached_by(ledger, payment_id, amount, paid_out))
    ledger._trigger(
        ledger.RefundApplied,
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


# ---- state changes (called only from the events' apply) -----------------------------

def applied_requested(ledger: ResidentLedger, event: ResidentLedger.RefundRequested) -> None:
    payment = ledger.payments[event.payment_id]
    payment.refund_requests[event.request_id] = RefundRequest(
        request_id=event.request_id,
        amount=event.amount,
        requested=event.requested,
        requested_at=event.timestamp,
        requested_by=event.actor,
    )
    payment.refund_pending += event.amount


def applied_request_failed(
    ledger: ResidentLedger, event: ResidentLedger.RefundRequestFailed
) -> None:
    payment = ledger.payments[event.payment_id]
    request = payment.refund_requests[event.request_id]
    payment.refund_pending -= request.amount
    request.status, request.reason = "FAILED", event.reason


def applied_request_completed(
    ledger: ResidentLedger, event: ResidentLedger.RefundRequestCompleted
) -> None:
    ledger.payments[event.payment_id].complete_refund_request(event.request_id, event.refund_id)


def applied_refund(ledger: ResidentLedger, event: ResidentLedger.RefundApplied) -> None:
    payment = ledger.payments[event.payment_id]
    if event.request_id is not None:
        payment.complete_refund_request(event.request_id, event.refund_id)
    payment.refunds[event.refund_id] = event.amount
    payment.refunded += event.amount
    payment.status = (
        PaymentStatus.REFUNDED
        if payment.refunded + payment.charged_back >= payment.amount
        else PaymentStatus.PARTIALLY_REFUNDED
    )
    ledger.refund_index[event.refund_id] = event.payment_id
    ledger.balance += event.amount
    ledger._unfund(event.payment_id, event.amount)
