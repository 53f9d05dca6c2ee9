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
- A signed webhook is trusted only as far as it agrees with the ledger: its PaymentIntent
  must be the payment's recorded one and its amount and currency the payment's; where no
  intent is recorded yet, Stripe's own copy of the intent must confirm it. Anything else
  is parked as `rejected: mismatch` and changes nothing (see "webhooks" below).
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
        self,
        resident_id: str,
        payment_id: str,
        *,
        amount: int | None,
        actor: str,
        request_id: str | None = None,
    ) -> RefundOutcome:
        """Refund all that remains (`amount=None`) or part of a SETTLED payment, once.

        The refund is reserved on the ledger first (a `RefundRequested` fact counted
        against what is refundable), so concurrent requests can never together refund
        more than the ledger allows, and the provider is asked with an idempotency key
        derived from the request id, so re-driving a request can never refund twice.
        `request_id` (from an Idempotency-Key) names the request; without it, a request
        identical to one in flight re-drives that one, and one identical to a refund
        completed moments ago is refused (DuplicateRefund, 409). A provider outage
        leaves the request PENDING and reserved; asking again re-drives it.
        """
        payment, request = self.ledger.request_refund(
            resident_id, payment_id, amount=amount, actor=actor, request_id=request_id
        )
        if request.status == "COMPLETED" and request.refund_id is not None:
            return RefundOutcome(payment=payment, refund_id=request.refund_id,
                                 amount=request.amount)
        if request.status == "FAILED":
            raise ProviderRejected(f"The refund was refused by the payment provider: "
                                   f"{request.reason}")
        if payment.stripe_ref is None:  # request_refund refuses this; kept for the type
            raise PaymentNotRefundable(payment_id, payment.status.value)
        rid = request.request_id
        try:
            result = self.provider.refund(
                payment_intent_id=payment.stripe_ref,
                amount=request.amount,
                idempotency_key=f"re-{rid}",
                metadata={"resident_id": resident_id, "payment_id": payment_id,
                          "refund_request_id": rid},
            )
        except (InvalidProviderRequest, CardDeclined) as exc:
            self.ledger.fail_refund_request(resident_id, payment_id, rid, reason=exc.code)
            raise ProviderRejected(exc.message) from exc
        except PaymentProviderError as exc:
            log.warning("refund request %s left PENDING: provider error %s", rid, exc.code)
            raise ProviderUnavailableError(
                "Payment provider unavailable; the refund is pending: ask again to complete it"
            ) from exc
        if result.status in ("failed", "canceled"):
            self.ledger.fail_refund_request(resident_id, payment_id, rid, reason=result.status)
            raise ProviderRejected(f"The refund was {result.status} by the payment provider")
        payment = self.ledger.apply_refund(
            resident_id,
            payment_id,
            refund_id=result.id,
            amount=result.amount,
            actor=actor,
            stripe_ref=result.id,
            request_id=rid,
        )
        return RefundOutcome(payment=payment, refund_id=result.id, amount=result.amount)

    def submit_dispute_evidence(
        self, resident_id: str, dispute_id: str, *, evidence: Mapping[str, str], actor: str
    ) -> None:
        self.ledger.ledger(resident_id).get_dispute(dispute_id)
        self._call(self.provider.submit_dispute_evidence, dispute_id=dispute_id, evidence=evidence)
        self.ledger.submit_dispute_evidence(resident_id, dispute_id, actor=actor)

    # ---- webhooks -------------------------------------------------------------------
    #
    # A signature proves that Stripe sent an event, not that the event is about the payment
    # its metadata names. A money-moving event (an intent succeeded or failed, a refund, a
    # dispute) changes the ledger only when it agrees with what the ledger recorded:
    #
    # - its PaymentIntent is the payment's recorded `stripe_ref`;
    # - its amount and currency are the payment's (`amount_received` for a success, `amount`
    #   for a failure); a dispute is for no more than the payment; a refund or a dispute is
    #   on the payment's intent and on that intent's charge.
    #
    # With no `stripe_ref` recorded yet (the webhook beat the submission record, or we
    # crashed in between) the service asks Stripe for the intent (`retrieve_payment_intent`,
    # an API read with our key) and acts only on that answer: metadata naming this payment,
    # the same amount and currency, a status that agrees with the event. It then records
    # the submission and applies the event. Anything else is parked: nothing changes on the
    # ledger, an error is logged with the event id, and the outcome is WEBHOOK_MISMATCH
    # (counted as the `WebhookMismatch` metric, which alarms). So a `payment_failed` for an
    # intent that is not the payment's own never fails it (its real debit may be in
    # flight), and a second intent for an already submitted payment is never booked
    # automatically: the ledger holds one intent per payment, and untangling a second
    # collection (refund it, or re-point the payment) is for a person.

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
        if (
            "resident_id" in metadata
            and "payment_id" in metadata
            and obj.get("object") == "payment_intent"
        ):
            return (str(metadata["resident_id"]), str(metadata["payment_id"])), None
        intent_id = self._ref(obj.get("payment_intent"))
        if intent_id is None:
            return None
        intent = self._retrieve_intent(intent_id)
        if "resident_id" not in intent.metadata or "payment_id" not in intent.metadata:
            return None
        return (intent.metadata["resident_id"], intent.metadata["payment_id"]), intent

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
        named = (intent.metadata.get("resident_id"), intent.metadata.get("payment_id"))
        if named != owner:
            problems.append(f"its metadata names payment {named[1]!r} of {named[0]!r}")
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
        named = (intent.metadata.get("resident_id"), intent.metadata.get("payment_id"))
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
        intent_id = self._confirm_intent(
            owner, obj, obj.get("amount"), ("requires_payment_method", "canceled")
        )
        error = obj.get("last_payment_error") or {}
        reason = error.get("decline_code") or error.get("code") or "payment_failed"
        self.ledger.fail_payment(owner[0], owner[1], reason=str(reason), stripe_ref=intent_id)
        return "failed"

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


WEBHOOK_MISMATCH = "rejected: mismatch"


class WebhookMismatch(Exception):
    """A verified provider event contradicts the ledger and Stripe's own records: parked."""


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
    "WEBHOOK_MISMATCH",
    "PaymentDeclined",
    "PaymentOutcome",
    "PaymentService",
    "ProviderRejected",
    "ProviderUnavailableError",
    "RefundOutcome",
    "WebhookMismatch",
]
