"""The sandbox's SetupIntents and Mandates, through the official SDK (as Stripe documents them)."""

from __future__ import annotations

import time

import pytest
import stripe

from tests.harness.stripe_sandbox import SandboxHandle

pytestmark = pytest.mark.stripe_sandbox

ACCEPTANCE = {"customer_acceptance": {
    "type": "online", "online": {"ip_address": "203.0.113.7", "user_agent": "Mozilla/5.0"}}}


@pytest.fixture
def sdk(stripe_sandbox: SandboxHandle) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_sdk", base_addresses={"api": stripe_sandbox.url},
                               max_network_retries=0)


def _customer(sdk: stripe.StripeClient) -> str:
    return sdk.v1.customers.create(params={"email": "r@example.com"}).id


def test_ach_setup_makes_an_active_multi_use_mandate(sdk: stripe.StripeClient,
                                                    stripe_sandbox: SandboxHandle) -> None:
    customer = _customer(sdk)
    accepted = int(time.time()) - 5
    seti = sdk.v1.setup_intents.create(params={
        "customer": customer, "payment_method": "pm_usBankAccount_success",
        "payment_method_types": ["us_bank_account"], "confirm": True, "usage": "off_session",
        "mandate_data": {"customer_acceptance": {**ACCEPTANCE["customer_acceptance"],
                                                 "accepted_at": accepted}},
        "metadata": {"resident_id": "r-1"}})
    assert seti.status == "succeeded" and seti.usage == "off_session"
    assert isinstance(seti.mandate, str) and seti.mandate.startswith("mandate_")
    assert seti.metadata["resident_id"] == "r-1"
    mandate = sdk.v1.mandates.retrieve(seti.mandate)
    assert (mandate.status, mandate.type, mandate.payment_method) == (
        "active", "multi_use", seti.payment_method)
    assert mandate.customer_acceptance.type == "online"
    assert mandate.customer_acceptance.accepted_at == accepted
    assert mandate.customer_acceptance.online.ip_address == "203.0.113.7"
    assert mandate.payment_method_details.type == "us_bank_account"
    # The setup attached the method to the customer, and the intent reads back the same.
    pm = sdk.v1.payment_methods.retrieve(str(seti.payment_method))
    assert pm.customer == customer
    assert sdk.v1.setup_intents.retrieve(seti.id).mandate == seti.mandate
    listed = sdk.v1.setup_intents.list(params={"customer": customer})
    assert [s.id for s in listed.data] == [seti.id]
    types = [e.type for e in sdk.v1.events.list(params={"limit": 100}).data]
    assert "setup_intent.created" in types and "setup_intent.succeeded" in types
    assert "payment_method.attached" in types


def test_an_off_session_ach_payment_under_the_mandate(sdk: stripe.StripeClient,
                                                     stripe_sandbox: SandboxHandle) -> None:
    customer = _customer(sdk)
    seti = sdk.v1.setup_intents.create(params={
        "customer": customer, "payment_method": "pm_usBankAccount_success",
        "payment_method_types": ["us_bank_account"], "confirm": True,
        "mandate_data": ACCEPTANCE})
    pi = sdk.v1.payment_intents.create(params={
        "amount": 150_000, "currency": "usd", "customer": customer,
        "payment_method": str(seti.payment_method), "payment_method_types": ["us_bank_account"],
        "confirm": True, "off_session": True, "mandate": str(seti.mandate)})
    assert pi.status == "processing"
    charge = sdk.v1.charges.retrieve(str(pi.latest_charge))
    assert charge.payment_method_details.us_bank_account.mandate == seti.mandate
    stripe_sandbox.advance(5 * 86_400)
    assert sdk.v1.payment_intents.retrieve(pi.id).status == "succeeded"
    # A mandate of another method, an unknown one, or one without confirm: refused.
    other = sdk.v1.payment_methods.create(params={
        "type": "us_bank_account", "billing_details": {"name": "A"},
        "us_bank_account": {"account_number": "000123456789", "routing_number": "110000000",
                            "account_holder_type": "individual"}})
    sdk.v1.payment_methods.attach(other.id, params={"customer": customer})
    for params, code in (
        ({"payment_method": other.id, "mandate": str(seti.mandate), "confirm": True}, None),
        ({"payment_method": other.id, "mandate": "mandate_nope", "confirm": True},
         "resource_missing"),
        ({"payment_method": str(seti.payment_method), "mandate": str(seti.mandate)}, None),
    ):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            sdk.v1.payment_intents.create(params={
                "amount": 1_000, "currency": "usd", "customer": customer,
                "payment_method_types": ["us_bank_account"], **params})  # type: ignore[dict-item]
        assert refused.value.param == "mandate"
        if code:
            assert refused.value.code == code


