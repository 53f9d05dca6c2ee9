"""Retrying failed payments and resolving stuck ones (a mixin of PaymentService).

`retry_payment` makes a due retry's next attempt: it re-reserves what is still payable
(`ResidentLedger.start_retry`: never more than the last attempt, never more than the
payable balance, which counts payments in flight), then submits a new PaymentIntent
under the attempt's own idempotency key. A method removed since is never charged: the
retry is cancelled instead; a repeat of an attempt reserved before the consent was
withdrawn sends nothing and leaves the attempt to recovery.

`recover_payment` resolves a payment left PENDING (`payment-recovery` job):

- no PaymentIntent recorded (we crashed, or Stripe was unreachable, between the
  reservation and the submission record): the first request may or may not have reached
  Stripe. How that is found out depends on what a re-send could do:
  * the consent it was made under is withdrawn since (autopay paused, cancelled or moved
    to another method or mandate; the method removed): a re-send could create, and
    charge, a new intent now, without consent. Nothing is sent: the customer's intents
    since the reservation are *listed* (`list_payment_intents_page`, a read) and one made
    for this attempt (its metadata) is applied (`apply_intent`: the money moved under the
    consent given then; recorded, never hidden). None: the reservation is released
    (FAILED, a reason no retry follows), Stripe never asked to create anything;
  * the reservation is older than `lookup_after` (`SFR3_RECOVERY_LOOKUP_AFTER`, 23 h by
    default, under Stripe's 24 h key window): the key alone may no longer recognise the
    first intent, so it is listed first, and applied if found; re-sent only if none
    exists (then a create is no second charge);
  * otherwise the *same* idempotency key is re-sent (`resubmit`): an intent created
    before the crash is returned, never a second one, and a new one is created if none
    was. Every re-send carries what the payment recorded (`mandate`, `mandate_data`,
    `off_session`), so the key always sees the same request;
  then, like the next case, what Stripe says about the intent is applied;
- a PaymentIntent recorded but no outcome (its webhook never came): ask Stripe for the
  intent and apply its status through the webhook's own handler (`handle_provider_event`,
  with all its cross-checks), so a recovered fact and a late webhook are one fact;
  `processing` changes nothing (ACH takes days) and is looked at again later.

Stripe unreachable (a lookup, a re-send, a read) changes nothing: the error propagates
and the job looks again on a later run. Each resolution is recorded as `PaymentRecovered`
(action `resubmitted`, `found`, `released` or `synced`; outcome) on the ledger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from sfr3_ledger.attempts import CANCELLED, idempotency_suffix
from sfr3_ledger.autopay import AUTOPAY_ACTOR, autopay_still_consents
from sfr3_ledger.errors import PaymentMethodNotFound
from sfr3_ledger.payment_errors import PaymentDeclined, ProviderUnavailableError
from sfr3_ledger.payment_provider import PaymentIntentResult, ProviderEvent
from sfr3_ledger.provider_proofs import named_attempt, named_payment
from sfr3_ledger.retries import METHOD_REMOVED, parse_delays
from sfr3_ledger.values import PaymentStatus

if TYPE_CHECKING:
    from sfr3_ledger.application import LedgerApplication
    from sfr3_ledger.records import Payment, PaymentMethod

log = logging.getLogger(__name__)

RetryOutcome = Literal["retried", "declined", "cancelled", "pending", "not due"]
RecoveryOutcome = Literal["submitted", "settled", "failed", "processing", "mismatch",
                          "already resolved"]
FAILED_STATUSES = ("requires_payment_method", "canceled")
SUCCEEDED = "succeeded"
# Why a reservation is released when autopay's consent was withdrawn and Stripe made
# nothing: not a retryable reason, so no retry follows.
CONSENT_WITHDRAWN = "autopay_consent_withdrawn"
# Stripe forgets an idempotency key once it is at least 24 hours old; a reservation older
# than this is looked up before any re-send (SFR3_RECOVERY_LOOKUP_AFTER).
DEFAULT_LOOKUP_AFTER = timedelta(hours=23)
KEY_WINDOW = timedelta(hours=24)
# How long before the reservation the listing starts: our clock and Stripe's may differ.
CLOCK_SLACK = timedelta(minutes=10)


def lookup_after(env: Mapping[str, str] | None) -> timedelta:
    """`SFR3_RECOVERY_LOOKUP_AFTER` (`23h`, `82800`...): under Stripe's 24 h key window,
    or a ValueError (a margin past the window would re-send keys Stripe forgot)."""
    text = (env or {}).get("SFR3_RECOVERY_LOOKUP_AFTER")
    after = parse_delays(text)[0] if text else DEFAULT_LOOKUP_AFTER
    if after >= KEY_WINDOW:
        raise ValueError("SFR3_RECOVERY_LOOKUP_AFTER must be under 24h (Stripe's "
                         "idempotency-key window)")
    return after


def reserved_since(payment: Payment) -> datetime:
    """When the current attempt was reserved, or a moment before (wall clock, both): the
    first attempt's initiation; a retry's is the failure of the attempt before it (it
    starts after that is recorded). Not the retry's due time: a run judged as of a later
    instant (`--at`) starts a retry before it is due by the clock. Earlier than the truth
    is safe: the listing is wider and the age older (a lookup rather than a re-send)."""
    if payment.attempt <= 1 or not payment.attempts:
        return payment.initiated_at
    return max(payment.attempts[-1].failed_at, payment.initiated_at)


class PaymentRecovery:
    """Retry and recovery over `ledger` and `provider` (a mixin of PaymentService)."""

    ledger: LedgerApplication
    currency: str
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
        withdrawn = self._withdrawn(resident_id, payment, method)
        if withdrawn is not None and payment.status == PaymentStatus.PENDING:
            # A repeat: the attempt was reserved while the consent held, but may never have
            # reached Stripe. Never sent again from here; the recovery job looks it up
            # without re-sending (`_unrecorded`).
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

    def _withdrawn(self, resident_id: str, payment: Payment,
                   method: PaymentMethod | None) -> str | None:
        """Why the consent a payment's attempt was made under no longer holds, or None."""
        if method is None or not method.active:
            return "payment method removed"
        if payment.initiated_by == AUTOPAY_ACTOR and not autopay_still_consents(
                self.ledger.find_autopay(resident_id), payment.method_id, payment.mandate_id):
            return "autopay paused, cancelled or moved to another method"
        return None

    # ---- recovery -----------------------------------------------------------------------

    def recover_payment(self, resident_id: str, payment_id: str, *,
                        now: datetime | None = None) -> RecoveryOutcome:
        """Resolve a PENDING payment to Stripe's truth, once. Provider errors propagate
        (ProviderUnavailableError): the job looks again on its next run. `now` is the
        instant judged by (how old a reservation is)."""
        payment = self._live(resident_id, payment_id)
        if payment.status != PaymentStatus.PENDING:
            return "already resolved"
        action = "synced"
        if payment.stripe_ref is None:
            action, outcome = self._unrecorded(resident_id, payment, now or datetime.now(UTC))
            if outcome in ("settled", "failed", "submitted"):
                self.ledger.record_recovery(resident_id, payment_id, action=action,
                                            outcome=outcome)
            if outcome is not None:
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

    def _unrecorded(self, resident_id: str, payment: Payment,
                    now: datetime) -> tuple[str, RecoveryOutcome | None]:
        """(action, outcome) for a PENDING payment with no intent recorded; outcome None:
        an intent is recorded now, and what Stripe says about it is still to apply."""
        methods = self.ledger.payment_methods(resident_id)
        method = methods.methods.get(payment.method_id)
        pid = payment.payment_id
        if method is None or methods.customer_id is None:
            # Never asked of Stripe (no such method, no customer): nothing moved.
            self.ledger.fail_payment(resident_id, pid, reason=METHOD_REMOVED)
            return "resubmitted", "failed"
        withdrawn = self._withdrawn(resident_id, payment, method)
        since = reserved_since(payment)
        if withdrawn is None and now - since < lookup_after(self.ledger.env):
            return "resubmitted", self._redrive(resident_id, payment)
        found = self._find_intent(resident_id, payment, methods.customer_id, since)
        if found is not None:
            return "found", self._apply_found(resident_id, payment, found)
        if withdrawn is not None:
            log.warning("payment %s: consent withdrawn (%s) and no intent at Stripe: "
                        "released, nothing sent", pid, withdrawn)
            reason = METHOD_REMOVED if not method.active else CONSENT_WITHDRAWN
            self.ledger.fail_payment(resident_id, pid, reason=reason)
            return "released", "failed"
        # Past the key window and no intent exists: a create is the first, not a second.
        return "resubmitted", self._redrive(resident_id, payment)

    def _find_intent(self, resident_id: str, payment: Payment, customer_id: str,
                     since: datetime) -> PaymentIntentResult | None:
        """The intent Stripe made for the payment's current attempt, if any: the
        customer's intents created since the reservation (a read, page by page), matched
        on the metadata our create sends (`attempt_metadata`, the keyed payment id)."""
        key_id = payment.payment_id + idempotency_suffix(payment.attempt)
        matches: list[PaymentIntentResult] = []
        after: str | None = None
        while True:
            page = self._call(self.provider.list_payment_intents_page,
                              customer_id=customer_id, created_from=since - CLOCK_SLACK,
                              starting_after=after, limit=100)
            matches += [i for i in page.data
                        if i.metadata.get("payment_id") == key_id
                        and named_payment(i.metadata) == (resident_id, payment.payment_id)
                        and named_attempt(i.metadata) == payment.attempt]
            if not page.has_more or not page.data:
                break
            after = page.data[-1].id
        if len(matches) > 1:  # one key, one intent: more is a double charge to look at
            log.error("payment %s attempt %d: %d intents at Stripe (%s)", payment.payment_id,
                      payment.attempt, len(matches), ", ".join(i.id for i in matches))
        succeeded = [i for i in matches if i.status == SUCCEEDED]
        chosen = succeeded or matches
        return chosen[0] if chosen else None

    def _apply_found(self, resident_id: str, payment: Payment,
               intent: PaymentIntentResult) -> RecoveryOutcome:
        """Apply an intent found for an unrecorded attempt; one still processing is
        recorded as the payment's submission (its webhook or a later run settles it)."""
        if intent.amount != payment.amount or \
                intent.currency.lower() != self.currency.lower():
            log.error("payment %s: intent %s found for it is for %d %s, not %d: left "
                      "PENDING for a person", payment.payment_id, intent.id, intent.amount,
                      intent.currency, payment.amount)
            return "mismatch"
        outcome = self.apply_intent(intent)
        if outcome == "processing":
            self.ledger.record_submission(resident_id, payment.payment_id, intent.id)
            return "submitted"
        return outcome

    def _redrive(self, resident_id: str, payment: Payment) -> RecoveryOutcome | None:
        """Resubmit with the same key (the consent holds, the key is within Stripe's
        window, or no intent exists); an outcome when that settled the question."""
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
