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

The checks are `provider_proofs.py`; the handlers, by event family, `provider_intents.py`
(payments settled or failed), `provider_refunds.py` (refunds and disputes) and
`provider_mandates.py` (a revoked ACH mandate pauses the autopay that debits under it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from sfr3_ledger.errors import LedgerError, PaymentNotFound
from sfr3_ledger.payment_errors import ProviderUnavailableError
from sfr3_ledger.payment_provider import ProviderEvent
from sfr3_ledger.provider_intents import IntentEvents
from sfr3_ledger.provider_mandates import MandateEvents
from sfr3_ledger.provider_proofs import (
    PROVIDER_ACTOR,
    WebhookMismatch,
    attempt_metadata,
    named_attempt,
    named_payment,
)
from sfr3_ledger.provider_refunds import RefundAndDisputeEvents

log = logging.getLogger(__name__)
WEBHOOK_MISMATCH = "rejected: mismatch"


class ProviderEvents(IntentEvents, RefundAndDisputeEvents, MandateEvents):
    """Webhook handling over `ledger` and `provider` (a mixin of PaymentService)."""

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
    "mandate.updated": ProviderEvents._on_mandate_updated,
}

__all__ = ["PROVIDER_ACTOR", "WEBHOOK_MISMATCH", "ProviderEvents", "WebhookMismatch",
           "attempt_metadata", "named_attempt", "named_payment"]
