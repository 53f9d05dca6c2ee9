"""Applying the payment provider's verified events (webhooks) to the ledger, safely.

A signature proves that Stripe sent an event, not that the event is about the payment
its metadata names. A money-moving event (an intent succeeded or failed, a refund, a
dispute) changes the ledger only when it agrees with what the ledger recorded:

- its PaymentIntent is the payment's recorded `stripe_ref`;
- its amount and currency are the payment's (`amount_received` for a success, `amount`
  for a failure); a dispute is for no more than the payment; a refund or a dispute is
  on the payment's intent and on that intent's charge.

With no `stripe_ref` recorded yet (the webhook beat the submission record, or we
crashed in between) the service asks Stripe for the intent (`retrieve_payment_intent`,
an API read with our key) and acts only on that answer: metadata naming this payment,
the same amount and currency, a status that agrees with the event. It then records
the submission and applies the event. Anything else is parked: nothing changes on the
ledger, an error is logged with the event id, and the outcome is WEBHOOK_MISMATCH
(counted as the `WebhookMismatch` metric, which alarms). So a `payment_failed` for an
intent that is not the payment's own never fails it (its real debit may be in
flight), and a second intent for an already submitted payment is never booked
automatically: the ledger holds one intent per payment, and untangling a second
collection (refund it, or re-point the payment) is for a person.

Every handler is idempotent and monotonic (the ledger's commands are), which is what makes
late, duplicate and out-of-order delivery safe. `PaymentService` inherits these handlers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from sfr3_ledger.application import LedgerApplication
from sfr3_ledger.errors import LedgerError, PaymentNotFound
from sfr3_ledger.payment_errors import ProviderRejected, ProviderUnavailableError
from sfr3_ledger.payment_provider import (
    PaymentIntentResult,
    PaymentProvider,
    PaymentProviderError,
    ProviderEvent,
)
from sfr3_ledger.records import Payment

log = logging.getLogger(__name__)
PROVIDER_ACTOR = "stripe"
WEBHOOK_MISMATCH = "rejected: mismatch"


class WebhookMismatch(Exception):
    """A verified provider event contradicts the ledger and Stripe's own records: parked."""


def attempt_metadata(resident_id: str, payment_id: str, attempt: int) -> dict[str, str]:
    """The metadata of an attempt's PaymentIntent: whose payment, and which attempt.

    From the second attempt on the provider is given `<paymentId>-a<n>` as the payment id
    (its idempotency key and metadata `payment_id`), so `retry_of` names the ledger's own.
    """
    meta = {"resident_id": resident_id, "payment_id": payment_id, "attempt": str(attempt)}
    if attempt > 1:
        meta["retry_of"] = payment_id
    return meta


def named_payment(metadata: Mapping[str, Any]) -> tuple[str, str] | None:
    """(resident id, ledger payment id) an intent's metadata names, or None."""
    if "resident_id" not in metadata or "payment_id" not in metadata:
        return None
    return str(metadata["resident_id"]), str(metadata.get("retry_of") or metadata["payment_id"])


def named_attempt(metadata: Mapping[str, Any]) -> int:
    """The attempt an intent's metadata names (1 for intents made before retries)."""
    try:
        return int(metadata.get("attempt") or 1)
    except (TypeError, ValueError):
        return 0



