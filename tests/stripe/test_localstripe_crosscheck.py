"""Cross-check against a Stripe fake nobody here wrote: `localstripe` (PyPI, 1.15.10).

The card path — customer, `pm_card_visa`, PaymentIntent, partial and full refund, and a
signed `payment_intent.succeeded` webhook verified by our adapter — must work against it
exactly as against our sandbox. localstripe's known gaps (no Idempotency-Key, no ACH, no
disputes, and a full refund after a partial one refunds the whole charge again) are why
the idempotency and refund-remainder checks live in the sandbox tests instead.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from sfr3_adapters.stripe_adapter import StripeAdapter
from tests.harness.stripe_sandbox import WebhookReceiver
from tests.stripe.scenarios import unique

SECRET = "whsec_localstripe_crosscheck"


@pytest.fixture
def adapter(localstripe: str, webhook_receiver: WebhookReceiver) -> StripeAdapter:
    body = json.dumps({"url": webhook_receiver.url, "secret": SECRET,
                       "events": ["payment_intent.succeeded"]}).encode()
    request = urllib.request.Request(
        f"{localstripe}/_config/webhooks/{unique('wh')}", data=body, method="POST",
        headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()
    return StripeAdapter("sk_test_crosscheck", SECRET, api_base=localstripe,
                         max_network_retries=0)


def test_card_path_against_localstripe(adapter: StripeAdapter,
                                       webhook_receiver: WebhookReceiver) -> None:
    resident = unique("res")
    customer = adapter.create_customer(resident_id=resident, email="x@example.com")
    assert customer.startswith("cus_")
    method = adapter.attach_payment_method(customer_id=customer,
                                           payment_method_id="pm_card_visa")
    assert (method.type, method.brand, method.last4) == ("card", "visa", "4242")

    def pay(amount: int) -> str:
        payment_id = unique("pay")
        intent = adapter.create_payment_intent(
            payment_id=payment_id, resident_id=resident, amount=amount, currency="usd",
            customer_id=customer, payment_method_id=method.provider_id)
        assert (intent.status, intent.amount) == ("succeeded", amount)
        assert intent.metadata == {"resident_id": resident, "payment_id": payment_id}
        return intent.id

    first, second = pay(2100), pay(1500)
    partial = adapter.refund(payment_intent_id=first, amount=700, idempotency_key=unique("r"))
    assert (partial.amount, partial.payment_intent_id, partial.status) == (
        700, first, "succeeded")
    full = adapter.refund(payment_intent_id=second, amount=None, idempotency_key=unique("r"))
    assert (full.amount, full.payment_intent_id) == (1500, second)
    assert adapter.retrieve_payment_intent(first).status == "succeeded"

    received = webhook_receiver.wait_for(
        lambda rs: sum(first.encode() in r.body or second.encode() in r.body for r in rs) >= 2)
    events = [adapter.verify_webhook(payload=r.body,
                                     signature_header=r.headers["Stripe-Signature"])
              for r in received]
    assert {(e.type, e.object["id"]) for e in events} >= {
        ("payment_intent.succeeded", first), ("payment_intent.succeeded", second)}
    assert all(e.created.tzinfo is not None for e in events)
