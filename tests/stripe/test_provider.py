"""The PaymentProvider port, through the adapter and through the stripeService client,
against the local Stripe-compatible sandbox over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfr3_ledger.payment_provider import (
    PaymentProvider,
    ProviderRateLimited,
    ProviderUnavailable,
)
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver
from tests.stripe import scenarios

pytestmark = pytest.mark.stripe_sandbox
DAYS_5 = 5 * 86_400


def test_card_payment_and_refunds(provider: PaymentProvider) -> None:
    scenarios.card_payment_then_partial_and_full_refund(provider)


def test_declines_are_typed(provider: PaymentProvider) -> None:
    scenarios.declines_are_typed(provider)


def test_detach_is_idempotent(provider: PaymentProvider) -> None:
    scenarios.detach_is_idempotent(provider)


def test_idempotency_conflict(provider: PaymentProvider) -> None:
    scenarios.idempotency_conflict_is_refused(provider)


def test_webhook_signatures(provider: PaymentProvider, webhook_secret: str) -> None:
    scenarios.webhook_signatures_are_checked(provider, webhook_secret)


def _bank_payment(provider: PaymentProvider, token: str) -> tuple[str, str]:
    resident = scenarios.unique("res")
    customer = provider.create_customer(resident_id=resident)
    method = provider.attach_payment_method(customer_id=customer, payment_method_id=token)
    assert method.type == "us_bank_account"
    assert method.bank_name == "STRIPE TEST BANK" and method.brand is None
    intent = provider.create_payment_intent(
        payment_id=scenarios.unique("pay"), resident_id=resident, amount=150_000,
        currency="usd", customer_id=customer, payment_method_id=method.provider_id)
    assert intent.status == "processing"
    return intent.id, method.last4


def test_ach_settles_on_the_clock_and_the_webhook_verifies(
    provider: PaymentProvider, stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver
) -> None:
    intent_id, last4 = _bank_payment(provider, "pm_usBankAccount_success")
    assert last4 == "6789"
    assert stripe_sandbox.advance(86_400) == [], "ACH does not clear in a day"
    assert provider.retrieve_payment_intent(intent_id).status == "processing"
    assert stripe_sandbox.advance(DAYS_5) == [intent_id]
    assert provider.retrieve_payment_intent(intent_id).status == "succeeded"

    stripe_sandbox.drain()
    received = [r for r in webhook_receiver.received
                if b"payment_intent.succeeded" in r.body and intent_id.encode() in r.body]
    assert len(received) == 1
    event = provider.verify_webhook(payload=received[0].body,
                                    signature_header=received[0].headers["Stripe-Signature"])
    assert event.type == "payment_intent.succeeded"
    assert event.object["id"] == intent_id and event.object["status"] == "succeeded"


def test_ach_failure_reports_the_return_code(
    provider: PaymentProvider, stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver
) -> None:
    intent_id, _ = _bank_payment(provider, "pm_usBankAccount_insufficientFunds")
    stripe_sandbox.advance(DAYS_5)
    failed = provider.retrieve_payment_intent(intent_id)
    assert failed.status == "requires_payment_method"
    assert failed.failure_code == "insufficient_funds"
    assert failed.failure_message
    stripe_sandbox.drain()
    events = [provider.verify_webhook(payload=r.body,
                                      signature_header=r.headers["Stripe-Signature"])
              for r in webhook_receiver.received]
    failures = [e for e in events if e.type == "payment_intent.payment_failed"]
    assert [e.object["id"] for e in failures] == [intent_id]
    assert failures[0].object["last_payment_error"]["code"] == "insufficient_funds"


def test_disputes_evidence_and_balance_transactions(
    provider: PaymentProvider, stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=5)
    resident = scenarios.unique("res")
    customer = provider.create_customer(resident_id=resident)
    paid = provider.create_payment_intent(
        payment_id=scenarios.unique("pay"), resident_id=resident, amount=10_000,
        currency="usd", customer_id=customer, payment_method_id="pm_card_visa")
    provider.refund(payment_intent_id=paid.id, amount=2_500, idempotency_key="rf-1")
    disputed = provider.create_payment_intent(
        payment_id=scenarios.unique("pay"), resident_id=resident, amount=4_000,
        currency="usd", customer_id=customer, payment_method_id="pm_card_createDispute")
    assert disputed.status == "succeeded"

    stripe_sandbox.drain()
    created = [provider.verify_webhook(payload=r.body,
                                       signature_header=r.headers["Stripe-Signature"])
               for r in webhook_receiver.received if b"charge.dispute.created" in r.body]
    assert len(created) == 1
    dispute = created[0].object
    assert dispute["payment_intent"] == disputed.id and dispute["amount"] == 4_000

    result = provider.submit_dispute_evidence(
        dispute_id=dispute["id"],
        evidence={"customer_name": "Pat Resident", "uncategorized_text": "winning_evidence"})
    assert (result.id, result.payment_intent_id, result.amount) == (
        dispute["id"], disputed.id, 4_000)
    assert result.status == "won"  # Stripe test mode: `winning_evidence` wins

    txns = provider.list_balance_transactions(created_from=start,
                                              created_to=datetime.now(UTC) + timedelta(
                                                  seconds=5))
    by_type = sorted((t.type, t.amount, t.payment_intent_id) for t in txns)
    assert by_type == sorted([
        ("charge", 10_000, paid.id), ("refund", -2_500, paid.id),
        ("charge", 4_000, disputed.id), ("adjustment", -4_000, disputed.id),
        ("adjustment", 4_000, disputed.id),
    ])
    charge = next(t for t in txns if t.type == "charge" and t.amount == 10_000)
    assert charge.fee == 320 and charge.net == 9_680  # 2.9% + 30c
    assert all(t.created.tzinfo is not None and t.currency == "usd" for t in txns)
    later = provider.list_balance_transactions(
        created_from=datetime.now(UTC) + timedelta(days=1),
        created_to=datetime.now(UTC) + timedelta(days=2))
    assert later == []


def test_retried_create_never_charges_twice(
    provider: PaymentProvider, stripe_sandbox: SandboxHandle
) -> None:
    resident = scenarios.unique("res")
    customer = provider.create_customer(resident_id=resident)
    method = provider.attach_payment_method(customer_id=customer,
                                            payment_method_id="pm_card_visa")
    # The create is served but its answer is lost on the wire; the SDK retries with the
    # same idempotency key and gets the first answer back instead of a second charge.
    stripe_sandbox.control("fail", {"mode": "drop_response", "count": 1,
                                    "path": "/v1/payment_intents"})
    intent = provider.create_payment_intent(
        payment_id=scenarios.unique("pay"), resident_id=resident, amount=2100,
        currency="usd", customer_id=customer, payment_method_id=method.provider_id)
    assert intent.status == "succeeded"
    store = stripe_sandbox.sandbox.store
    assert stripe_sandbox.sandbox.drop_responses == [], "the first answer was really lost"
    with store.lock:
        charges = [o for o in store.objects.values() if o.get("object") == "charge"]
    assert len(charges) == 1


@pytest.mark.parametrize(("status", "count", "error"), [
    (429, 1, ProviderRateLimited),  # the SDK does not retry rate limits
    (500, 2, ProviderUnavailable),  # it does retry 5xx: the call and its one retry fail
])
def test_provider_outages_are_typed(
    provider: PaymentProvider, stripe_sandbox: SandboxHandle, status: int, count: int,
    error: type[Exception],
) -> None:
    stripe_sandbox.control("fail", {"status": status, "count": count})
    with pytest.raises(error):
        provider.retrieve_payment_intent("pi_anything")
    with pytest.raises(Exception) as after:  # the outage is over: Stripe's own 404 again
        provider.retrieve_payment_intent("pi_anything")
    assert type(after.value).__name__ == "InvalidProviderRequest"
