"""Live contract: the adapter scenarios against real Stripe test mode.

Runs only when `STRIPE_TEST_SECRET_KEY` (an `sk_test_…` key) is set; otherwise every test
here is skipped with that reason. The same scenario functions run against the local sandbox
in `tests/stripe/`, so a difference between the sandbox and Stripe shows up as a failure here.
Webhook signatures are checked with a locally made secret: Stripe cannot reach this machine.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest

from sfr3_adapters.stripe_adapter import StripeAdapter
from sfr3_ledger.payment_provider import ProviderAuthenticationError
from tests.stripe import scenarios

KEY = os.environ.get("STRIPE_TEST_SECRET_KEY", "")
WEBHOOK_SECRET = "whsec_contract_local"

pytestmark = [
    pytest.mark.contract,
    pytest.mark.skipif(not KEY, reason="STRIPE_TEST_SECRET_KEY is not set: live Stripe "
                                       "test-mode contract suite not run"),
]


@pytest.fixture(scope="module")
def adapter() -> StripeAdapter:
    if not KEY.startswith(("sk_test_", "rk_test_")):
        pytest.fail("STRIPE_TEST_SECRET_KEY must be a test-mode key (sk_test_…)")
    return StripeAdapter(KEY, WEBHOOK_SECRET, timeout=30, max_network_retries=2)


def test_card_payment_and_refunds(adapter: StripeAdapter) -> None:
    scenarios.card_payment_then_partial_and_full_refund(adapter)


def test_declines_are_typed(adapter: StripeAdapter) -> None:
    scenarios.declines_are_typed(adapter)


def test_detach_is_idempotent(adapter: StripeAdapter) -> None:
    scenarios.detach_is_idempotent(adapter)


def test_idempotency_conflict(adapter: StripeAdapter) -> None:
    scenarios.idempotency_conflict_is_refused(adapter)


def test_webhook_signatures(adapter: StripeAdapter) -> None:
    scenarios.webhook_signatures_are_checked(adapter, WEBHOOK_SECRET)


def test_balance_transactions_have_our_shape(adapter: StripeAdapter) -> None:
    intent_id = scenarios.card_payment_then_partial_and_full_refund(adapter)
    now = datetime.now(UTC)
    txns = adapter.list_balance_transactions(created_from=now - timedelta(hours=1),
                                             created_to=now + timedelta(minutes=5))
    ours = [t for t in txns if t.payment_intent_id == intent_id]
    assert sorted(t.type for t in ours) == ["charge", "refund", "refund"]
    assert all(t.net == t.amount - t.fee and t.created.tzinfo for t in ours)


def test_intents_are_listed_by_customer_since(adapter: StripeAdapter) -> None:
    scenarios.intents_are_listed_by_customer_since(adapter)


def test_bad_key_is_an_authentication_error() -> None:
    with pytest.raises(ProviderAuthenticationError):
        StripeAdapter("sk_test_not_a_real_key", max_network_retries=0).retrieve_payment_intent(
            "pi_x")
