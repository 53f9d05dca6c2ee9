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
  is parked as `rejected: mismatch` and changes nothing (`provider_events.py`).
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
from sfr3_ledger.attempts import idempotency_suffix
from sfr3_ledger.errors import (
    InvalidCommand,
    PaymentMethodNotFound,
    PaymentNotRefundable,
)
from sfr3_ledger.mandate_acceptance import MandateAcceptance
from sfr3_ledger.payment_errors import PaymentDeclined, ProviderRejected, ProviderUnavailableError
from sfr3_ledger.payment_provider import (
    IDEMPOTENCY_ERROR,
    CardDeclined,
    InvalidProviderRequest,
    PaymentProvider,
    PaymentProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from sfr3_ledger.provider_events import (
    WEBHOOK_MISMATCH,
    ProviderEvents,
    WebhookMismatch,
    attempt_metadata,
)
from sfr3_ledger.records import Payment, PaymentMethod
from sfr3_ledger.recovery import PaymentRecovery
from sfr3_ledger.values import CURRENCY, MethodType, PaymentStatus

log = logging.getLogger(__name__)

# The API's method type names (Stripe's) and the ledger's.
METHOD_TYPES = {"card": MethodType.CARD, "us_bank_account": MethodType.ACH}
_PROVIDER_ID = re.compile(r"^pm_[A-Za-z0-9_]{1,250}$")


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


class PaymentService(PaymentRecovery, ProviderEvents):
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
        """Detach at the provider first: a token we forget must not stay chargeable.

        Autopay paying with this method is paused afterwards (its `autopay.paused` event
        mails the resident). A repeat of the removal (e.g. after a crash between the two
        steps) pauses it then, since autopay still names the removed method.
        """
        method = self.ledger.payment_methods(resident_id).methods.get(method_id)
        if method is None:
            raise PaymentMethodNotFound(method_id)
        if method.active:
            self._call(self.provider.detach_payment_method, payment_method_id=method.provider_id)
        removed = self.ledger.remove_payment_method(resident_id, method_id, actor=actor)
        self.ledger.method_removed(resident_id, method_id, actor=actor)
        return removed

    # ---- payments -------------------------------------------------------------------

    def pay(
        self,
        resident_id: str,
        *,
        amount: int,
        method_id: str,
        actor: str,
        payment_id: str | None = None,
        mandate_id: str | None = None,
        mandate_acceptance: MandateAcceptance | None = None,
        on_session: bool = False,
    ) -> PaymentOutcome:
        """Reserve, then submit. `mandate_id` (autopay's ACH debits) is recorded on the
        payment, so its retries and re-drives are made under the same mandate;
        `mandate_acceptance` (the resident paying `on_session` by bank: required then)
        likewise (`PaymentCommands.initiate_payment`)."""
        started: PaymentStarted = self.ledger.initiate_payment(
            resident_id, amount=amount, method_id=method_id, actor=actor, payment_id=payment_id,
            mandate_id=mandate_id, mandate_acceptance=mandate_acceptance, on_session=on_session,
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
        """Re-drive a PENDING payment the provider never acknowledged (same idempotency key).

        Decided on the live aggregate, never a read model's row: a lagging row could
        resubmit an earlier attempt's key and amount."""
        payment = self.ledger.ledger(resident_id).get_payment(payment_id)
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
                # The provider keys the create on this (`pi-<id>`): each attempt has its
                # own key, `<paymentId>-a<n>` from the second on; `retry_of` in the
                # metadata names the ledger's payment (provider_events.named_payment).
                payment_id=pid + idempotency_suffix(payment.attempt),
                resident_id=resident_id,
                amount=payment.amount,
                currency=self.currency,
                customer_id=customer_id,
                payment_method_id=provider_method_id,
                metadata=attempt_metadata(resident_id, pid, payment.attempt),
                mandate_id=payment.mandate_id,
                mandate_acceptance=payment.mandate_acceptance,
            )
        except CardDeclined as exc:
            reason = exc.decline_code or exc.code
            failed = self.ledger.fail_payment(
                resident_id, pid, reason=reason, stripe_ref=exc.payment_intent_id
            )
            raise PaymentDeclined(pid, exc.message, exc.decline_code,
                                  retry_at=failed.retry_at) from exc
        except InvalidProviderRequest as exc:
            if exc.code == IDEMPOTENCY_ERROR:
                # The key was used with other parameters: an intent exists and may have
                # charged. Never release the reservation on that; a person looks.
                log.error("payment %s: idempotency key reused with other parameters; "
                          "left PENDING for a person", pid)
                raise ProviderUnavailableError(
                    "Payment provider refused a repeated request; the payment is pending",
                    pid) from exc
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
            failed = self.ledger.fail_payment(resident_id, pid, reason=reason,
                                              stripe_ref=intent.id)
            raise PaymentDeclined(
                pid, intent.failure_message or "Payment failed", intent.failure_code,
                retry_at=failed.retry_at,
            )
        return self.ledger.payment(resident_id, pid)

    def sync_payment(self, resident_id: str, payment_id: str) -> Payment:
        """Ask the provider about a payment's recorded intent (a lost webhook) and apply
        the answer as its webhook would be (`PaymentRecovery.apply_intent`).

        Never a resubmission: without a recorded intent there is nothing to ask, and
        re-driving is the recovery job's (within Stripe's idempotency-key window; past it,
        the same key could create a second intent and charge twice).
        """
        payment = self.ledger.ledger(resident_id).get_payment(payment_id)
        if payment.stripe_ref is None:
            return payment
        intent = self._call(self.provider.retrieve_payment_intent, payment.stripe_ref)
        self.apply_intent(intent)
        return self.ledger.payment(resident_id, payment_id)

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
