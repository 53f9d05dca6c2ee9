"""What proves a verified provider event is about a ledger payment (see provider_events.py).

The base of the webhook handlers: the metadata our PaymentIntents carry (whose payment,
which attempt), the intent an event's charge, refund or dispute is on, read back from
Stripe when the event does not carry it, and the checks every money-moving event must
pass before it changes the ledger. A failed check raises `WebhookMismatch`: the event is
parked and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar

from sfr3_ledger.application import LedgerApplication
from sfr3_ledger.payment_errors import ProviderRejected
from sfr3_ledger.payment_provider import PaymentIntentResult, PaymentProvider
from sfr3_ledger.records import Payment

PROVIDER_ACTOR = "stripe"


class _StripeObject(Protocol):
    @property
    def id(self) -> str: ...


T = TypeVar("T", bound=_StripeObject)


class WebhookMismatch(Exception):
    """A verified provider event contradicts the ledger and Stripe's own records: parked."""


def attempt_metadata(resident_id: str, payment_id: str, attempt: int) -> dict[str, str]:
    """The metadata of an attempt's PaymentIntent: whose payment, and which attempt.

    From the second attempt on the provider is given `<paymentId>-a<n>` as the payment id
    (its idempotency key and metadata `payment_id`), so `retry_of` names the ledger's own.
    A first attempt carries exactly what it carried before retries existed (no
    `attempt`; `named_attempt` reads 1): a re-drive of a payment reserved before that
    release must send the same parameters under its key, or Stripe refuses it.
    """
    meta = {"resident_id": resident_id, "payment_id": payment_id}
    if attempt > 1:
        meta["attempt"] = str(attempt)
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


class ProviderProofs:
    """The checks the handlers share, over `ledger` and `provider` (PaymentService's)."""

    ledger: LedgerApplication
    provider: PaymentProvider
    currency: str
    _call: Callable[..., Any]

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

    def _stripe_copy(self, what: str, retrieve: Callable[[str], T], object_id: str) -> T:
        """Stripe's own copy of `what` `object_id` (`retrieve`, an API read): one Stripe does
        not know, or an answer about another id, is a mismatch (the event is parked)."""
        try:
            found: T = self._call(retrieve, object_id)
        except ProviderRejected as exc:
            raise WebhookMismatch(f"Stripe does not know {what} {object_id}: {exc}") from exc
        if found.id != object_id:
            raise WebhookMismatch(f"Stripe answered {found.id} for {what} {object_id}")
        return found

    def _retrieve_intent(self, intent_id: str) -> PaymentIntentResult:
        """Stripe's own copy of an intent; an intent Stripe does not know is a mismatch."""
        return self._stripe_copy("PaymentIntent", self.provider.retrieve_payment_intent,
                                 intent_id)

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

    def _adopt(self, owner: tuple[str, str], payment: Payment, intent: PaymentIntentResult) -> None:
        """Record the intent Stripe confirmed when the submission record is still missing."""
        if payment.stripe_ref is None:
            self.ledger.record_submission(owner[0], owner[1], intent.id)
