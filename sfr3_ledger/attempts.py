"""Payment attempts and retries on the resident ledger (kept out of ledger.py).

A payment keeps its id for its whole life; each attempt is a PaymentIntent of its own
(Stripe idempotency key `pi-<paymentId>` for the first, `pi-<paymentId>-a<n>` for the
n-th), and the ledger records every attempt and why it failed:

- `PaymentFailed` (existing fact) now carries the attempt number and the decision the
  policy (`retries.py`) took for it: `retry_at` when another attempt is due, `retryable`
  False for a hard decline. A failure releases the reservation, so between attempts the
  resident may pay by hand and nothing is held back.
- `PaymentPermanentlyFailed`: a retryable failure with no attempt left (the
  `payment.permanently_failed` event: retry DLQ, property-manager alert).
- `PaymentRetryStarted`: the next attempt, re-reserved against the payable balance *now*
  (which counts pending payments): for at most what the last attempt was for and what is
  still payable, so a retry never overpays. `PaymentRetryCancelled` when nothing (or less
  than the provider's minimum) is payable any more, or the method was removed.
- `PaymentRecovered`: the recovery job resolved a payment stuck PENDING (`recovery.py`).

These are plain functions of the ledger, bound on `ResidentLedger` as methods (like
`refunds.py`); the events are nested in ResidentLedger (their stored topics) and their
`apply` delegates to the `applied_*` functions here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sfr3_ledger.errors import InvalidCommand
from sfr3_ledger.records import Payment, PaymentAttempt
from sfr3_ledger.retries import RetryDecision, RetryPolicy
from sfr3_ledger.values import MIN_PAYMENT_CENTS, SYSTEM, PaymentStatus

if TYPE_CHECKING:
    from sfr3_ledger.ledger import ResidentLedger

SCHEDULED = "SCHEDULED"
EXHAUSTED = "EXHAUSTED"
CANCELLED = "CANCELLED"
RETRY_ACTOR = "system:retries"


def idempotency_suffix(attempt: int) -> str:
    """What the provider's key adds for attempt n (nothing for the first: unchanged keys)."""
    return "" if attempt <= 1 else f"-a{attempt}"


# ---- state changes (called only from the events' apply) -----------------------------

def applied_failure(payment: Payment, reason: str, at: datetime, stripe_ref: str | None,
                    attempt: int | None, retry_at: datetime | None,
                    retryable: bool | None) -> None:
    payment.attempts.append(PaymentAttempt(
        number=attempt or payment.attempt, amount=payment.amount,
        stripe_ref=stripe_ref or payment.stripe_ref, reason=reason, failed_at=at,
        retry_at=retry_at))
    payment.retry_at = retry_at
    payment.retry_status = SCHEDULED if retry_at is not None else None


def applied_retry_started(ledger: ResidentLedger, payment: Payment, attempt: int,
                          amount: int) -> None:
    payment.attempt = attempt
    payment.amount = amount
    payment.status = PaymentStatus.PENDING
    payment.stripe_ref = None
    payment.failed_at = None
    payment.failure_reason = None
    payment.retry_at = None
    payment.retry_status = None
    ledger.pending_total += amount


def applied_retry_ended(payment: Payment, status: str | None) -> None:
    payment.retry_at = None
    payment.retry_status = status


# ---- commands -------------------------------------------------------------------------

def failure_decision(payment: Payment, reason: str, policy: RetryPolicy | None,
                     now: datetime | None) -> RetryDecision | None:
    """The policy's decision for the failure of the payment's current attempt."""
    if policy is None:
        return None
    return policy.decide(reason, payment.attempt, now or datetime.now(UTC))


def after_failure(ledger: ResidentLedger, payment: Payment,
                  decision: RetryDecision | None) -> None:
    """Record that a retryable payment ran out of attempts (same save as its failure)."""
    if decision is None or not decision.exhausted:
        return
    ledger._trigger(
        ledger.PaymentPermanentlyFailed, SYSTEM, payment_id=payment.payment_id,
        amount=payment.amount, attempts=decision.attempt,
        reason=payment.failure_reason or "unknown", method_id=payment.method_id,
        property_id=payment.property_id, us_state=payment.us_state)


def start_retry(ledger: ResidentLedger, *, payment_id: str, now: datetime,
                actor: str = RETRY_ACTOR) -> Payment:
    """Start the next attempt if one is due: re-reserve min(last amount, payable).

    Nothing due (not FAILED, no retry scheduled, or not yet time) changes nothing and
    returns the payment as it is; a caller reads `status`/`retry_status` to know.
    """
    payment = ledger.get_payment(payment_id)
    if now.tzinfo is None:
        raise InvalidCommand("now must be timezone-aware")
    if (payment.status != PaymentStatus.FAILED or payment.retry_status != SCHEDULED
            or payment.retry_at is None or payment.retry_at > now):
        return payment
    amount = min(payment.amount, ledger.payable)
    if amount < MIN_PAYMENT_CENTS:
        reason = "nothing payable" if ledger.payable <= 0 else "below the minimum payment"
        return cancel_retry(ledger, payment_id=payment_id, reason=reason, actor=actor)
    ledger._trigger(
        ledger.PaymentRetryStarted, actor, payment_id=payment_id,
        attempt=payment.attempt + 1, amount=amount, method_id=payment.method_id,
        property_id=payment.property_id, us_state=payment.us_state)
    return payment


def cancel_retry(ledger: ResidentLedger, *, payment_id: str, reason: str,
                 actor: str = RETRY_ACTOR) -> Payment:
    """Stop retrying a payment (once): nothing is reserved, so nothing is released."""
    payment = ledger.get_payment(payment_id)
    if payment.retry_status != SCHEDULED or payment.status != PaymentStatus.FAILED:
        return payment
    ledger._trigger(
        ledger.PaymentRetryCancelled, actor, payment_id=payment_id,
        attempt=payment.attempt, reason=reason, property_id=payment.property_id,
        us_state=payment.us_state)
    return payment


def record_recovery(ledger: ResidentLedger, *, payment_id: str, action: str,
                    outcome: str) -> Payment:
    """Note that the recovery job resolved a stuck payment (`action` -> `outcome`)."""
    payment = ledger.get_payment(payment_id)
    ledger._trigger(
        ledger.PaymentRecovered, SYSTEM, payment_id=payment_id, attempt=payment.attempt,
        action=action, outcome=outcome, stripe_ref=payment.stripe_ref,
        property_id=payment.property_id, us_state=payment.us_state)
    return payment
