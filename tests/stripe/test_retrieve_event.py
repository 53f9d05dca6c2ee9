"""`retrieve_event`: Stripe's own copy of an event by id (`GET /v1/events/{id}`), what the
webhook retry queue's consumer applies instead of the queued body. Through the adapter and
the stripeService client against the local sandbox: the same `ProviderEvent` a verified
delivery builds; an id Stripe never issued, or an event older than its 30 days, is 404
`resource_missing`; bad params are 400 before anything is asked of Stripe."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfr3_lambdas import stripe_service
from sfr3_ledger.payment_provider import InvalidProviderRequest, PaymentProvider, ProviderEvent
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver
from tests.stripe import scenarios
from tests.stripe.test_stripe_service import call

pytestmark = pytest.mark.stripe_sandbox


def _delivered_success(provider: PaymentProvider, stripe_sandbox: SandboxHandle,
                       webhook_receiver: WebhookReceiver) -> ProviderEvent:
    """A card payment's `payment_intent.succeeded`, as its signed delivery verifies."""
    resident = scenarios.unique("res")
    customer = provider.create_customer(resident_id=resident)
    method = provider.attach_payment_method(customer_id=customer,
                                            payment_method_id="pm_card_visa")
    intent = provider.create_payment_intent(
        payment_id=scenarios.unique("pay"), resident_id=resident, amount=7_300,
        currency="usd", customer_id=customer, payment_method_id=method.provider_id)
    stripe_sandbox.drain()
    for received in webhook_receiver.received:
        body = json.loads(received.body)
        if body["type"] == "payment_intent.succeeded" and \
                body["data"]["object"]["id"] == intent.id:
            signature = {k.lower(): v for k, v in received.headers.items()}["stripe-signature"]
            return provider.verify_webhook(payload=received.body, signature_header=signature)
    raise AssertionError("no payment_intent.succeeded delivered")


def test_an_event_is_stripes_copy_as_a_delivery_builds_it(
        provider: PaymentProvider, stripe_sandbox: SandboxHandle,
        webhook_receiver: WebhookReceiver) -> None:
    delivered = _delivered_success(provider, stripe_sandbox, webhook_receiver)
    fetched = provider.retrieve_event(delivered.id)
    assert fetched == delivered
    assert fetched.object["status"] == "succeeded" and fetched.object["amount"] == 7_300


def test_an_event_stripe_never_issued_is_resource_missing(provider: PaymentProvider) -> None:
    with pytest.raises(InvalidProviderRequest) as missing:
        provider.retrieve_event("evt_0000000000000000neverSent")
    assert missing.value.code == "resource_missing"


def test_past_thirty_days_stripe_has_forgotten_the_event(
        provider: PaymentProvider, stripe_sandbox: SandboxHandle,
        webhook_receiver: WebhookReceiver) -> None:
    delivered = _delivered_success(provider, stripe_sandbox, webhook_receiver)
    stripe_sandbox.advance(29 * 86_400)
    assert provider.retrieve_event(delivered.id) == delivered
    stripe_sandbox.advance(2 * 86_400)
    with pytest.raises(InvalidProviderRequest) as gone:
        provider.retrieve_event(delivered.id)
    assert gone.value.code == "resource_missing"


@pytest.mark.usefixtures("service_env")
@pytest.mark.parametrize("params", [
    {},
    {"event_id": ""},
    {"event_id": 12},
    {"event_id": "pi_3Nx"},  # not an event
    {"event_id": "evt_1/../../payment_intents/pi_1"},  # must not shape the path
    {"event_id": "evt_a b"},
    {"event_id": "evt_" + "a" * 300},
    {"event_id": "evt_1", "type": "payment_intent.succeeded"},
])
def test_bad_params_are_400_before_stripe_is_asked(
        params: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    def no_stripe() -> PaymentProvider:
        raise AssertionError("Stripe was asked")

    monkeypatch.setattr(stripe_service, "provider", no_stripe)
    status, answer = call({"action": "retrieve_event", "params": params})
    assert status == 400, answer
    assert answer["error"]["kind"] == "invalid_params"


@pytest.mark.usefixtures("service_env")
def test_an_unknown_event_is_400_resource_missing_over_the_wire() -> None:
    status, answer = call({"action": "retrieve_event",
                           "params": {"event_id": "evt_0000000000000000neverSent"}})
    assert status == 400
    assert (answer["error"]["kind"], answer["error"]["code"]) == (
        "invalid_provider_request", "resource_missing")
