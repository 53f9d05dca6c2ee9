"""Retrying failed payments and resolving stuck ones (a mixin of PaymentService).

`retry_payment` makes a due retry's next attempt: it re-reserves what is still payable
(`ResidentLedger.start_retry`: never more than the last attempt, never more than the
payable balance, which counts payments in flight), then submits a new PaymentIntent
under the attempt's own idempotency key. A method removed since is never charged: the
retry is cancelled instead.

`recover_payment` resolves a payment left PENDING (`payment-recovery` job):

- no PaymentIntent recorded (we crashed, or Stripe was unreachable, between the
  reservation and the submission record): re-drive it with the *same* idempotency key
  (`resubmit`), so an intent created before the crash is returned, never a second one;
  then, like the next case, apply what Stripe says about it;
- a PaymentIntent recorded but no outcome (its webhook never came): ask Stripe for the
  intent and apply its status through the webhook's own handler (`handle_provider_event`,
  with all its cross-checks), so a recovered fact and a late webhook are one fact;
  `processing` changes nothing (ACH takes days) and is looked at again later.

Stripe keeps idempotency keys for 24 hours; the job re-drives a payment within
`recover_after` plus one run (30 minutes by default), far inside that window.
Each resolution is recorded as `PaymentRecovered` (action, outcome) on the ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sfr3_ledger.attempts import CANCELLED
from sfr3_ledger.autopay import AUTOPAY_ACTOR, autopay_still_consents
from sfr3_ledger.errors import PaymentMethodNotFound
from sfr3_ledger.payment_errors import PaymentDeclined, ProviderUnavailableError
from sfr3_ledger.payment_provider import PaymentIntentResult, ProviderEvent
from sfr3_ledger.retries import METHOD_REMOVED
from sfr3_ledger.values import PaymentStatus

if TYPE_CHECKING:
    from sfr3_ledger.application import LedgerApplication
    from sfr3_ledger.records import Payment

log = logging.getLogger(__name__)

RetryOutcome = Literal["retried", "declined", "cancelled", "pending", "not due"]
RecoveryOutcome = Literal["submitted", "settled", "failed", "processing", "mismatch",
                          "already resolved"]
FAILED_STATUSES = ("requires_payment_method", "canceled")
SUCCEEDED = "succeeded"


class PaymentRecovery:
    """Retry and recovery over `ledger` and `provider` (a mixin of PaymentService)."""

    ledger: LedgerApplication
    _call: Callable[..., Any]
    if TYPE_CHECKING:
        provider: Any

        def resubmit(self, resident_id: str, payment_id: str) -> Payment: ...

        def _submit(self, resident_id: str, payment: Payment, provider_method_id: str,
                    customer_id: str | None) -> Payment: ...

        def handle_provider_event(self, event: ProviderEvent) -> str: ...

    # ---- retries ------------------------------------------------------------------------

    def retry_payment(self, resident_id: str, payment_id: str, *,
                      now: datetime | None = None) -> RetryOutcome:
        """Make the next attempt of a payment whose retry is due; safe to repeat."""
        now = now or datetime.now(UTC)
        methods = self.ledger.payment_methods(resident_id)
        payment = self._live(resident_id, payment_id)  # money moves on live state only
        method = methods.methods.get(payment.method_id)
        withdrawn = None
        if method is None or not method.active:
            withdrawn = "payment method removed"
        elif payment.initiated_by == AUTOPAY_ACTOR and not autopay_still_consents(
                self.ledger.find_autopay(resident_id), payment.method_id, payment.mandate_id):
            withdrawn = "autopay paused, cancelled or moved to another method"
        if withdrawn is not None and payment.status == PaymentStatus.PENDING:
            # A repeat: the attempt was reserved while the consent held, but may never have
            # reached Stripe. Never sent again from here; the recovery job's same-key
            # re-drive decides (`_redrive`).
            return "pending"
        if payment.status == PaymentStatus.FAILED and withdrawn is not None:
            self.ledger.cancel_retry(resident_id, payment_id, reason=withdrawn)
            cancelled = self._live(resident_id, payment_id)
            return "cancelled" if (cancelled.retry_status or "").startswith(CANCELLED) \
                else "not due"
        payment = self.ledger.start_retry(resident_id, payment_id, now=now)
        if (payment.retry_status or "").startswith(CANCELLED):
            return "cancelled"
        if payment.status != PaymentStatus.PENDING or payment.stripe_ref is not None:
            return "not due"
        assert method is not None
        try:
            self._submit(resident_id, payment, method.provider_id, methods.customer_id)
        except PaymentDeclined:
            return "declined"  # recorded FAILED, with the policy's next step
        except PaymentMethodNotFound:
            self.ledger.fail_payment(resident_id, payment_id, reason=METHOD_REMOVED)
            return "declined"
        except ProviderUnavailableError:  # the reservation waits for the recovery job
            log.warning("retry of %s left PENDING; the recovery job re-drives it", payment_id)
            return "pending"
        return "retried"

    # ---- recovery -----------------------------------------------------------------------

    def recover_payment(self, resident_id: str, payment_id: str) -> RecoveryOutcome:
        """Resolve a PENDING payment to Stripe's truth, once. Provider errors propagate
        (ProviderUnavailableError): the job looks again on its next run."""
        payment = self._live(resident_id, payment_id)
        if payment.status != PaymentStatus.PENDING:
            return "already resolved"
        action = "synced"
        if payment.stripe_ref is None:
            action = "resubmitted"
            outcome = self._redrive(resident_id, payment)
            if outcome is not None:
                self.ledger.record_recovery(resident_id, payment_id, action=action,
                                            outcome=outcome)
                return outcome
            payment = self._live(resident_id, payment_id)
        assert payment.stripe_ref is not None
        intent: PaymentIntentResult = self._call(self.provider.retrieve_payment_intent,
                                                 payment.stripe_ref)
        synced = self.apply_intent(intent)
        if synced == "processing" and action == "resubmitted":
            synced = "submitted"
        if synced in ("settled", "failed", "submitted"):
            self.ledger.record_recovery(resident_id, payment_id, action=action, outcome=synced)
        return synced

    def _redrive(self, resident_id: str, payment: Payment) -> RecoveryOutcome | None:
        """Resubmit with the same key; an outcome when that settled the question."""
        methods = self.ledger.payment_methods(resident_id)
        method = methods.methods.get(payment.method_id)
        if method is None or methods.customer_id is None:
            # Never asked of Stripe: nothing moved, release it.
            self.ledger.fail_payment(resident_id, payment.payment_id, reason=METHOD_REMOVED)
            return "failed"
        # A method removed since is re-sent all the same, with the same key: if the first
        # request made an intent (and charged), Stripe answers with it; a new one on the
        # detached method is refused, and the refusal releases the reservation.
        try:
            self.resubmit(resident_id, payment.payment_id)
        except PaymentDeclined:
            return "failed"
        after = self._live(resident_id, payment.payment_id)
        if after.status == PaymentStatus.FAILED:
            return "failed"
        if after.status != PaymentStatus.PENDING:
            return "settled"
        return None

    def _live(self, resident_id: str, payment_id: str) -> Payment:
        """The payment as the live aggregate has it (never a read model's row, which may
        lag): what every step that can move money decides on."""
        return self.ledger.ledger(resident_id).get_payment(payment_id)

    def apply_intent(self, intent: PaymentIntentResult) -> RecoveryOutcome:
        """Stripe's answer about an intent, applied as its webhook would be (the intent,
        amount, currency and attempt checks; a payment whose submission was never recorded
        gets it recorded): what recovery and reconciliation's healing both use, so neither
        settles what the webhook path would refuse, nor ever creates an intent."""
        if intent.status == SUCCEEDED:
            kind = "payment_intent.succeeded"
        elif intent.status in FAILED_STATUSES:
            kind = "payment_intent.payment_failed"
        else:
            return "processing"
        error = {"code": intent.failure_code, "decline_code": intent.failure_code,
                 "message": intent.failure_message} if intent.failure_code else None
        obj: dict[str, Any] = {
            "id": intent.id, "object": "payment_intent", "status": intent.status,
            "amount": intent.amount, "currency": intent.currency,
            "metadata": dict(intent.metadata), "last_payment_error": error,
        }
        if intent.status == SUCCEEDED:
            obj["amount_received"] = intent.amount
        event = ProviderEvent(id=f"recovery:{intent.id}", type=kind,
                              created=datetime.now(UTC), object=obj)
        result = self.handle_provider_event(event)
        if result in ("settled", "failed"):
            return result  # type: ignore[return-value]
        log.error("recovery of intent %s not applied: %s", intent.id, result)
        return "mismatch"
