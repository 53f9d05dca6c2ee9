"""`list_payment_intents_page`: a customer's intents since an instant, page by page, a read
that creates nothing; through the adapter and the stripeService client, against the local
sandbox (which filters `customer` and `created[gte]` and pages as Stripe documents). And
the sandbox's control that forgets idempotency keys older than Stripe keeps them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sfr3_ledger.payment_provider import InvalidProviderRequest, PaymentProvider
from tests.harness.stripe_sandbox import SandboxHandle
from tests.stripe import scenarios

pytestmark = pytest.mark.stripe_sandbox


def test_pages_through_a_customers_intents_newest_first(provider: PaymentProvider) -> None:
    scenarios.intents_are_listed_by_customer_since(provider)


def test_a_bad_limit_is_refused(provider: PaymentProvider) -> None:
    with pytest.raises(InvalidProviderRequest):
        provider.list_payment_intents_page(customer_id="cus_x",
                                           created_from=datetime.now(UTC), limit=0)


def test_forgotten_idempotency_keys_make_a_new_request(provider: PaymentProvider,
                                                       stripe_sandbox: SandboxHandle) -> None:
    resident = scenarios.unique("res")
    customer = provider.create_customer(resident_id=resident)
    method = provider.attach_payment_method(customer_id=customer,
                                            payment_method_id="pm_card_visa")
    pid = scenarios.unique("pay")

    def create() -> str:
        return provider.create_payment_intent(
            payment_id=pid, resident_id=resident, amount=5_000, currency="usd",
            customer_id=customer, payment_method_id=method.provider_id).id

    first = create()
    stripe_sandbox.control("idempotency/expire", {})  # (may forget other tests' old keys)
    assert create() == first, "a key younger than 24 h is kept"
    stripe_sandbox.advance(86_400)
    assert stripe_sandbox.control("idempotency/expire", {})["forgotten"] >= 1
    assert create() != first, "past 24 h the key is forgotten: a second intent"
