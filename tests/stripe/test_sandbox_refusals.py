"""The local Stripe refuses as Stripe does and a refused request changes nothing: a detached
PaymentMethod can never pay or be attached again (Stripe: "detachment is permanent and
irreversible"); confirming an intent in the wrong state keeps its method; a dispute update
with a bad parameter keeps its evidence."""

from __future__ import annotations

import pytest
import stripe

from tests.harness.stripe_sandbox import SandboxHandle


@pytest.fixture
def sdk(stripe_sandbox: SandboxHandle) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_sdk", base_addresses={"api": stripe_sandbox.url},
                               max_network_retries=0)


def test_a_detached_method_never_pays_nor_is_attached_again(sdk: stripe.StripeClient) -> None:
    customer = sdk.v1.customers.create(params={"email": "r@example.com"})
    pm = sdk.v1.payment_methods.attach("pm_card_visa", params={"customer": customer.id})
    first = sdk.v1.payment_intents.create(
        params={"amount": 2100, "currency": "usd", "customer": customer.id,
                "payment_method": pm.id, "confirm": True, "off_session": True},
        options={"idempotency_key": "pi-pay_1"})
    sdk.v1.payment_methods.detach(pm.id)
    # The same key replays the intent made before the detachment (it charged then)...
    again = sdk.v1.payment_intents.create(
        params={"amount": 2100, "currency": "usd", "customer": customer.id,
                "payment_method": pm.id, "confirm": True, "off_session": True},
        options={"idempotency_key": "pi-pay_1"})
    assert again.id == first.id and again.status == "succeeded"
    # ...but a new payment on the detached method is refused, and so is re-attaching it.
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.payment_intents.create(
            params={"amount": 2100, "currency": "usd", "customer": customer.id,
                    "payment_method": pm.id, "confirm": True, "off_session": True},
            options={"idempotency_key": "pi-pay_2"})
    assert refused.value.code == "payment_method_unexpected_state"
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.payment_methods.attach(pm.id, params={"customer": customer.id})
    assert sdk.v1.payment_methods.retrieve(pm.id).customer is None  # still readable


def test_confirming_a_succeeded_intent_keeps_its_method(sdk: stripe.StripeClient) -> None:
    pi = sdk.v1.payment_intents.create(params={
        "amount": 3000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.payment_intents.confirm(pi.id, params={"payment_method": "pm_card_mastercard"})
    assert refused.value.code == "payment_intent_unexpected_state"
    assert sdk.v1.payment_intents.retrieve(pi.id).payment_method == pi.payment_method


def test_a_dispute_update_with_a_bad_parameter_keeps_the_evidence(
        stripe_sandbox: SandboxHandle, sdk: stripe.StripeClient) -> None:
    pi = sdk.v1.payment_intents.create(params={
        "amount": 3000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    dispute = stripe_sandbox.control("disputes", {"payment_intent": pi.id})
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.disputes.update(dispute["id"], params={
            "evidence": {"uncategorized_text": "partial"}, "metadata": "bad",
            "submit": False})
    kept = sdk.v1.disputes.retrieve(dispute["id"])
    assert kept.evidence.uncategorized_text is None
    assert kept.evidence_details.has_evidence is False
