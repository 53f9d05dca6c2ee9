"""The ACH mandate through the port (adapter and stripeService client) against the sandbox:
made once per key, named on the off-session debit, failures typed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import stripe

from sfr3_ledger.payment_provider import (
    InvalidProviderRequest,
    PaymentProvider,
    ProviderUnavailable,
)
from tests.harness.stripe_sandbox import SandboxHandle
from tests.stripe import scenarios

pytestmark = pytest.mark.stripe_sandbox


def _bank(provider: PaymentProvider, token: str = "pm_usBankAccount_success"
          ) -> tuple[str, str, str]:
    resident = scenarios.unique("res")
    customer = provider.create_customer(resident_id=resident)
    method = provider.attach_payment_method(customer_id=customer, payment_method_id=token)
    return resident, customer, method.provider_id


def _mandate(provider: PaymentProvider, customer: str, method: str, key: str) -> object:
    return provider.create_ach_mandate(
        setup_id=key, customer_id=customer, payment_method_id=method,
        ip_address="198.51.100.4", user_agent="Mozilla/5.0 (test)",
        accepted_at=datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC), metadata={"resident_id": "r"})


def test_mandate_once_per_key_and_the_debit_names_it(
        provider: PaymentProvider, stripe_sandbox: SandboxHandle) -> None:
    resident, customer, method = _bank(provider)
    key = scenarios.unique("apay")
    first = _mandate(provider, customer, method, key)
    again = _mandate(provider, customer, method, key)
    assert first == again, "a retried enrollment makes one mandate"
    assert first.status == "succeeded" and first.mandate_id  # type: ignore[attr-defined]
    assert provider.retrieve_setup_intent(first.id) == first  # type: ignore[attr-defined]
    sdk = stripe.StripeClient("sk_test_x", base_addresses={"api": stripe_sandbox.url})
    mandate = sdk.v1.mandates.retrieve(first.mandate_id)  # type: ignore[attr-defined]
    assert mandate.status == "active" and mandate.type == "multi_use"
    assert mandate.customer_acceptance.online.ip_address == "198.51.100.4"
    assert mandate.customer_acceptance.accepted_at == int(
        datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp())
    intent = provider.create_payment_intent(
        payment_id=scenarios.unique("pay_auto"), resident_id=resident, amount=150_000,
        currency="usd", customer_id=customer, payment_method_id=method,
        mandate_id=first.mandate_id)  # type: ignore[attr-defined]
    assert intent.status == "processing"
    charge = sdk.v1.charges.retrieve(str(intent.latest_charge))
    assert charge.payment_method_details.us_bank_account.mandate == first.mandate_id  # type: ignore[attr-defined]
    pi = sdk.v1.payment_intents.retrieve(intent.id)
    assert pi.metadata["resident_id"] == resident


def test_mandate_failures_are_typed(provider: PaymentProvider,
                                    stripe_sandbox: SandboxHandle) -> None:
    _, customer, method = _bank(provider)
    with pytest.raises(InvalidProviderRequest):  # a card is no bank account
        _, _, card = _bank(provider, "pm_card_visa")
        _mandate(provider, customer, card, scenarios.unique("apay"))
    with pytest.raises(InvalidProviderRequest):
        provider.create_payment_intent(
            payment_id=scenarios.unique("pay"), resident_id="r", amount=1_000, currency="usd",
            customer_id=customer, payment_method_id=method, mandate_id="mandate_unknown")
    stripe_sandbox.control("fail", {"status": 500, "count": 10})
    with pytest.raises(ProviderUnavailable):
        _mandate(provider, customer, method, scenarios.unique("apay"))
    stripe_sandbox.control("reset")
