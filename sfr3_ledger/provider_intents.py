"""The PaymentIntent webhooks: a payment settled or failed (see provider_events.py).

An intent's event settles or fails the payment only once the intent is proven to be the
payment's own: its recorded `stripe_ref`, or (none recorded yet) Stripe's copy of the
intent names the payment, for its money, in an agreeing status; the submission is then
recorded first. A failure of an attempt already recorded failed changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sfr3_ledger.payment_provider import PaymentProviderError
from sfr3_ledger.provider_proofs import ProviderProofs, WebhookMismatch, named_payment
from sfr3_ledger.records import Payment


class IntentEvents(ProviderProofs):
    """`payment_intent.succeeded` and `payment_intent.payment_failed` (a mixin)."""

    def _check_money(self, payment: Payment, amount: Any, currency: Any, what: str) -> None:
        same_amount = type(amount) is int and amount == payment.amount
        if not same_amount or not self._same_currency(currency):
            raise WebhookMismatch(
                f"{what} is for {amount} {currency}, payment {payment.payment_id} is for "
                f"{payment.amount} {self.currency}"
            )

    def _other_intent(self, intent_id: str, owner: tuple[str, str], payment: Payment) -> str:
        """Why an intent that is not the payment's recorded one is parked, as Stripe sees it."""
        base = (
            f"PaymentIntent {intent_id} is not payment {payment.payment_id}'s recorded "
            f"{payment.stripe_ref}"
        )
        try:
            intent = self.provider.retrieve_payment_intent(intent_id)
        except PaymentProviderError as exc:
            return f"{base} (Stripe: {exc.code})"
        named = named_payment(intent.metadata) or (None, None)
        if named == owner:
            return (
                f"{base}; Stripe says it is a second intent for this payment ({intent.status}, "
                f"{intent.amount} {intent.currency}): reconcile by hand"
            )
        return f"{base}; Stripe says it is payment {named[1]!r}'s"

    def _confirm_intent(
        self, owner: tuple[str, str], obj: Mapping[str, Any], amount: Any, statuses: tuple[str, ...]
    ) -> str:
        """The event's intent id once it is proven to be the payment's; else WebhookMismatch.

        May record the submission (the only write), after every check has passed.
        """
        resident_id, payment_id = owner
        payment = self.ledger.payment(resident_id, payment_id)
        intent_id = self._ref(obj.get("id"))
        if intent_id is None:
            raise WebhookMismatch("the event names no PaymentIntent")
        self._check_money(payment, amount, obj.get("currency"), f"PaymentIntent {intent_id}")
        if payment.stripe_ref == intent_id:
            return intent_id
        if payment.stripe_ref is not None:
            raise WebhookMismatch(self._other_intent(intent_id, owner, payment))
        intent = self._retrieve_intent(intent_id)
        self._check_stripe_intent(intent, owner, payment, statuses)
        self.ledger.record_submission(resident_id, payment_id, intent.id)
        return intent.id

    def _on_intent_succeeded(self, obj: Mapping[str, Any]) -> str:
        found = self._owner(obj)
        if found is None:
            return "ignored: not our payment"
        owner = found[0]
        received = obj["amount_received"] if "amount_received" in obj else obj.get("amount")
        intent_id = self._confirm_intent(owner, obj, received, ("succeeded",))
        self.ledger.settle_payment(owner[0], owner[1], stripe_ref=intent_id)
        return "settled"

    def _on_intent_failed(self, obj: Mapping[str, Any]) -> str:
        found = self._owner(obj)
        if found is None:
            return "ignored: not our payment"
        owner = found[0]
        earlier = self._earlier_attempt(owner, obj)
        if earlier is not None:
            return earlier
        intent_id = self._confirm_intent(
            owner, obj, obj.get("amount"), ("requires_payment_method", "canceled")
        )
        error = obj.get("last_payment_error") or {}
        reason = error.get("decline_code") or error.get("code") or "payment_failed"
        self.ledger.fail_payment(owner[0], owner[1], reason=str(reason), stripe_ref=intent_id)
        return "failed"

    def _earlier_attempt(self, owner: tuple[str, str], obj: Mapping[str, Any]) -> str | None:
        """A failure of an attempt already recorded failed (a late or repeated webhook)."""
        payment = self.ledger.payment(*owner)
        intent_id = self._ref(obj.get("id"))
        if intent_id is not None and intent_id != payment.stripe_ref and any(
                a.stripe_ref == intent_id for a in payment.attempts):
            return "ignored: earlier attempt"
        return None
