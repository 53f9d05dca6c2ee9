"""A payment's life on the resident ledger: reserved, submitted, then settled or failed.

The commands and state changes of ResidentLedger's payment facts (PaymentInitiated,
PaymentSubmitted, PaymentSettled, PaymentFailed), kept out of ledger.py to keep it
readable. Like `refunds.py`, these are plain functions of the ledger: `ResidentLedger`
binds each command as a method of the same name, and the events, nested in
ResidentLedger where their stored topics point, call the `applied_*` functions here
from their `apply`, the only code that changes state. Retries of a failed payment are
`attempts.py`.

A new payment is reserved (PENDING) against the payable balance, which counts the
payments still in flight, so two racing payments can never together overpay.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sfr3_ledger import attempts
from sfr3_ledger.errors import (
    AmountExceedsBalance,
    ConflictingFact,
    InvalidAmount,
    NoBalanceDue,
    PaymentNotFound,
)
from sfr3_ledger.mandate_acceptance import MandateAcceptance
from sfr3_ledger.records import Payment
from sfr3_ledger.retries import RetryPolicy
from sfr3_ledger.validation import valid_text
from sfr3_ledger.values import COLLECTED_STATUSES, MIN_PAYMENT_CENTS, SYSTEM, PaymentStatus, cents

if TYPE_CHECKING:
    from sfr3_ledger.ledger import ResidentLedger


# ---- state changes (called only from the events' apply) -----------------------------

def applied_initiated(ledger: ResidentLedger, event: ResidentLedger.PaymentInitiated) -> None:
    ledger.payments[event.payment_id] = Payment(
        payment_id=event.payment_id,
        amount=event.amount,
        method_id=event.method_id,
        status=PaymentStatus.PENDING,
        initiated_at=event.timestamp,
        initiated_by=event.actor,
        property_id=event.property_id,
        us_state=event.us_state,
        mandate_id=event.mandate_id,
        mandate_acceptance=event.mandate_acceptance,
    )
    ledger.pending_total += event.amount


def applied_submitted(ledger: ResidentLedger, event: ResidentLedger.PaymentSubmitted) -> None:
    ledger.payments[event.payment_id].stripe_ref = event.stripe_ref


def applied_settled(ledger: ResidentLedger, event: ResidentLedger.PaymentSettled) -> None:
    payment = ledger.payments[event.payment_id]
    if payment.status == PaymentStatus.PENDING:
        ledger.pending_total -= payment.amount
    payment.status = PaymentStatus.SETTLED
    payment.settled_at = event.timestamp
    if payment.retry_status == attempts.SCHEDULED:  # a late success: no retry
        attempts.applied_retry_ended(payment, None)
    payment.stripe_ref = event.stripe_ref or payment.stripe_ref
    ledger.balance -= event.amount
    ledger._fund(event.payment_id, event.amount, event.timestamp)
    ledger._archive(event.timestamp)


def applied_failed(ledger: ResidentLedger, event: ResidentLedger.PaymentFailed) -> None:
    payment = ledger.payments[event.payment_id]
    ledger.pending_total -= payment.amount
    payment.status = PaymentStatus.FAILED
    payment.failed_at = event.timestamp
    payment.failure_reason = event.reason
    payment.stripe_ref = event.stripe_ref or payment.stripe_ref
    attempts.applied_failure(payment, event.reason, event.timestamp, event.stripe_ref,
                             event.attempt, event.retry_at, event.retryable)


# ---- queries --------------------------------------------------------------------------

def get_payment(ledger: ResidentLedger, payment_id: str) -> Payment:
    try:
        return ledger.payments[payment_id]
    except KeyError:
        raise PaymentNotFound(payment_id) from None


def payment_history(
    ledger: ResidentLedger,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    method_id: str | None = None,
) -> list[Payment]:
    """Payments initiated in [start, end), newest first."""
    return sorted(
        (
            p
            for p in ledger.payments.values()
            if (start is None or p.initiated_at >= start)
            and (end is None or p.initiated_at < end)
            and (method_id is None or p.method_id == method_id)
        ),
        key=lambda p: p.initiated_at,
        reverse=True,
    )


# ---- commands -------------------------------------------------------------------------

def initiate_payment(
    ledger: ResidentLedger, *, payment_id: str, amount: int, method_id: str, actor: str,
    mandate_id: str | None = None,
    mandate_acceptance: MandateAcceptance | None = None,
) -> Payment:
    """Reserve `amount` as PENDING. The payable balance counts pending payments."""
    amount = cents(amount)
    if amount < MIN_PAYMENT_CENTS:
        raise InvalidAmount(
            f"amount must be at least {MIN_PAYMENT_CENTS} cents (the smallest payment the "
            "payment provider accepts)"
        )
    method_id = valid_text(method_id, "paymentMethodId", max_len=200)
    existing = ledger.payments.get(payment_id)
    if existing is not None:
        if (existing.amount, existing.method_id) != (amount, method_id):
            raise ConflictingFact(f"Payment {payment_id} already exists with other details")
        return existing
    if ledger.balance <= 0:
        raise NoBalanceDue()
    if amount > ledger.payable:
        raise AmountExceedsBalance(balance=max(ledger.payable, 0), pending=ledger.pending_total)
    ledger._trigger(
        ledger.PaymentInitiated, actor, payment_id=payment_id, amount=amount,
        method_id=method_id, mandate_id=mandate_id, mandate_acceptance=mandate_acceptance,
    )
    return ledger.payments[payment_id]


def record_submission(ledger: ResidentLedger, *, payment_id: str, stripe_ref: str) -> Payment:
    """The provider took the payment under `stripe_ref` (once; another ref conflicts)."""
    payment = ledger.get_payment(payment_id)
    if payment.stripe_ref == stripe_ref:
        return payment
    if payment.stripe_ref is not None:
        raise ConflictingFact(f"Payment {payment_id} is already {payment.stripe_ref}")
    ledger._trigger(ledger.PaymentSubmitted, SYSTEM, payment_id=payment_id, stripe_ref=stripe_ref)
    return payment


def settle_payment(
    ledger: ResidentLedger, *, payment_id: str, stripe_ref: str | None = None
) -> Payment:
    """Settle once. A late success after a failure still settles: the money moved."""
    payment = ledger.get_payment(payment_id)
    if payment.status in COLLECTED_STATUSES:
        return payment
    ledger._trigger(
        ledger.PaymentSettled,
        SYSTEM,
        payment_id=payment_id,
        amount=payment.amount,
        stripe_ref=stripe_ref,
        property_id=payment.property_id,
        us_state=payment.us_state,
    )
    return payment


def fail_payment(
    ledger: ResidentLedger,
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
    payment = ledger.get_payment(payment_id)
    if payment.status != PaymentStatus.PENDING:
        return payment
    reason = valid_text(reason or "unknown", "reason")
    # The decision is timed from the failure's own timestamp (unless `now` is given).
    stamp = ledger.PaymentFailed.create_timestamp()
    decision = attempts.failure_decision(payment, reason, policy, now or stamp)
    ledger._trigger(
        ledger.PaymentFailed,
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
    attempts.after_failure(ledger, payment, decision)
    return payment
