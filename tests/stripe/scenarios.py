"""Provider scenarios shared by every implementation of the port and every Stripe server.

The same functions run against the adapter and the HTTP client (on the local sandbox), and
against real Stripe test mode in `tests/contract/`. They use only Stripe's documented test
tokens, so whatever passes here passes for the same reason everywhere.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from sfr3_dev.stripe_sandbox import sign
from sfr3_ledger.payment_provider import (
    CardDeclined,
    InsufficientFunds,
    InvalidProviderRequest,
    PaymentProvider,
    WebhookSignatureInvalid,
)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def card_payment_then_partial_and_full_refund(provider: PaymentProvider) -> str:
    resident = unique("res")
    customer = provider.create_customer(resident_id=resident, email="resident@example.com")
    assert customer.startswith("cus_")
    assert provider.create_customer(resident_id=resident, email="resident@example.com") == \
        customer, "same resident, same idempotency key: same customer"

    method = provider.attach_payment_method(customer_id=customer,
                                            payment_method_id="pm_card_visa")
    assert (method.type, method.brand, method.last4) == ("card", "visa", "4242")
    assert method.provider_id.startswith("pm_") and method.provider_id != "pm_card_visa"

    payment_id = unique("pay")
    intent = provider.create_payment_intent(
        payment_id=payment_id, resident_id=resident, amount=2100, currency="usd",
        customer_id=customer, payment_method_id=method.provider_id,
        metadata={"property_id": "prop-1"})
    assert intent.status == "succeeded"
    assert (intent.amount, intent.currency) == (2100, "usd")
    assert intent.metadata["resident_id"] == resident
    assert intent.metadata["payment_id"] == payment_id
    assert intent.metadata["property_id"] == "prop-1"
    assert intent.latest_charge and intent.failure_code is None

    again = provider.create_payment_intent(
        payment_id=payment_id, resident_id=resident, amount=2100, currency="usd",
        customer_id=customer, payment_method_id=method.provider_id,
        metadata={"property_id": "prop-1"})
    assert again.id == intent.id, "a retried create must replay, never charge twice"

    partial = provider.refund(payment_intent_id=intent.id, amount=500,
                              idempotency_key=f"refund-{payment_id}-1",
                              metadata={"payment_id": payment_id})
    assert (partial.amount, partial.payment_intent_id, partial.status) == (
        500, intent.id, "succeeded")
    full = provider.refund(payment_intent_id=intent.id, amount=None,
                           idempotency_key=f"refund-{payment_id}-2")
    assert full.amount == 1600, "a full refund takes what remains after the partial one"
    with pytest.raises(InvalidProviderRequest):
        provider.refund(payment_intent_id=intent.id, amount=100,
                        idempotency_key=f"refund-{payment_id}-3")

    fetched = provider.retrieve_payment_intent(intent.id)
    assert (fetched.id, fetched.status, fetched.amount) == (intent.id, "succeeded", 2100)
    return intent.id


def declines_are_typed(provider: PaymentProvider) -> None:
    resident = unique("res")
    customer = provider.create_customer(resident_id=resident)
    with pytest.raises(CardDeclined) as declined:
        provider.create_payment_intent(
            payment_id=unique("pay"), resident_id=resident, amount=2100, currency="usd",
            customer_id=customer, payment_method_id="pm_card_chargeDeclined")
    assert not isinstance(declined.value, InsufficientFunds)
    assert declined.value.decline_code == "generic_decline"
    assert declined.value.code == "card_declined"
    assert declined.value.payment_intent_id and declined.value.payment_intent_id.startswith(
        "pi_")
    assert "declined" in declined.value.message.lower()

    with pytest.raises(InsufficientFunds) as poor:
        provider.create_payment_intent(
            payment_id=unique("pay"), resident_id=resident, amount=2100, currency="usd",
            customer_id=customer, payment_method_id="pm_card_chargeDeclinedInsufficientFunds")
    assert poor.value.decline_code == "insufficient_funds"
    failed = provider.retrieve_payment_intent(poor.value.payment_intent_id or "")
    assert failed.status == "requires_payment_method"
    assert failed.failure_code == "insufficient_funds"


def detach_is_idempotent(provider: PaymentProvider) -> None:
    customer = provider.create_customer(resident_id=unique("res"))
    method = provider.attach_payment_method(customer_id=customer,
                                            payment_method_id="pm_card_mastercard")
    assert (method.brand, method.last4) == ("mastercard", "4444")
    provider.detach_payment_method(payment_method_id=method.provider_id)
    provider.detach_payment_method(payment_method_id=method.provider_id)  # no error
    with pytest.raises(InvalidProviderRequest):
        provider.detach_payment_method(payment_method_id="pm_does_not_exist")


def idempotency_conflict_is_refused(provider: PaymentProvider) -> None:
    resident = unique("res")
    customer = provider.create_customer(resident_id=resident)
    payment_id = unique("pay")
    kwargs = dict(payment_id=payment_id, resident_id=resident, currency="usd",
                  customer_id=customer, payment_method_id="pm_card_visa")
    provider.create_payment_intent(amount=2100, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(InvalidProviderRequest) as conflict:
        provider.create_payment_intent(amount=9900, **kwargs)  # type: ignore[arg-type]
    assert conflict.value.code == "idempotency_error"


def webhook_signatures_are_checked(provider: PaymentProvider, secret: str) -> None:
    """A payload signed as Stripe signs it verifies; any tampering does not."""
    event = {"id": unique("evt"), "object": "event", "type": "payment_intent.succeeded",
             "created": int(time.time()), "livemode": False, "api_version": "2024-06-20",
             "data": {"object": {"id": "pi_123", "object": "payment_intent",
                                 "amount": 2100, "metadata": {"payment_id": "p1"}}},
             "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}}
    payload = json.dumps(event).encode()
    header = sign(payload, secret)
    verified = provider.verify_webhook(payload=payload, signature_header=header)
    assert (verified.id, verified.type) == (event["id"], "payment_intent.succeeded")
    assert verified.object["metadata"] == {"payment_id": "p1"}
    assert verified.created.tzinfo is not None

    tampered = payload.replace(b"2100", b"2101")
    for bad_payload, bad_header in [
        (tampered, header),
        (payload, sign(payload, "whsec_someone_else")),
        (payload, sign(payload, secret, timestamp=int(time.time()) - 3600)),  # replayed
        (payload, "t=1,v1=deadbeef"),
        (payload, "garbage"),
    ]:
        with pytest.raises(WebhookSignatureInvalid):
            provider.verify_webhook(payload=bad_payload, signature_header=bad_header)


def intents_are_listed_by_customer_since(provider: PaymentProvider) -> None:
    """A customer's intents since an instant, newest first, paged by `starting_after`: what
    recovery reads instead of re-sending (never another customer's, nothing created)."""
    def customer_with(count: int) -> tuple[str, list[str]]:
        resident = unique("res")
        customer = provider.create_customer(resident_id=resident)
        method = provider.attach_payment_method(customer_id=customer,
                                                payment_method_id="pm_card_visa")
        return customer, [provider.create_payment_intent(
            payment_id=unique("pay"), resident_id=resident, amount=5_000 + n,
            currency="usd", customer_id=customer, payment_method_id=method.provider_id,
            metadata={"n": str(n)}).id for n in range(count)]

    customer, made = customer_with(3)
    customer_with(1)  # another customer's: never listed
    since = datetime.now(UTC) - timedelta(hours=1)
    first = provider.list_payment_intents_page(customer_id=customer, created_from=since,
                                               limit=2)
    assert len(first.data) == 2 and first.has_more
    rest = provider.list_payment_intents_page(customer_id=customer, created_from=since,
                                              starting_after=first.data[-1].id, limit=2)
    assert not rest.has_more
    listed = first.data + rest.data
    # Each once (the order of intents made within one second is Stripe's to choose).
    assert sorted(i.id for i in listed) == sorted(made) and len(listed) == 3
    assert sorted(i.metadata["n"] for i in listed) == ["0", "1", "2"]
    assert all(i.status == "succeeded" for i in listed)
    later = datetime.now(UTC) + timedelta(days=3650)
    empty = provider.list_payment_intents_page(customer_id=customer, created_from=later)
    assert (empty.data, empty.has_more) == ([], False)
