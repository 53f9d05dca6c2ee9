"""The payment-provider port: what the ledger's flows need from Stripe, in domain terms.

Business code depends on this Protocol only. Two implementations exist outside the ledger:
the Stripe adapter (`sfr3_adapters.stripe_adapter`, the only holder of credentials) and the
HTTP client of the stripeService Lambda (`sfr3_adapters.stripe_service_client`). Both return
the same value objects and raise the same typed errors, so callers cannot tell them apart.

Amounts are integer cents; datetimes are timezone-aware UTC; ids are Stripe's opaque strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, Protocol

import attrs

from sfr3_ledger.mandate_acceptance import MandateAcceptance

PaymentMethodType = Literal["card", "us_bank_account"]


def _aware(_instance: object, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{attribute.name} must be timezone-aware")


@attrs.frozen
class PaymentMethodDetails:
    """A stored method as residents see it: never the card number, only the label parts."""

    provider_id: str
    type: PaymentMethodType
    last4: str
    brand: str | None = None
    bank_name: str | None = None


@attrs.frozen
class PaymentIntentResult:
    """A PaymentIntent's state; `status` is Stripe's own vocabulary, not the ledger's."""

    id: str
    status: str
    amount: int
    currency: str
    latest_charge: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    metadata: dict[str, str] = attrs.field(factory=dict)


@attrs.frozen
class PaymentIntentPage:
    """One page of a customer's PaymentIntents (newest first); `has_more` means ask again
    with `starting_after` = the last id of `data`."""

    data: list[PaymentIntentResult]
    has_more: bool


@attrs.frozen
class RefundResult:
    id: str
    payment_intent_id: str
    amount: int
    status: str


@attrs.frozen
class BalanceTransaction:
    """One line of Stripe's balance history; `payment_intent_id` lets reconciliation match it."""

    id: str
    type: str
    amount: int
    fee: int
    net: int
    currency: str
    created: datetime = attrs.field(validator=_aware)
    source: str | None = None
    payment_intent_id: str | None = None
    # Stripe's `reporting_category` ("charge", "refund", "dispute", "dispute_reversal", ...):
    # what tells a dispute withdrawal from its reinstatement (both are `adjustment`s).
    reporting_category: str | None = None


@attrs.frozen
class BalanceTransactionPage:
    """One page of Stripe's balance history (newest first); `has_more` means ask again
    with `starting_after` = the last id of `data`."""

    data: list[BalanceTransaction]
    has_more: bool


@attrs.frozen
class DisputeResult:
    id: str
    status: str
    payment_intent_id: str | None
    amount: int
    reason: str


@attrs.frozen
class SetupIntentResult:
    """A SetupIntent's state (Stripe's vocabulary): `mandate_id` is the mandate an
    off-session ACH debit names; set once the customer's acceptance is on record."""

    id: str
    status: str
    payment_method_id: str | None = None
    mandate_id: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    next_action: str | None = None


@attrs.frozen
class MandateResult:
    """A Mandate as Stripe holds it: `status` is `active`, `inactive` (revoked at the
    bank, refused, or a single-use mandate used) or `pending`. `resident_id` is the
    metadata of the mandate's payment method's customer (who it belongs to, for us)."""

    id: str
    status: str
    payment_method_id: str | None = None
    customer_id: str | None = None
    resident_id: str | None = None


@attrs.frozen
class DisputeDetails:
    """Stripe's own view of a dispute: its status and when our evidence is due."""

    id: str
    status: str
    amount: int
    reason: str
    payment_intent_id: str | None
    evidence_due_by: datetime | None
    has_evidence: bool
    submission_count: int


@attrs.frozen
class ProviderEvent:
    """A verified webhook event; `object` is the event's `data.object` as plain JSON."""

    id: str
    type: str
    created: datetime = attrs.field(validator=_aware)
    object: dict[str, Any] = attrs.field(factory=dict)


class PaymentProviderError(Exception):
    """Base of every provider failure; `code` is machine-readable, `message` safe to show."""

    default_code = "provider_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        payment_intent_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.payment_intent_id = payment_intent_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class CardDeclined(PaymentProviderError):
    """The payment method was refused; `decline_code` is the issuer's reason when known."""

    default_code = "card_declined"

    def __init__(
        self,
        message: str,
        *,
        decline_code: str | None = None,
        code: str | None = None,
        payment_intent_id: str | None = None,
    ) -> None:
        super().__init__(message, code=code, payment_intent_id=payment_intent_id)
        self.decline_code = decline_code


class InsufficientFunds(CardDeclined):
    """A decline for lack of funds: a subclass so `except CardDeclined` still catches it."""

    def __init__(
        self,
        message: str,
        *,
        decline_code: str | None = "insufficient_funds",
        code: str | None = None,
        payment_intent_id: str | None = None,
    ) -> None:
        super().__init__(
            message, decline_code=decline_code, code=code, payment_intent_id=payment_intent_id
        )


class ProviderAuthenticationError(PaymentProviderError):
    default_code = "authentication_error"


class ProviderRateLimited(PaymentProviderError):
    default_code = "rate_limited"