class ProviderEvents:
    """Webhook handling over `ledger` and `provider` (a mixin of PaymentService)."""

    ledger: LedgerApplication
    provider: PaymentProvider
    currency: str
    _call: Callable[..., Any]


    def verify_webhook(self, payload: bytes, signature_header: str) -> ProviderEvent:
        return self.provider.verify_webhook(payload=payload, signature_header=signature_header)

    def handle_provider_event(self, event: ProviderEvent) -> str:
        """Apply one verified provider event; safe to call twice or out of order.

        Returns a short outcome for logs. A fact the ledger refuses (unknown payment, a
        refund beyond what was paid) is reported, not raised: redelivery would not change
        the answer, and the drift is for reconciliation and alarms to surface. A fact that
        contradicts the ledger and Stripe's own records is parked as WEBHOOK_MISMATCH. When
        Stripe cannot be asked, ProviderUnavailableError propagates (the webhook answers
        503 and Stripe redelivers): an unanswered lookup is no reason to drop a payment.
        """
        handler = _EVENT_HANDLERS.get(event.type)
        if handler is None:
            return f"ignored: {event.type}"
        try:
            return handler(self, event.object)
        except WebhookMismatch as exc:
            log.error(
                "provider event %s (%s) parked, ledger unchanged: %s", event.id, event.type, exc
            )
            return WEBHOOK_MISMATCH
        except PaymentNotFound as exc:
            log.warning("provider event %s names an unknown payment: %s", event.id, exc)
            return "ignored: unknown payment"
        except ProviderUnavailableError:
            raise
        except LedgerError as exc:
            log.error("provider event %s refused by the ledger: %s", event.id, exc)
            return f"rejected: {exc.code}"

    def _owner(
        self, obj: Mapping[str, Any]
    ) -> tuple[tuple[str, str], PaymentIntentResult | None] | None:
        """(resident id, payment id) from an intent's metadata, fetching the intent if needed.

        The fetched intent is returned too (None when the event's own intent was read):
        it is Stripe's answer to an API read, which the checks below rely on.
        """
        metadata = obj.get("metadata") or {}
        named = named_payment(metadata)
        if named is not None and obj.get("object") == "payment_intent":
            return named, None
        intent_id = self._ref(obj.get("payment_intent"))
        if intent_id is None:
            return None
        intent = self._retrieve_intent(intent_id)
        named = named_payment(intent.metadata)
        if named is None:
            return None
        return named, intent

    @staticmethod
    def _ref(value: Any) -> str | None:
        """The id in a field that holds an id or an expanded object."""
        if isinstance(value, Mapping):
            value = value.get("id")
        return value if isinstance(value, str) and value else None

    def _retrieve_intent(self, intent_id: str) -> PaymentIntentResult:
        """Stripe's own copy of an intent; an intent Stripe does not know is a mismatch."""
        try:
            intent: PaymentIntentResult = self._call(
                self.provider.retrieve_payment_intent, intent_id
            )
        except ProviderRejected as exc:
            raise WebhookMismatch(f"Stripe does not know PaymentIntent {intent_id}: {exc}") from exc
        if intent.id != intent_id:
            raise WebhookMismatch(f"Stripe answered {intent.id} for PaymentIntent {intent_id}")
        return intent

    def _check_money(self, payment: Payment, amount: Any, currency: Any, what: str) -> None:
        same_amount = type(amount) is int and amount == payment.amount
        if not same_amount or not self._same_currency(currency):
            raise WebhookMismatch(
                f"{what} is for {amount} {currency}, payment {payment.payment_id} is for "
                f"{payment.amount} {self.currency}"
            )

    def _same_currency(self, currency: Any) -> bool:
        return isinstance(currency, str) and currency.lower() == self.currency.lower()

    def _check_stripe_intent(
        self,
        intent: PaymentIntentResult,
        owner: tuple[str, str],
        payment: Payment,
        statuses: tuple[str, ...],
    ) -> None:
        """Stripe's intent must name this payment, for its money, in an agreeing status."""
        problems = []
        named = named_payment(intent.metadata) or (None, None)
        if named != owner:
            problems.append(f"its metadata names payment {named[1]!r} of {named[0]!r}")
        if named_attempt(intent.metadata) != payment.attempt:
            problems.append(f"it is attempt {intent.metadata.get('attempt')!r}, the "
                            f"payment's is {payment.attempt}")
        if intent.amount != payment.amount or not self._same_currency(intent.currency):
            problems.append(
                f"it is for {intent.amount} {intent.currency}, the payment for "
                f"{payment.amount} {self.currency}"
            )
        if intent.status not in statuses:
            problems.append(f"its status is {intent.status}")
        if problems:
            raise WebhookMismatch(
                f"Stripe's PaymentIntent {intent.id} does not confirm payment "
                f"{payment.payment_id}: " + "; ".join(problems)
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

    def _confirm_related(
        self, obj: Mapping[str, Any], what: str
    ) -> tuple[tuple[str, str], Payment, PaymentIntentResult] | None:
        """The payment a charge, refund or dispute is about, proven through Stripe's intent."""
        found = self._owner(obj)
        if found is None:
            return None
        owner, intent = found
        if intent is None:  # only an intent object's own metadata is read without a lookup
            raise WebhookMismatch(f"a {what} event carries a PaymentIntent object")
        payment = self.ledger.payment(*owner)
        if payment.stripe_ref is not None and payment.stripe_ref != intent.id:
            raise WebhookMismatch(
                f"the {what} is on PaymentIntent {intent.id}, not on payment "
                f"{payment.payment_id}'s recorded {payment.stripe_ref}"
            )
        self._check_stripe_intent(intent, owner, payment, ("succeeded",))
        if not self._same_currency(obj.get("currency")):
            raise WebhookMismatch(f"the {what} is in {obj.get('currency')}, not {self.currency}")
        return owner, payment, intent

    def _check_charge(self, charge_id: str | None, intent: PaymentIntentResult, what: str) -> None:
        if charge_id is not None and intent.latest_charge not in (None, charge_id):
            raise WebhookMismatch(
                f"{what} is on charge {charge_id}, not on {intent.id}'s {intent.latest_charge}"
            )

    def _check_refund(
        self, refund: Mapping[str, Any], intent: PaymentIntentResult, charge_id: str | None
    ) -> None:
        what = f"refund {refund.get('id')}"
        refund_intent = self._ref(refund.get("payment_intent"))
        if refund_intent is not None and refund_intent != intent.id:
            raise WebhookMismatch(f"{what} is on PaymentIntent {refund_intent}, not {intent.id}")
        refund_charge = self._ref(refund.get("charge"))
        if charge_id is not None and refund_charge not in (None, charge_id):
            raise WebhookMismatch(f"{what} is on charge {refund_charge}, not {charge_id}")
        self._check_charge(refund_charge, intent, what)
        if "currency" in refund and not self._same_currency(refund["currency"]):
            raise WebhookMismatch(f"{what} is in {refund['currency']}, not {self.currency}")

    def _adopt(self, owner: tuple[str, str], payment: Payment, intent: PaymentIntentResult) -> None:
        """Record the intent Stripe confirmed when the submission record is still missing."""
        if payment.stripe_ref is None:
            self.ledger.record_submission(owner[0], owner[1], intent.id)

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

    def _apply_refund_objects(
        self, owner: tuple[str, str], refunds: list[Mapping[str, Any]]
    ) -> str:
        applied = 0
        for refund in refunds:
            if refund.get("status") not in ("succeeded", "pending"):
                continue
            # Our own refunds carry their request id: recording one here releases the
            # request's reservation, whichever of the webhook and the API call is first.
            metadata = refund.get("metadata") or {}
            request_id = metadata.get("refund_request_id")
            self.ledger.apply_refund(
                owner[0],
                owner[1],
                refund_id=str(refund["id"]),
                amount=int(refund["amount"]),
                actor=PROVIDER_ACTOR,
                stripe_ref=str(refund["id"]),
                request_id=str(request_id) if request_id else None,
            )
            applied += 1
        return f"refunds applied: {applied}"

    def _on_charge_refunded(self, obj: Mapping[str, Any]) -> str:
        found = self._confirm_related(obj, "charge")
        if found is None:
            return "ignored: not our payment"
        owner, payment, intent = found
        charge_id = self._ref(obj.get("id"))
        self._check_charge(charge_id, intent, "the refunded charge")
        if obj.get("amount", payment.amount) != payment.amount:
            raise WebhookMismatch(
                f"charge {charge_id} is for {obj.get('amount')}, payment {payment.payment_id} "
                f"for {payment.amount}"
            )
        refunds = list((obj.get("refunds") or {}).get("data") or [])
        for refund in refunds:
            self._check_refund(refund, intent, charge_id)
        self._adopt(owner, payment, intent)
        return self._apply_refund_objects(owner, refunds)

    def _on_refund(self, obj: Mapping[str, Any]) -> str:
        found = self._confirm_related(obj, "refund")
        if found is None:
            return "ignored: not our payment"
        owner, payment, intent = found
        self._check_refund(obj, intent, None)
        self._adopt(owner, payment, intent)
        return self._apply_refund_objects(owner, [obj])

    def _open_dispute(self, obj: Mapping[str, Any]) -> tuple[str, str] | None:
        found = self._confirm_related(obj, "dispute")
        if found is None:
            return None
        owner, payment, intent = found
        what = f"dispute {obj.get('id')}"
        self._check_charge(self._ref(obj.get("charge")), intent, what)
        amount = obj.get("amount")
        if type(amount) is not int or not 0 < amount <= payment.amount:
            raise WebhookMismatch(
                f"{what} is for {amount}; payment {payment.payment_id} was {payment.amount}"
            )
        self._adopt(owner, payment, intent)
        self.ledger.open_dispute(
            owner[0],
            dispute_id=str(obj["id"]),
            payment_id=owner[1],
            amount=amount,
            reason=str(obj.get("reason") or "general"),
        )
        return owner

    def _on_dispute_created(self, obj: Mapping[str, Any]) -> str:
        return "dispute opened" if self._open_dispute(obj) else "ignored: not our payment"

    def _on_dispute_updated(self, obj: Mapping[str, Any]) -> str:
        owner = self._open_dispute(obj)  # tolerate a missed or late `created`
        if owner is None:
            return "ignored: not our payment"
        if obj.get("status") == "under_review":
            self.ledger.submit_dispute_evidence(owner[0], str(obj["id"]), actor=PROVIDER_ACTOR)
        return "dispute updated"

    def _on_dispute_closed(self, obj: Mapping[str, Any]) -> str:
        owner = self._open_dispute(obj)
        if owner is None:
            return "ignored: not our payment"
        # `warning_closed` (an inquiry that closed) took no money, like a win.
        won = obj.get("status") != "lost"
        self.ledger.close_dispute(owner[0], str(obj["id"]), won=won)
        return "dispute won" if won else "chargeback applied"


_EVENT_HANDLERS: dict[str, Callable[[ProviderEvents, Mapping[str, Any]], str]] = {
    "payment_intent.succeeded": ProviderEvents._on_intent_succeeded,
    "payment_intent.payment_failed": ProviderEvents._on_intent_failed,
    "charge.refunded": ProviderEvents._on_charge_refunded,
    "refund.created": ProviderEvents._on_refund,
    "refund.updated": ProviderEvents._on_refund,
    "charge.refund.updated": ProviderEvents._on_refund,
    "charge.dispute.created": ProviderEvents._on_dispute_created,
    "charge.dispute.updated": ProviderEvents._on_dispute_updated,
    "charge.dispute.closed": ProviderEvents._on_dispute_closed,
}

__all__ = ["PROVIDER_ACTOR", "WEBHOOK_MISMATCH", "ProviderEvents", "WebhookMismatch",
           "attempt_metadata", "named_attempt", "named_payment"]
