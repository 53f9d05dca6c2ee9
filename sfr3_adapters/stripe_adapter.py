"""The Stripe adapter: the one module that imports `stripe`, behind the PaymentProvider port.

Only the stripeService Lambda constructs it (it alone holds the secret key). Network policy
is explicit: a per-request timeout and the SDK's `max_network_retries`. Every create carries
an idempotency key we derive, and the SDK resends that same key on its retries, so a retried
create replays Stripe's first answer instead of charging twice.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import stripe

from sfr3_adapters.stripe_objects import (
    balance_transaction,
    mandate_result,
    payment_intent_result,
    payment_method_details,
    provider_event,
    setup_intent_result,
)
from sfr3_adapters.stripe_objects import plain as _plain
from sfr3_adapters.stripe_objects import ref_id as _id
from sfr3_adapters.stripe_objects import timestamp as _ts
from sfr3_ledger.payment_provider import (
    IDEMPOTENCY_ERROR,
    BalanceTransaction,
    BalanceTransactionPage,
    CardDeclined,
    DisputeDetails,
    DisputeResult,
    InsufficientFunds,
    InvalidProviderRequest,
    MandateAcceptance,
    MandateResult,
    PaymentIntentPage,
    PaymentIntentResult,
    PaymentMethodDetails,
    PaymentProviderError,
    ProviderAuthenticationError,
    ProviderEvent,
    ProviderRateLimited,
    ProviderUnavailable,
    RefundResult,
    SetupIntentResult,
    WebhookSignatureInvalid,
)

INSUFFICIENT = {"insufficient_funds"}
TEST_TOKEN_TYPES = (("pm_card_", "card"), ("pm_usBankAccount_", "us_bank_account"))


def translate(exc: stripe.StripeError) -> PaymentProviderError:
    """A Stripe SDK error as a typed domain error with a message safe to show a resident."""
    message = exc.user_message or "The payment provider rejected the request."
    error = exc.error
    pi_id = _id(getattr(error, "payment_intent", None)) if error is not None else None
    if isinstance(exc, stripe.CardError):
        decline = (getattr(error, "decline_code", None) if error is not None else None) or \
            exc.code
        kind = InsufficientFunds if decline in INSUFFICIENT else CardDeclined
        return kind(message, decline_code=decline, code=exc.code or "card_declined",
                    payment_intent_id=pi_id)
    if isinstance(exc, (stripe.AuthenticationError, stripe.PermissionError)):
        return ProviderAuthenticationError("Payment provider authentication failed.",
                                           code="authentication_error")
    if isinstance(exc, stripe.RateLimitError):
        return ProviderRateLimited("Payment provider is rate limiting; retry shortly.",
                                   code=exc.code or "rate_limited")
    if isinstance(exc, (stripe.APIConnectionError, stripe.APIError)):
        return ProviderUnavailable("Payment provider is unavailable; retry shortly.",
                                   code="provider_unavailable")
    if isinstance(exc, stripe.IdempotencyError):
        return InvalidProviderRequest(message, code=IDEMPOTENCY_ERROR)
    if isinstance(exc, stripe.InvalidRequestError):
        return InvalidProviderRequest(message, code=exc.code or "invalid_request",
                                      payment_intent_id=pi_id)
    return PaymentProviderError(message, code=exc.code or "provider_error")


class StripeAdapter:
    """PaymentProvider over the official SDK (`StripeClient`, API v1)."""

    def __init__(
        self,
        api_key: str,
        webhook_secret: str | None = None,
        *,
        api_base: str | None = None,
        timeout: float = 20.0,
        max_network_retries: int = 2,
        webhook_tolerance: int = 300,
    ) -> None:
        self._webhook_secret = webhook_secret
        self._tolerance = webhook_tolerance
        self._client = stripe.StripeClient(
            api_key,
            # Files go to files.stripe.com; a local sandbox serves both on one address.
            base_addresses={"api": api_base, "files": api_base} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def _call(self, fn: Callable[[], Any]) -> dict[str, Any]:
        """Run one SDK call; answer its object as a plain dict, errors as domain errors."""
        try:
            return _plain(fn())
        except stripe.StripeError as exc:
            raise translate(exc) from exc

    # ---- customers and methods -----------------------------------------------------------
    def create_customer(self, *, resident_id: str, email: str | None = None) -> str:
        params: dict[str, Any] = {"metadata": {"resident_id": resident_id}}
        if email:
            params["email"] = email
        customer = self._call(lambda: self._client.v1.customers.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"cus-{resident_id}"},
        ))
        return str(customer["id"])

    def attach_payment_method(
        self, *, customer_id: str, payment_method_id: str
    ) -> PaymentMethodDetails:
        pm = self._call(lambda: self._client.v1.payment_methods.attach(
            payment_method_id, params={"customer": customer_id}
        ))
        return payment_method_details(pm)

    def detach_payment_method(self, *, payment_method_id: str) -> None:
        try:
            self._client.v1.payment_methods.detach(payment_method_id)
        except stripe.InvalidRequestError as exc:
            # Stripe refuses to detach an unattached method; for us that is already done.
            pm = self._call(lambda: self._client.v1.payment_methods.retrieve(
                payment_method_id))
            if pm.get("customer") is not None:
                raise translate(exc) from exc
        except stripe.StripeError as exc:
            raise translate(exc) from exc

    # ---- payments ------------------------------------------------------------------------
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
        meta = {**(metadata or {}), "resident_id": resident_id, "payment_id": payment_id}
        # Name the method's own type rather than `automatic_payment_methods`: an off-session
        # rent payment has no browser for redirect methods, and the explicit list is also
        # what localstripe (the cross-check server) understands.
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method_id,
            "confirm": True,
            "off_session": True,
            "payment_method_types": [self._method_type(payment_method_id)],
            "metadata": meta,
        }
        if mandate_id:  # an off-session bank debit under the customer's mandate
            params["mandate"] = mandate_id
        elif mandate_acceptance is not None:
            # The resident's own bank debit, accepted now (a manual ACH payment): Stripe
            # requires the mandate on an on-session ACH confirmation, and it is on-session.
            params["mandate_data"] = mandate_acceptance.mandate_data()
            del params["off_session"]
        pi = self._call(lambda: self._client.v1.payment_intents.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"pi-{payment_id}"},
        ))
        return payment_intent_result(pi)

    def _method_type(self, payment_method_id: str) -> str:
        """Stripe's test tokens name their type; a real `pm_…` id costs one lookup."""
        for prefix, kind in TEST_TOKEN_TYPES:
            if payment_method_id.startswith(prefix):
                return kind
        method = self._call(lambda: self._client.v1.payment_methods.retrieve(
            payment_method_id))
        return str(method["type"])

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentResult:
        return payment_intent_result(
            self._call(lambda: self._client.v1.payment_intents.retrieve(intent_id)))

    def list_payment_intents_page(
        self,
        *,
        customer_id: str,
        created_from: datetime,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> PaymentIntentPage:
        """`GET /v1/payment_intents?customer=&created[gte]=` (newest first), one page."""
        params: dict[str, Any] = {"customer": customer_id,
                                  "created": {"gte": int(created_from.timestamp())},
                                  "limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        try:
            page = self._client.raw_request("get", "/v1/payment_intents", **params).data
        except stripe.StripeError as exc:
            raise translate(exc) from exc
        return PaymentIntentPage(
            data=[payment_intent_result(pi) for pi in page.get("data") or []],
            has_more=bool(page.get("has_more")))

    # ---- mandates (off-session ACH) --------------------------------------------------------
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
        """A SetupIntent confirmed server-side with the customer's online acceptance."""
        params: dict[str, Any] = {
            "payment_method_types": ["us_bank_account"],
            "payment_method": payment_method_id,
            "customer": customer_id,
            "confirm": True,
            "usage": "off_session",
            "mandate_data": {"customer_acceptance": {
                "type": "online", "accepted_at": int(accepted_at.timestamp()),
                "online": {"ip_address": ip_address, "user_agent": user_agent}}},
            "metadata": dict(metadata or {}),
        }
        return setup_intent_result(self._call(lambda: self._client.v1.setup_intents.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"seti-{setup_id}"},
        )))

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentResult:
        return setup_intent_result(
            self._call(lambda: self._client.v1.setup_intents.retrieve(setup_intent_id)))

    def retrieve_mandate(self, mandate_id: str) -> MandateResult:
        """The mandate with its payment method's customer (whose it is): one read."""
        return mandate_result(self._call(lambda: self._client.v1.mandates.retrieve(
            mandate_id, params={"expand": ["payment_method.customer"]})))

    def refund(
        self,
        *,
        payment_intent_id: str,
        amount: int | None,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundResult:
        params: dict[str, Any] = {"payment_intent": payment_intent_id}
        if amount is not None:
            params["amount"] = amount
        if metadata:
            params["metadata"] = dict(metadata)
        refund = self._call(lambda: self._client.v1.refunds.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        ))
        return RefundResult(id=refund["id"],
                            payment_intent_id=_id(refund.get("payment_intent"))
                            or payment_intent_id,
                            amount=int(refund["amount"]), status=str(refund["status"]))

    # ---- reconciliation and disputes -----------------------------------------------------
    def list_balance_transactions(
        self, *, created_from: datetime, created_to: datetime
    ) -> list[BalanceTransaction]:
        """Half-open range [created_from, created_to); sources expanded to find the intent."""
        params: dict[str, Any] = {
            "created": {"gte": int(created_from.timestamp()),
                        "lt": int(created_to.timestamp())},
            "limit": 100,
            "expand": ["data.source"],
        }

        def fetch() -> list[dict[str, Any]]:
            page = self._client.v1.balance_transactions.list(
                params=params)  # type: ignore[arg-type]
            return [_plain(txn) for txn in page.auto_paging_iter()]

        try:
            rows = fetch()
        except stripe.StripeError as exc:
            raise translate(exc) from exc
        return [balance_transaction(txn) for txn in rows]

    def list_balance_transactions_page(
        self,
        *,
        created_from: datetime,
        created_to: datetime,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> BalanceTransactionPage:
        """One page, newest first, as Stripe lists it: `created[gte]`/`created[lt]`."""
        params: dict[str, Any] = {
            "created": {"gte": int(created_from.timestamp()),
                        "lt": int(created_to.timestamp())},
            "limit": limit,
            "expand": ["data.source"],
        }
        if starting_after:
            params["starting_after"] = starting_after
        # The SDK's own request (auth, retries, errors), read as plain JSON: building
        # StripeObjects for 100 expanded lines costs more than the request itself.
        try:
            page = self._client.raw_request("get", "/v1/balance_transactions", **params).data
        except stripe.StripeError as exc:
            raise translate(exc) from exc
        return BalanceTransactionPage(
            data=[balance_transaction(txn) for txn in page.get("data") or []],
            has_more=bool(page.get("has_more")))

    def upload_dispute_file(self, *, filename: str, content_type: str, content: bytes) -> str:
        # The SDK streams any object with `read()` as a multipart file part named `name`.
        upload = io.BytesIO(content)
        upload.name = filename
        uploaded = self._call(lambda: self._client.v1.files.create(params={
            "purpose": "dispute_evidence", "file": upload}))
        return str(uploaded["id"])

    def retrieve_dispute(self, dispute_id: str) -> DisputeDetails:
        dispute = self._call(lambda: self._client.v1.disputes.retrieve(dispute_id))
        details = dispute.get("evidence_details") or {}
        due = details.get("due_by")
        return DisputeDetails(
            id=dispute["id"], status=dispute["status"], amount=int(dispute["amount"]),
            reason=dispute["reason"], payment_intent_id=_id(dispute.get("payment_intent")),
            evidence_due_by=_ts(due) if due else None,
            has_evidence=bool(details.get("has_evidence")),
            submission_count=int(details.get("submission_count") or 0))

    def submit_dispute_evidence(
        self, *, dispute_id: str, evidence: Mapping[str, str], submit: bool = True
    ) -> DisputeResult:
        dispute = self._call(lambda: self._client.v1.disputes.update(
            dispute_id,
            params={"evidence": dict(evidence), "submit": submit},  # type: ignore[typeddict-item]
        ))
        return DisputeResult(id=dispute["id"], status=dispute["status"],
                             payment_intent_id=_id(dispute.get("payment_intent")),
                             amount=int(dispute["amount"]), reason=dispute["reason"])

    # ---- webhooks ------------------------------------------------------------------------
    def verify_webhook(self, *, payload: bytes, signature_header: str) -> ProviderEvent:
        if not self._webhook_secret:
            raise ProviderAuthenticationError("No webhook signing secret configured.",
                                              code="webhook_secret_missing")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature_header, self._webhook_secret,
                self._tolerance)
            event = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError) as exc:
            raise WebhookSignatureInvalid("Webhook signature verification failed.") from exc
        try:
            return provider_event(event)
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookSignatureInvalid("Webhook payload is not a Stripe event.") from exc

    def retrieve_event(self, event_id: str) -> ProviderEvent:
        """`GET /v1/events/{id}`: Stripe's copy (it keeps events 30 days), as plain JSON
        (`for_json`: what a delivery's body holds, so both paths build the same value)."""
        try:
            event = self._client.v1.events.retrieve(event_id).to_dict(for_json=True)
        except stripe.StripeError as exc:
            raise translate(exc) from exc
        try:
            return provider_event(event)
        except (KeyError, TypeError, ValueError) as exc:
            raise PaymentProviderError("Stripe answered something that is not an event.",
                                       code="invalid_event") from exc
