"""How a mandate ends, and the on-session ACH debit's own mandate, in the sandbox and
through the port (adapter and stripeService client), after Stripe's API reference:

- a mandate goes `inactive` when the customer revokes it (the sandbox control) or when a
  debit under it is returned unauthorized (`debit_not_authorized`), announced once as
  `mandate.updated` with `previous_attributes.status`; an inactive mandate debits nothing;
- `retrieve_mandate` names the mandate's customer's resident (its metadata);
- an on-session `us_bank_account` confirmation needs `mandate_data` (or `mandate`):
  without it 400 `parameter_missing` and nothing is made; with it a single-use mandate
  the charge names; cards are unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from sfr3_ledger.mandate_acceptance import MandateAcceptance
from sfr3_ledger.payment_provider import InvalidProviderRequest, PaymentProvider
from tests.harness.stripe_sandbox import SandboxHandle
from tests.stripe import scenarios
from tests.stripe.test_mandates import _bank, _mandate

pytestmark = pytest.mark.stripe_sandbox
ACCEPTED = MandateAcceptance(ip_address="198.51.100.7", user_agent="Mozilla/5.0 (pay)",
                             accepted_at=datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC))


def _sdk(sandbox: SandboxHandle) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_x", base_addresses={"api": sandbox.url},
                               max_network_retries=0)


def _objects(sandbox: SandboxHandle, kind: str) -> dict[str, dict[str, Any]]:
    store = sandbox.sandbox.store
    with store.lock:
        return {k: dict(v) for k, v in store.by_kind.get(kind, {}).items()}


def _mandate_events(sandbox: SandboxHandle, mandate_id: str) -> list[dict[str, Any]]:
    return [e for e in _objects(sandbox, "event").values()
            if e["type"] == "mandate.updated" and e["data"]["object"]["id"] == mandate_id]


def test_revoking_a_mandate_is_announced_once_and_ends_its_debits(
        provider: PaymentProvider, stripe_sandbox: SandboxHandle) -> None:
    resident, customer, method = _bank(provider)
    mandate_id = _mandate(provider, customer, method, scenarios.unique("apay")).mandate_id  # type: ignore[attr-defined]
    found = provider.retrieve_mandate(mandate_id)
    assert (found.id, found.status, found.payment_method_id, found.customer_id,
            found.resident_id) == (mandate_id, "active", method, customer, resident)

    answer = stripe_sandbox.control(f"mandates/{mandate_id}/deactivate")
    assert answer["changed"] is True and answer["mandate"]["status"] == "inactive"
    assert stripe_sandbox.control(f"mandates/{mandate_id}/deactivate")["changed"] is False
    [event] = _mandate_events(stripe_sandbox, mandate_id)
    assert event["data"]["object"]["status"] == "inactive"
    assert event["data"]["previous_attributes"] == {"status": "active"}
    assert provider.retrieve_mandate(mandate_id).status == "inactive"
    before = len(_objects(stripe_sandbox, "payment_intent"))
    with pytest.raises(InvalidProviderRequest) as refused:
        provider.create_payment_intent(
            payment_id=scenarios.unique("pay_auto"), resident_id=resident, amount=10_000,
            currency="usd", customer_id=customer, payment_method_id=method,
            mandate_id=mandate_id)
    assert refused.value.code == "mandate_inactive"
    assert len(_objects(stripe_sandbox, "payment_intent")) == before


def test_an_unknown_mandate_is_refused(provider: PaymentProvider,
                                       stripe_sandbox: SandboxHandle) -> None:
    with pytest.raises(InvalidProviderRequest):
        provider.retrieve_mandate("mandate_unknown")
    with pytest.raises(stripe.InvalidRequestError):
        _sdk(stripe_sandbox).v1.mandates.retrieve("mandate_unknown")
    status = stripe_sandbox.control  # the control answers Stripe's 404 too
    with pytest.raises(Exception, match="404"):
        status("mandates/mandate_unknown/deactivate")


def test_an_unauthorized_return_deactivates_the_debits_mandate(
        provider: PaymentProvider, stripe_sandbox: SandboxHandle) -> None:
    resident, customer, method = _bank(provider, "pm_usBankAccount_debitNotAuthorized")
    mandate_id = _mandate(provider, customer, method, scenarios.unique("apay")).mandate_id  # type: ignore[attr-defined]
    intent = provider.create_payment_intent(
        payment_id=scenarios.unique("pay_auto"), resident_id=resident, amount=10_000,
        currency="usd", customer_id=customer, payment_method_id=method,
        mandate_id=mandate_id)
    assert intent.status == "processing"
    assert _mandate_events(stripe_sandbox, mandate_id) == []
    stripe_sandbox.advance(5 * 86_400)
    failed = provider.retrieve_payment_intent(intent.id)
    assert failed.status == "requires_payment_method"
    assert failed.failure_code == "debit_not_authorized"
    assert provider.retrieve_mandate(mandate_id).status == "inactive"
    [event] = _mandate_events(stripe_sandbox, mandate_id)
    assert event["data"]["previous_attributes"] == {"status": "active"}


def test_other_returns_leave_the_mandate_active(provider: PaymentProvider,
                                                stripe_sandbox: SandboxHandle) -> None:
    resident, customer, method = _bank(provider, "pm_usBankAccount_insufficientFunds")
    mandate_id = _mandate(provider, customer, method, scenarios.unique("apay")).mandate_id  # type: ignore[attr-defined]
    provider.create_payment_intent(
        payment_id=scenarios.unique("pay_auto"), resident_id=resident, amount=10_000,
        currency="usd", customer_id=customer, payment_method_id=method,
        mandate_id=mandate_id)
    stripe_sandbox.advance(5 * 86_400)
    assert provider.retrieve_mandate(mandate_id).status == "active"
    assert _mandate_events(stripe_sandbox, mandate_id) == []


# ---- on-session ACH: the debit's own mandate ----------------------------------------------

def test_an_on_session_bank_debit_without_a_mandate_is_refused_and_makes_nothing(
        stripe_sandbox: SandboxHandle, provider: PaymentProvider) -> None:
    _, customer, method = _bank(provider)
    sdk = _sdk(stripe_sandbox)
    before = (len(_objects(stripe_sandbox, "payment_intent")),
              len(_objects(stripe_sandbox, "mandate")))
    params: dict[str, Any] = {"amount": 5_000, "currency": "usd", "customer": customer,
                              "payment_method": method, "confirm": True,
                              "payment_method_types": ["us_bank_account"]}
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.payment_intents.create(params=params)  # type: ignore[arg-type]
    assert (refused.value.code, refused.value.param) == ("parameter_missing", "mandate_data")
    with pytest.raises(stripe.InvalidRequestError) as refused:  # an incomplete acceptance
        sdk.v1.payment_intents.create(params={**params, "mandate_data": {  # type: ignore[arg-type]
            "customer_acceptance": {"type": "online", "online": {"ip_address": "1.2.3.4"}}}})
    assert refused.value.code == "parameter_missing"
    with pytest.raises(stripe.InvalidRequestError):  # mandate_data only with confirm=true
        sdk.v1.payment_intents.create(params={  # type: ignore[arg-type]
            **params, "confirm": False, "mandate_data": ACCEPTED.mandate_data()})
    assert (len(_objects(stripe_sandbox, "payment_intent")),
            len(_objects(stripe_sandbox, "mandate"))) == before


def test_an_on_session_bank_debit_makes_its_single_use_mandate(
        provider: PaymentProvider, stripe_sandbox: SandboxHandle) -> None:
    resident, customer, method = _bank(provider)
    key = scenarios.unique("pay")
    intent = provider.create_payment_intent(
        payment_id=key, resident_id=resident, amount=5_000, currency="usd",
        customer_id=customer, payment_method_id=method, mandate_acceptance=ACCEPTED)
    assert intent.status == "processing"
    charge = _objects(stripe_sandbox, "charge")[str(intent.latest_charge)]
    mandate_id = charge["payment_method_details"]["us_bank_account"]["mandate"]
    mandate = _objects(stripe_sandbox, "mandate")[mandate_id]
    assert (mandate["status"], mandate["type"], mandate["payment_method"]) == (
        "active", "single_use", method)
    assert mandate["single_use"] == {"amount": 5_000, "currency": "usd"}
    assert mandate["customer_acceptance"] == {
        "type": "online", "accepted_at": int(ACCEPTED.accepted_at.timestamp()),
        "online": {"ip_address": "198.51.100.7", "user_agent": "Mozilla/5.0 (pay)"}}
    # The same key with the same acceptance is Stripe's first answer (one intent, one
    # mandate); with another acceptance it is an idempotency error.
    again = provider.create_payment_intent(
        payment_id=key, resident_id=resident, amount=5_000, currency="usd",
        customer_id=customer, payment_method_id=method, mandate_acceptance=ACCEPTED)
    assert again.id == intent.id
    assert len([m for m in _objects(stripe_sandbox, "mandate").values()
                if m["payment_method"] == method]) == 1
    other = MandateAcceptance(ip_address="198.51.100.8", user_agent="other",
                              accepted_at=ACCEPTED.accepted_at)
    with pytest.raises(InvalidProviderRequest) as refused:
        provider.create_payment_intent(
            payment_id=key, resident_id=resident, amount=5_000, currency="usd",
            customer_id=customer, payment_method_id=method, mandate_acceptance=other)
    assert refused.value.code == "idempotency_error"


def test_a_card_payment_is_unchanged(provider: PaymentProvider,
                                     stripe_sandbox: SandboxHandle) -> None:
    resident, customer, method = _bank(provider, "pm_card_visa")
    before = len(_objects(stripe_sandbox, "mandate"))
    intent = provider.create_payment_intent(
        payment_id=scenarios.unique("pay"), resident_id=resident, amount=5_000,
        currency="usd", customer_id=customer, payment_method_id=method)
    assert intent.status == "succeeded"
    assert len(_objects(stripe_sandbox, "mandate")) == before


def test_confirming_later_follows_the_same_rule(stripe_sandbox: SandboxHandle,
                                                provider: PaymentProvider) -> None:
    _, customer, method = _bank(provider)
    sdk = _sdk(stripe_sandbox)
    pi = sdk.v1.payment_intents.create(params={
        "amount": 7_000, "currency": "usd", "customer": customer, "payment_method": method,
        "payment_method_types": ["us_bank_account"]})
    assert pi.status == "requires_confirmation"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.payment_intents.confirm(pi.id)
    assert (refused.value.code, refused.value.param) == ("parameter_missing", "mandate_data")
    assert sdk.v1.payment_intents.retrieve(pi.id).status == "requires_confirmation"
    confirmed = sdk.v1.payment_intents.confirm(
        pi.id, params={"mandate_data": ACCEPTED.mandate_data()})  # type: ignore[typeddict-item]
    assert confirmed.status == "processing"
    charge = _objects(stripe_sandbox, "charge")[str(confirmed.latest_charge)]
    mandate = _objects(stripe_sandbox, "mandate")[
        charge["payment_method_details"]["us_bank_account"]["mandate"]]
    assert (mandate["type"], mandate["single_use"]) == (
        "single_use", {"amount": 7_000, "currency": "usd"})


def test_a_test_token_is_one_method_for_the_intent_and_its_mandate(
        stripe_sandbox: SandboxHandle) -> None:
    sdk = _sdk(stripe_sandbox)
    methods = len(_objects(stripe_sandbox, "payment_method"))
    pi = sdk.v1.payment_intents.create(params={  # type: ignore[arg-type]
        "amount": 5_000, "currency": "usd", "payment_method": "pm_usBankAccount_success",
        "confirm": True, "payment_method_types": ["us_bank_account"],
        "mandate_data": ACCEPTED.mandate_data()})
    assert len(_objects(stripe_sandbox, "payment_method")) == methods + 1
    charge = _objects(stripe_sandbox, "charge")[str(pi.latest_charge)]
    mandate = _objects(stripe_sandbox, "mandate")[
        charge["payment_method_details"]["us_bank_account"]["mandate"]]
    assert mandate["payment_method"] == pi.payment_method