class ProviderUnavailable(PaymentProviderError):
    """The provider could not be reached or answered 5xx: safe to retry with the same key."""

    default_code = "provider_unavailable"


class InvalidProviderRequest(PaymentProviderError):
    default_code = "invalid_request"


# An idempotency key reused with other parameters: the first request's object exists (and
# may have moved money), so this refusal proves nothing about the second.
IDEMPOTENCY_ERROR = "idempotency_error"


class WebhookSignatureInvalid(PaymentProviderError):
    default_code = "webhook_signature_invalid"


class PaymentProvider(Protocol):
    """What the system asks of its payment provider (Stripe), and nothing more."""

    def create_customer(self, *, resident_id: str, email: str | None = None) -> str:
        """Return the customer id; idempotency key derived from `resident_id`."""
        ...

    def attach_payment_method(
        self, *, customer_id: str, payment_method_id: str
    ) -> PaymentMethodDetails: ...

    def detach_payment_method(self, *, payment_method_id: str) -> None:
        """Detaching an already-detached method is not an error."""
        ...

    def create_payment_intent(
        self,
        *,
        payment_id: str,
        resident_id: str,
        amount: int,
        currency: str,
        customer_id: str,
        payment_method_id: str,
        metadata: Mapping[str, str] | None = None,
        mandate_id: str | None = None,
        mandate_acceptance: MandateAcceptance | None = None,
    ) -> PaymentIntentResult:
        """Confirm off-session; key `pi-{payment_id}`, so a retry never charges twice.
        `mandate_id`: the mandate an off-session bank debit is made under (autopay ACH).
        `mandate_acceptance`: the resident's own acceptance of an on-session bank debit
        (a manual ACH payment), sent as `mandate_data`; the intent is then on-session."""
        ...

    def create_ach_mandate(
        self,
        *,
        setup_id: str,
        customer_id: str,
        payment_method_id: str,
        ip_address: str,
        user_agent: str,
        accepted_at: datetime,
        metadata: Mapping[str, str] | None = None,
    ) -> SetupIntentResult:
        """Record the customer's online acceptance of off-session debits of a bank account:
        a SetupIntent confirmed with `usage=off_session` and `mandate_data`; key
        `seti-{setup_id}`, so a retry makes one mandate."""
        ...

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentResult: ...

    def retrieve_mandate(self, mandate_id: str) -> MandateResult:
        """Stripe's copy of a mandate, with whose it is (its method's customer)."""
        ...

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentResult: ...

    def list_payment_intents_page(
        self,
        *,
        customer_id: str,
        created_from: datetime,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> PaymentIntentPage:
        """One page of the customer's intents created at or after `created_from` (Stripe's
        `GET /v1/payment_intents?customer=&created[gte]=`): a read, never a create. What
        recovery asks to learn whether a request whose answer was lost made an intent,
        without re-sending it (consent withdrawn since, or its key older than Stripe keeps)."""
        ...

    def refund(
        self,
        *,
        payment_intent_id: str,
        amount: int | None,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundResult:
        """`amount=None` refunds whatever remains."""
        ...

    def list_balance_transactions(
        self, *, created_from: datetime, created_to: datetime
    ) -> list[BalanceTransaction]: ...

    def submit_dispute_evidence(
        self, *, dispute_id: str, evidence: Mapping[str, str], submit: bool = True
    ) -> DisputeResult: ...

    def list_balance_transactions_page(
        self,
        *,
        created_from: datetime,
        created_to: datetime,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> BalanceTransactionPage:
        """One page of [created_from, created_to): a day's history can exceed a response."""
        ...

    def upload_dispute_file(self, *, filename: str, content_type: str, content: bytes) -> str:
        """Upload evidence to Stripe's Files API (purpose `dispute_evidence`); the file id."""
        ...

    def retrieve_dispute(self, dispute_id: str) -> DisputeDetails: ...

    def verify_webhook(self, *, payload: bytes, signature_header: str) -> ProviderEvent: ...

    def retrieve_event(self, event_id: str) -> ProviderEvent:
        """Stripe's own copy of an event (`GET /v1/events/{id}`), built as `verify_webhook`
        builds a delivered one. What the webhook retry queue's consumer applies instead of
        the queued body, so a message Stripe never sent moves nothing. Stripe keeps events
        30 days: an unknown (or older) id is `InvalidProviderRequest` (`resource_missing`)."""
        ...


__all__ = [
    "IDEMPOTENCY_ERROR",
    "BalanceTransaction",
    "BalanceTransactionPage",
    "CardDeclined",
    "DisputeDetails",
    "DisputeResult",
    "InsufficientFunds",
    "InvalidProviderRequest",
    "MandateAcceptance",
    "MandateResult",
    "PaymentIntentPage",
    "PaymentIntentResult",
    "PaymentMethodDetails",
    "PaymentMethodType",
    "PaymentProvider",
    "PaymentProviderError",
    "ProviderAuthenticationError",
    "ProviderEvent",
    "ProviderRateLimited",
    "ProviderUnavailable",
    "RefundResult",
    "SetupIntentResult",
    "WebhookSignatureInvalid",
]
