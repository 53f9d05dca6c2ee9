"""Payment flows across the ledger and the payment provider, in the order that keeps money safe.

The rule of every flow here: write down what we are about to do before asking the
provider to do it, and make the provider call repeatable.

- A payment is reserved in the ledger (PENDING, counted against the payable balance)
  *before* the PaymentIntent is created, with an idempotency key derived from the payment
  id. If we crash or the provider times out in between, the reservation stops a second
  payment for the same balance, and re-driving the same payment (`resubmit`) can never
  charge twice.
- Money is recognised only from the provider's own word: a payment settles on the
  `payment_intent.succeeded` webhook, so the balance reflects a payment only once it
  settles, and a late success after a failure still settles (the money moved).
- A refund is recorded under the provider's refund id, so the API's own refund and the
  `charge.refunded` webhook for it are one fact, whichever arrives first.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

import attrs

from sfr3_ledger.application import LedgerApplication, PaymentStarted
from sfr3_ledger.errors import (
    InvalidCommand,
    LedgerError,
    PaymentMethodNotFound,
    PaymentNotFound,
    PaymentNotRefundable,
)
from sfr3_ledger.payment_provider import (
    CardDeclined,
    InvalidProviderRequest,
    PaymentIntentResult,
    PaymentProvider,
    PaymentProviderError,
    ProviderEvent,
    ProviderRateLimited,
    ProviderUnavailable,
)
from sfr3_ledger.records import Payment, PaymentMethod
from sfr3_ledger.values import CURRENCY, MethodType, PaymentStatus

log = logging.getLogger(__name__)

# The API's method type names (Stripe's) and the ledger's.
METHOD_TYPES = {"card": MethodType.CARD, "us_bank_account": MethodType.ACH}
_PROVIDER_ID = re.compile(r"^pm_[A-Za-z0-9_]{1,250}$")
PROVIDER_ACTOR = "stripe"


class PaymentDeclined(LedgerError):
    """The provider refused the payment at once; the ledger recorded it FAILED."""

    code = "payment_declined"
    status = 402

    def __init__(self, payment_id: str, message: str, decline_code: str | None) -> None:
        super().__init__(message or "Your payment was declined")
        self.payment_id = payment_id
        self.decline_code = decline_code

    def details(self) -> dict[str, object]:
        out: dict[str, object] = {"paymentId": self.payment_id, "status": "FAILED"}
        if self.decline_code:
            out["declineCode"] = self.decline_code
        return out


class ProviderUnavailableError(LedgerError):
    """The provider could not be reached. A payment stays PENDING and is re-driven."""

    code = "provider_unavailable"
    status = 503

    def __init__(self, message: str, payment_id: str | None = None) -> None:
        super().__init__(message)
        self.payment_id = payment_id

    def details(self) -> dict[str, object]:
        if self.payment_id is None:
            return {}
        return {"paymentId": self.payment_id, "status": "PENDING"}


class ProviderRejected(LedgerError):
    """The provider refused a request as invalid (e.g. an unusable payment method token)."""

    code = "provider_rejected"
    status = 400


@attrs.frozen
class PaymentOutcome:
    payment: Payment
    current_balance: int
    balance_after_payment: int
    created: bool


@attrs.frozen
class RefundOutcome:
    payment: Payment
    refund_id: str
    amount: int


class PaymentService:
    """The use cases that need both the ledger and the payment provider."""

    def __init__(
        self, ledger: LedgerApplication, provider: PaymentProvider, *, currency: str = CURRENCY
    ) -> None:
        self.ledger = ledger
        self.provider = provider
        self.currency = currency

    # ---- payment methods ------------------------------------------------------------

    def enroll_payment_method(
        self,
        resident_id: str,
        *,
        method_type: str,
        provider_method_id: str,
        actor: str,
        label: str | None = None,
        make_default: bool = False,
    ) -> PaymentMethod:
        kind = METHOD_TYPES.get(method_type) if isinstance(method_type, str) else None
        if kind is None:
            raise InvalidCommand("type must be card or us_bank_account")
        if not isinstance(provider_method_id, str) or not _PROVIDER_ID.match(provider_method_id):
            raise InvalidCommand("paymentMethodId must be a Stripe payment method id (pm_…)")
        if label is not None and (not isinstance(label, str) or len(label) > 100):
            raise InvalidCommand("label must be a string of at most 100 characters")
        methods = self.ledger.payment_methods(resident_id)
        for method in methods.active:
            if method.provider_id == provider_method_id:
                return method
        customer_id = methods.customer_id
        if customer_id is None:
            customer_id = self._call(self.provider.create_customer, resident_id=resident_id)
            self.ledger.link_customer(resident_id, customer_id)
        details = self._call(
            self.provider.attach_payment_method,
            customer_id=customer_id,
            payment_method_id=provider_method_id,
        )
        if METHOD_TYPES[details.type] != kind:
            self._call(self.provider.detach_payment_method, payment_method_id=details.provider_id)
            raise InvalidCommand(f"paymentMethodId is a {details.type}, not a {method_type}")
        return self.ledger.enroll_payment_method(
            resident_id,
            provider_id=details.provider_id,
            method_type=kind.value,
            last4=details.last4,
            brand=details.brand or details.bank_name,
            label=label,
            make_default=make_default,
            actor=actor,
        )

    def remove_payment_method(
        self, resident_id: str, method_id: str, *, actor: str
    ) -> PaymentMethod:
        """Detach at the provider first: a token we forget must not stay chargeable."""
        method = self.ledger.payment_methods(resident_id).methods.get(method_id)
        if method is None:
            raise PaymentMethodNotFound(method_id)
        if method.active:
            self._call(self.provider.detach_payment_method, payment_method_id=method.provider_id)
        return self.ledger.remove_payment_method(resident_id, method_id, actor=actor)

    # ---- payments -------------------------------------------------------------------

    def pay(
        self,
        resident_id: str,
        *,
        amount: int,
        method_id: str,
        actor: str,
        payment_id: str | None = None,
    ) -> PaymentOutcome:
        started: PaymentStarted = self.ledger.initiate_payment(
            resident_id, amount=amount, method_id=method_id, actor=actor, payment_id=payment_id
        )
        payment = started.payment
        if payment.status == PaymentStatus.PENDING and payment.stripe_ref is None:
            self._submit(resident_id, payment, started.provider_method_id, started.customer_id)
        # The payment as accepted (PENDING): its webhook may already be settling it, and
        # the answer describes the acceptance, not a race with the webhook.
        return PaymentOutcome(
            payment=payment,
            current_balance=started.current_balance,
            balance_after_payment=started.balance_after_payment,
            created=started.created,
        )

    def resubmit(self, resident_id: str, payment_id: str) -> Payment:
        """Re-drive a PENDING payment the provider never acknowledged (same idempotency key)."""
        payment = self.ledger.payment(resident_id, payment_id)
        if payment.status != PaymentStatus.PENDING or payment.stripe_ref is not None:
            return payment
        methods = self.ledger.payment_methods(resident_id)
        method = methods.methods.get(payment.method_id)
        if method is None:
            raise PaymentMethodNotFound(payment.method_id)
        return self._submit(resident_id, payment, method.provider_id, methods.customer_id)

    def _submit(
        self,
        resident_id: str,
        payment: Payment,
        provider_method_id: str,
        customer_id: str | None,
    ) -> Payment:
        if customer_id is None:
            raise PaymentMethodNotFound(payment.method_id)
        pid = payment.payment_id
        try:
            intent = self.provider.create_payment_intent(
                payment_id=pid,
                resident_id=resident_id,
                amount=payment.amount,
                currency=self.currency,
                customer_id=customer_id,
                payment_method_id=provider_method_id,
                metadata={"resident_id": resident_id, "payment_id": pid},
            )
        except CardDeclined as exc:
            reason = exc.decline_code or exc.code
            self.ledger.fail_payment(
                resident_id, pid, reason=reason, stripe_ref=exc.payment_intent_id
            )
            raise PaymentDeclined(pid, exc.message, exc.decline_code) from exc
        except InvalidProviderRequest as exc:
            # Refused before any charge was attempted: nothing moved, release the reservation.
            self.ledger.fail_payment(
                resident_id, pid, reason=exc.code, stripe_ref=exc.payment_intent_id
            )
            raise PaymentDeclined(pid, exc.message, None) from exc
        except PaymentProviderError as exc:
            # Unreachable, throttled or misconfigured: the intent may or may not exist. Keep
            # the reservation; `resubmit` with the same key settles the question safely.
            log.warning("payment %s left PENDING: provider error %s", pid, exc.code)
            raise ProviderUnavailableError(
                "Payment provider unavailable; the payment is pending and will be retried", pid
            ) from exc
        payment = self.ledger.record_submission(resident_id, pid, intent.id)
        if intent.status in ("requires_payment_method", "canceled"):
            reason = intent.failure_code or intent.status
            self.ledger.fail_payment(resident_id, pid, reason=reason, stripe_ref=intent.id)
            raise PaymentDeclined(
                pid, intent.failure_message or "Payment failed", intent.failure_code
            )
        return self.ledger.payment(resident_id, pid)

    def sync_payment(self, resident_id: str, payment_id: str) -> Payment:
        """Ask the provider for the truth about a payment (reconciliation, lost webhooks)."""
        payment = self.ledger.payment(resident_id, payment_id)
        if payment.stripe_ref is None:
            return self.resubmit(resident_id, payment_id)
        intent = self._call(self.provider.retrieve_payment_intent, payment.stripe_ref)
        self._apply_intent_status(resident_id, payment_id, intent)
        return self.ledger.payment(resident_id, payment_id)

    def _apply_intent_status(
        self, resident_id: str, payment_id: str, intent: PaymentIntentResult
    ) -> None:
        if intent.status == "succeeded":
            self.ledger.settle_payment(resident_id, payment_id, stripe_ref=intent.id)
        elif intent.status in ("requires_payment_method", "canceled"):
            reason = intent.failure_code or intent.status
            self.ledger.fail_payment(resident_id, payment_id, reason=reason, stripe_ref=intent.id)

    # ---- refunds and disputes -------------------------------------------------------

    def refund(
        self, resident_id: str, payment_id: str, *, amount: int | None, actor: str
    ) -> RefundOutcome:
        """Refund all that remains (`amount=None`) or part of a SETTLED payment.

        The idempotency key names the payment, what was refunded before and the amount,
        so a retried or double-clicked request makes one refund, while a later refund of
        the same amount is a new one.
        """
        ledger = self.ledger.ledger(resident_id)
        payment = ledger.get_payment(payment_id)
        to_refund = ledger.refundable_amount(payment_id, amount)
        if payment.stripe_ref is None or to_refund <= 0:
            raise PaymentNotRefundable(payment_id, payment.status.value)
        key = f"re-{payment_id}-{payment.refunded + payment.charged_back}-{to_refund}"
        result = self._call(
            self.provider.refund,
            payment_intent_id=payment.stripe_ref,
            amount=to_refund,
            idempotency_key=key,
            metadata={"resident_id": resident_id, "payment_id": payment_id},
        )
        if result.status in ("failed", "canceled"):
            raise ProviderRejected(f"The refund was {result.status} by the payment provider")
        payment = self.ledger.apply_refund(
            resident_id,
            payment_id,
            refund_id=result.id,
            amount=result.amount,
            actor=actor,
            stripe_ref=result.id,
        )
        return RefundOutcome(payment=payment, refund_id=result.id, amount=result.amount)

    def submit_dispute_evidence(
        self, resident_id: str, dispute_id: str, *, evidence: Mapping[str, str], actor: str
    ) -> None:
        self.ledger.ledger(resident_id).get_dispute(dispute_id)
        self._call(self.provider.submit_dispute_evidence, dispute_id=dispute_id, evidence=evidence)
        self.ledger.submit_dispute_evidence(resident_id, dispute_id, actor=actor)

    # ---- webhooks -------------------------------------------------------------------

    def verify_webhook(self, payload: bytes, signature_header: str) -> ProviderEvent:
        return self.provider.verify_webhook(payload=payload, signature_header=signature_header)

    def handle_provider_event(self, event: ProviderEvent) -> str:
        """Apply one verified provider event; safe to call twice or out of order.

        Returns a short outcome for logs. A fact the ledger refuses (unknown payment, a
        refund beyond what was paid) is reported, not raised: redelivery would not change
        the answer, and the drift is for reconciliation and alarms to surface.
        """
        handler = _EVENT_HANDLERS.get(event.type)
        if handler is None:
            return f"ignored: {event.type}"
        try:
            return handler(self, event.object)
        except PaymentNotFound as exc:
            log.warning("provider event %s names an unknown payment: %s", event.id, exc)
            return "ignored: unknown payment"
        except LedgerError as exc:
            log.error("provider event %s refused by the ledger: %s", event.id, exc)
            return f"rejected: {exc.code}"

    def _owner(self, obj: Mapping[str, Any]) -> tuple[str, str] | None:
        """(resident id, payment id) from an intent's metadata, fetching the intent if needed."""
        metadata = obj.get("metadata") or {}
        if (
            "resident_id" in metadata
            and "payment_id" in metadata
            and obj.get("object") == "payment_intent"
        ):
            return str(metadata["resident_id"]), str(metadata["payment_id"])
        intent_id = obj.get("payment_intent")
        if isinstance(intent_id, dict):
            intent_id = intent_id.get("id")
        if not isinstance(intent_id, str):
            return None
        intent = self._call(self.provider.retrieve_payment_intent, intent_id)
        if "resident_id" not in intent.metadata or "payment_id" not in intent.metadata:
            return None
        return intent.metadata["resident_id"], intent.metadata["payment_id"]

    def _on_intent_succeeded(self, obj: Mapping[str, Any]) -> str:
        owner = self._owner(obj)
        if owner is None:
            return "ignored: not our payment"
        self.ledger.settle_payment(owner[0], owner[1], stripe_ref=str(obj.get("id")))
        return "settled"

    def _on_intent_failed(self, obj: Mapping[str, Any]) -> str:
        owner = self._owner(obj)
        if owner is None:
            return "ignored: not our payment"
        error = obj.get("last_payment_error") or {}
        reason = error.get("decline_code") or error.get("code") or "payment_failed"
        self.ledger.fail_payment(
            owner[0], owner[1], reason=str(reason), stripe_ref=str(obj.get("id"))
        )
        return "failed"

    def _apply_refund_objects(
        self, owner: tuple[str, str], refunds: list[Mapping[str, Any]]
    ) -> str:
        applied = 0
        for refund in refunds:
            if refund.get("status") not in ("succeeded", "pending"):
                continue
            self.ledger.apply_refund(
                owner[0],
                owner[1],
                refund_id=str(refund["id"]),
                amount=int(refund["amount"]),
                actor=PROVIDER_ACTOR,
                stripe_ref=str(refund["id"]),
            )
            applied += 1
        return f"refunds applied: {applied}"

    def _on_charge_refunded(self, obj: Mapping[str, Any]) -> str:
        owner = self._owner(obj)
        if owner is None:
            return "ignored: not our payment"
        refunds = (obj.get("refunds") or {}).get("data") or []
        return self._apply_refund_objects(owner, list(refunds))

    def _on_refund(self, obj: Mapping[str, Any]) -> str:
        owner = self._owner(obj)
        if owner is None:
            return "ignored: not our payment"
        return self._apply_refund_objects(owner, [obj])

    def _open_dispute(self, obj: Mapping[str, Any]) -> tuple[str, str] | None:
        owner = self._owner(obj)
        if owner is None:
            return None
        self.ledger.open_dispute(
            owner[0],
            dispute_id=str(obj["id"]),
            payment_id=owner[1],
            amount=int(obj["amount"]),
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

    def _call(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the provider outside a payment; map its errors to API-facing ones."""
        try:
            return method(*args, **kwargs)
        except (ProviderUnavailable, ProviderRateLimited) as exc:
            raise ProviderUnavailableError("Payment provider unavailable; try again") from exc
        except (InvalidProviderRequest, CardDeclined) as exc:
            raise ProviderRejected(exc.message) from exc
        except PaymentProviderError as exc:
            log.error("payment provider error %s", exc.code)
            raise ProviderUnavailableError("Payment provider error; try again") from exc


_EVENT_HANDLERS = {
    "payment_intent.succeeded": PaymentService._on_intent_succeeded,
    "payment_intent.payment_failed": PaymentService._on_intent_failed,
    "charge.refunded": PaymentService._on_charge_refunded,
    "refund.created": PaymentService._on_refund,
    "refund.updated": PaymentService._on_refund,
    "charge.refund.updated": PaymentService._on_refund,
    "charge.dispute.created": PaymentService._on_dispute_created,
    "charge.dispute.updated": PaymentService._on_dispute_updated,
    "charge.dispute.closed": PaymentService._on_dispute_closed,
}

__all__ = [
    "METHOD_TYPES",
    "PaymentDeclined",
    "PaymentOutcome",
    "PaymentService",
    "ProviderRejected",
    "ProviderUnavailableError",
    "RefundOutcome",
]
