"""The stripeService wire contract, shared by the service and its HTTP client.

`sfr3_lambdas.stripe_service` (the only holder of Stripe credentials) and
`sfr3_adapters.stripe_service_client` (how every other Lambda reaches it) must agree byte
for byte on: the path and API-key header, the allow-list of actions (exactly the
PaymentProvider port's methods) with the type each answers, how those value objects travel
as JSON, and how typed provider errors travel as JSON. That agreement lives here, in one
module both sides import, apart from the client's connection pooling and retries (which the
service has no use for).

Errors: the service sends a provider error as `{"error": {"kind": ..., "code": ...}}`; the
client turns it back into the same exception class the Stripe adapter raises, so callers
cannot tell the two PaymentProviders apart. An answer without a known kind (a gateway
error, an auth failure, a bad request) is typed by its HTTP status instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import cattrs

from sfr3_ledger.payment_provider import (
    BalanceTransaction,
    BalanceTransactionPage,
    CardDeclined,
    DisputeDetails,
    DisputeResult,
    InsufficientFunds,
    InvalidProviderRequest,
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

PATH = "/internal/stripe"
API_KEY_HEADER = "x-api-key"

# The allow-list: exactly the port's methods, with the type each one answers.
RESULT_TYPES: dict[str, Any] = {
    "create_customer": str,
    "attach_payment_method": PaymentMethodDetails,
    "detach_payment_method": None,
    "create_payment_intent": PaymentIntentResult,
    "retrieve_payment_intent": PaymentIntentResult,
    "list_payment_intents_page": PaymentIntentPage,
    "create_ach_mandate": SetupIntentResult,
    "retrieve_setup_intent": SetupIntentResult,
    "retrieve_mandate": MandateResult,
    "refund": RefundResult,
    "list_balance_transactions": list[BalanceTransaction],
    "submit_dispute_evidence": DisputeResult,
    "list_balance_transactions_page": BalanceTransactionPage,
    "upload_dispute_file": str,
    "retrieve_dispute": DisputeDetails,
    "verify_webhook": ProviderEvent,
    "retrieve_event": ProviderEvent,
}
ACTIONS = frozenset(RESULT_TYPES)

# Wire names of the typed errors, most specific first (InsufficientFunds is a CardDeclined).
ERROR_KINDS: list[tuple[str, type[PaymentProviderError]]] = [
    ("insufficient_funds", InsufficientFunds),
    ("card_declined", CardDeclined),
    ("provider_authentication", ProviderAuthenticationError),
    ("rate_limited", ProviderRateLimited),
    ("provider_unavailable", ProviderUnavailable),
    ("invalid_provider_request", InvalidProviderRequest),
    ("webhook_signature_invalid", WebhookSignatureInvalid),
    ("provider_error", PaymentProviderError),
]


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter()
    conv.register_unstructure_hook(datetime, lambda d: d.isoformat())
    conv.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))
    return conv


converter = _make_converter()


def encode_result(value: Any) -> Any:
    return converter.unstructure(value)


def decode_result(action: str, value: Any) -> Any:
    kind = RESULT_TYPES[action]
    return None if kind is None else converter.structure(value, kind)


def error_to_wire(err: PaymentProviderError) -> dict[str, Any]:
    kind = next(name for name, cls in ERROR_KINDS if isinstance(err, cls))
    body: dict[str, Any] = {"kind": kind, "code": err.code, "message": err.message}
    if err.payment_intent_id:
        body["payment_intent_id"] = err.payment_intent_id
    if isinstance(err, CardDeclined):
        body["decline_code"] = err.decline_code
    return body


def error_from_wire(body: Mapping[str, Any]) -> PaymentProviderError:
    cls = dict(ERROR_KINDS).get(str(body.get("kind")), PaymentProviderError)
    message = str(body.get("message") or "Payment provider error.")
    code = body.get("code")
    pi = body.get("payment_intent_id")
    if issubclass(cls, CardDeclined):
        return cls(message, decline_code=body.get("decline_code"), code=code,
                   payment_intent_id=pi)
    return cls(message, code=code, payment_intent_id=pi)


def error_from_response(status: int, raw: bytes) -> PaymentProviderError:
    """The typed error for an answer of 400 or more: the service's own kind when it sent
    one, else one chosen by the status (auth failure, unavailable, or a rejected request)."""
    try:
        body = json.loads(raw or b"{}").get("error") or {}
    except (ValueError, AttributeError):
        body = {}
    if body.get("kind") in dict(ERROR_KINDS):  # a provider error, typed by the service
        return error_from_wire(body)
    message = str(body.get("message") or f"stripeService answered {status}")
    if status in (401, 403):
        return ProviderAuthenticationError(message, code="stripe_service_auth")
    if status >= 500:
        return ProviderUnavailable(message, code="provider_unavailable")
    return InvalidProviderRequest(message, code=str(body.get("kind") or "bad_request"))