def test_ach_setup_without_mandate_data_is_refused(sdk: stripe.StripeClient) -> None:
    customer = _customer(sdk)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.setup_intents.create(params={
            "customer": customer, "payment_method": "pm_usBankAccount_success",
            "payment_method_types": ["us_bank_account"], "confirm": True})
    assert (refused.value.code, refused.value.param) == ("parameter_missing", "mandate_data")
    with pytest.raises(stripe.InvalidRequestError) as partial:
        sdk.v1.setup_intents.create(params={
            "customer": customer, "payment_method": "pm_usBankAccount_success",
            "payment_method_types": ["us_bank_account"], "confirm": True,
            "mandate_data": {"customer_acceptance": {"type": "online",
                                                     "online": {"ip_address": "1.2.3.4"}}}})
    assert partial.value.code == "parameter_missing"


def test_microdeposits_require_action_then_succeed(sdk: stripe.StripeClient) -> None:
    customer = _customer(sdk)
    seti = sdk.v1.setup_intents.create(params={
        "customer": customer, "payment_method": "pm_usBankAccount_success",
        "payment_method_types": ["us_bank_account"], "mandate_data": ACCEPTANCE,
        "payment_method_options": {"us_bank_account": {"verification_method": "microdeposits"}}})
    assert seti.status == "requires_confirmation" and seti.mandate is None
    seti = sdk.v1.setup_intents.confirm(seti.id, params={"mandate_data": ACCEPTANCE})
    assert seti.status == "requires_action"
    assert seti.next_action.type == "verify_with_microdeposits"
    assert sdk.v1.mandates.retrieve(str(seti.mandate)).status == "pending"
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.setup_intents.verify_microdeposits(seti.id, params={"amounts": [1, 2]})
    seti = sdk.v1.setup_intents.verify_microdeposits(seti.id, params={"amounts": [32, 45]})
    assert seti.status == "succeeded"
    assert sdk.v1.mandates.retrieve(str(seti.mandate)).status == "active"


def test_a_declining_card_fails_setup_and_cards_need_no_mandate(
        sdk: stripe.StripeClient) -> None:
    customer = _customer(sdk)
    ok = sdk.v1.setup_intents.create(params={
        "customer": customer, "payment_method": "pm_card_visa", "confirm": True})
    assert ok.status == "succeeded" and ok.mandate is None
    with pytest.raises(stripe.CardError) as declined:
        sdk.v1.setup_intents.create(params={
            "customer": customer, "payment_method": "pm_card_chargeDeclined", "confirm": True})
    assert declined.value.code == "card_declined"
    failed = [e for e in sdk.v1.events.list(params={"type": "setup_intent.setup_failed"}).data]
    assert len(failed) == 1
    seti = failed[0].data.object
    assert seti["status"] == "requires_payment_method"
    assert seti["last_setup_error"]["code"] == "card_declined"
    # Cancelled: no longer confirmable.
    pending = sdk.v1.setup_intents.create(params={"customer": customer})
    assert pending.status == "requires_payment_method"
    assert sdk.v1.setup_intents.cancel(pending.id).status == "canceled"
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.setup_intents.confirm(pending.id, params={"payment_method": "pm_card_visa"})
