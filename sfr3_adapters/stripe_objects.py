"""Stripe's objects as the PaymentProvider port's values (sfr3_ledger.payment_provider).

Pure mapping from the JSON form of an SDK object (a plain mapping): nothing here calls
Stripe or imports the SDK, so only `sfr3_adapters.stripe_adapter` does (import-linter).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sfr3_ledger.payment_provider import (
    BalanceTransaction,
    InvalidProviderRequest,
    MandateResult,
    PaymentIntentResult,
    PaymentMethodDetails,
    ProviderEvent,
    SetupIntentResult,
)


def timestamp(value: int) -> datetime:
    return datetime.fromtimestamp(int(value), tz=UTC)


def ref_id(value: Any) -> str | None:
    """A reference that may be an id or an expanded object."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return str(value["id"])


def plain(obj: Any) -> dict[str, Any]:
    """SDK objects are not dicts (since v13): read everything from their JSON form."""
    if isinstance(obj, dict):
        return obj
    return dict(obj.to_dict())


def payment_method_details(pm: Mapping[str, Any]) -> PaymentMethodDetails:
    if pm["type"] == "card":
        card = pm["card"]
        return PaymentMethodDetails(provider_id=pm["id"], type="card", last4=card["last4"],
                                    brand=card.get("brand"))
    if pm["type"] == "us_bank_account":
        bank = pm["us_bank_account"]
        return PaymentMethodDetails(provider_id=pm["id"], type="us_bank_account",
                                    last4=bank.get("last4") or "",
                                    bank_name=bank.get("bank_name"))
    raise InvalidProviderRequest(f"Unsupported payment method type: {pm['type']}",
                                 code="unsupported_payment_method")


def payment_intent_result(pi: Mapping[str, Any]) -> PaymentIntentResult:
    """Map a PaymentIntent (as a plain dict) to the port's value."""
    error = pi.get("last_payment_error") or None
    failure_code = failure_message = None
    if error:
        failure_code = error.get("decline_code") or error.get("code")
        failure_message = error.get("message")
    return PaymentIntentResult(
        id=pi["id"],
        status=pi["status"],
        amount=int(pi["amount"]),
        currency=pi["currency"],
        latest_charge=ref_id(pi.get("latest_charge")),
        failure_code=failure_code,
        failure_message=failure_message,
        metadata={str(k): str(v) for k, v in (pi.get("metadata") or {}).items()},
    )


def setup_intent_result(seti: Mapping[str, Any]) -> SetupIntentResult:
    """Map a SetupIntent (as a plain dict) to the port's value."""
    error = seti.get("last_setup_error") or {}
    action = seti.get("next_action") or {}
    return SetupIntentResult(
        id=seti["id"], status=seti["status"],
        payment_method_id=ref_id(seti.get("payment_method")),
        mandate_id=ref_id(seti.get("mandate")),
        failure_code=(error.get("decline_code") or error.get("code")) if error else None,
        failure_message=error.get("message") if error else None,
        next_action=action.get("type") if action else None)


def mandate_result(mandate: Mapping[str, Any]) -> MandateResult:
    """A Mandate read with `expand=["payment_method.customer"]`: whose it is comes from
    the customer's metadata (`create_customer` sets `resident_id`)."""
    pm = mandate.get("payment_method")
    customer = pm.get("customer") if isinstance(pm, Mapping) else None
    metadata = (customer.get("metadata") if isinstance(customer, Mapping) else None) or {}
    resident = metadata.get("resident_id")
    return MandateResult(id=str(mandate["id"]), status=str(mandate["status"]),
                         payment_method_id=ref_id(pm), customer_id=ref_id(customer),
                         resident_id=str(resident) if resident else None)


def balance_transaction(txn: Mapping[str, Any]) -> BalanceTransaction:
    """A balance transaction (source expanded or not) as the port's value."""
    source = txn.get("source")
    pi = None
    if isinstance(source, Mapping):
        pi = source.get("payment_intent")
        if source.get("object") == "payment_intent":
            pi = source.get("id")
    return BalanceTransaction(
        id=txn["id"], type=txn["type"], amount=int(txn["amount"]),
        fee=int(txn["fee"]), net=int(txn["net"]), currency=txn["currency"],
        created=timestamp(txn["created"]), source=ref_id(source), payment_intent_id=ref_id(pi),
        reporting_category=txn.get("reporting_category"))


def provider_event(event: Mapping[str, Any]) -> ProviderEvent:
    """A Stripe event (delivered and verified, or fetched by id) as the port's value: the
    same fields whichever way it came. KeyError/TypeError when it is not a Stripe event."""
    return ProviderEvent(id=str(event["id"]), type=str(event["type"]),
                         created=timestamp(event["created"]),
                         object=dict(event["data"]["object"]))
