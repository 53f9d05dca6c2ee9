"""Payment flows end to end: ledger + Stripe adapter + local Stripe server over HTTP.

Webhooks are delivered by the sandbox, signed as Stripe signs them, and verified with
the SDK's own `construct_event` through the adapter before they touch the ledger.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfr3_adapters.stripe_adapter import StripeAdapter
from sfr3_ledger import LedgerApplication, PaymentStatus
from sfr3_ledger.errors import AmountExceedsBalance, InvalidCommand
from sfr3_ledger.payment_provider import WebhookSignatureInvalid
from sfr3_ledger.payment_service import (
    PaymentDeclined,
    PaymentService,
    ProviderRejected,
    ProviderUnavailableError,
)
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver

R = "res-flow"


@pytest.fixture
def service(
    stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver, ledger_env: dict[str, str]
) -> PaymentService:
    secret = stripe_sandbox.register_webhook(webhook_receiver.url)
    adapter = StripeAdapter(
        "sk_test_flows", secret, api_base=stripe_sandbox.url, timeout=10, max_network_retries=0
    )
    return PaymentService(LedgerApplication(env=ledger_env), adapter)


def deliver(
    service: PaymentService, receiver: WebhookReceiver, sandbox: SandboxHandle
) -> list[str]:
    """Verify and apply every webhook received so far, in arrival order; then forget them."""
    sandbox.drain()
    with receiver.lock:
        received, receiver.received[:] = list(receiver.received), []
    outcomes = []
    for r in received:
        header = {k.lower(): v for k, v in r.headers.items()}["stripe-signature"]
        event = service.verify_webhook(r.body, header)
        outcomes.append(service.handle_provider_event(event))
    return outcomes


def enroll(service: PaymentService, token: str = "pm_card_visa", kind: str = "card") -> str:
    return service.enroll_payment_method(
        R, method_type=kind, provider_method_id=token, actor=R
    ).method_id


def charge(service: PaymentService, amount: int = 2100) -> None:
    service.ledger.post_charge(R, amount=amount, charge_type="RENT", description="Rent", actor="pm")


def test_card_payment_settles_on_the_webhook_and_refunds_stay_in_step(
    service: PaymentService, webhook_receiver: WebhookReceiver, stripe_sandbox: SandboxHandle
) -> None:
    method = enroll(service)
    stored = service.ledger.payment_methods(R).methods[method]
    assert (stored.last4, stored.brand, stored.method_type) == ("4242", "visa", "CARD")
    charge(service, 2100)
    outcome = service.pay(R, amount=2100, method_id=method, actor=R)
    assert outcome.payment.status == PaymentStatus.PENDING
    submitted = service.ledger.payment(R, outcome.payment.payment_id)
    assert submitted.stripe_ref and submitted.stripe_ref.startswith("pi_")
    assert service.ledger.balance(R) == 2100, "not settled until the webhook says so"

    assert "settled" in deliver(service, webhook_receiver, stripe_sandbox)
    pid = outcome.payment.payment_id
    assert service.ledger.payment(R, pid).status == PaymentStatus.SETTLED
    assert service.ledger.balance(R) == 0

    partial = service.refund(R, pid, amount=600, actor="fin")
    assert partial.amount == 600 and partial.refund_id.startswith("re_")
    assert service.ledger.balance(R) == 600
    # The charge.refunded webhook for the same refund is the same fact: applied once.
    deliver(service, webhook_receiver, stripe_sandbox)
    assert service.ledger.balance(R) == 600
    rest = service.refund(R, pid, amount=None, actor="fin")
    assert rest.amount == 1500
    deliver(service, webhook_receiver, stripe_sandbox)
    assert service.ledger.payment(R, pid).status == PaymentStatus.REFUNDED
    assert service.ledger.balance(R) == 2100


def test_duplicate_and_reversed_webhooks_change_nothing_more(
    service: PaymentService, webhook_receiver: WebhookReceiver, stripe_sandbox: SandboxHandle
) -> None:
    stripe_sandbox.control("webhooks", {"duplicates": True, "hold": True})
    method = enroll(service)
    charge(service, 3000)
    first = service.pay(R, amount=1000, method_id=method, actor=R).payment.payment_id
    second = service.pay(R, amount=2000, method_id=method, actor=R).payment.payment_id
    stripe_sandbox.control("webhooks/release", {"order": "reverse"})
    deliver(service, webhook_receiver, stripe_sandbox)
    for pid in (first, second):
        assert service.ledger.payment(R, pid).status == PaymentStatus.SETTLED
    assert service.ledger.balance(R) == 0
    events = [e for e in service.ledger.events.get(service.ledger.ledger(R).id)]
    assert sum(type(e).__name__ == "PaymentSettled" for e in events) == 2


def test_declined_card_fails_the_payment_and_releases_the_balance(
    service: PaymentService, webhook_receiver: WebhookReceiver, stripe_sandbox: SandboxHandle
) -> None:
    method = enroll(service, "pm_card_chargeDeclinedInsufficientFunds")
    charge(service, 2100)
    with pytest.raises(PaymentDeclined) as info:
        service.pay(R, amount=2100, method_id=method, actor=R)
    assert info.value.details()["status"] == "FAILED"
    assert info.value.decline_code == "insufficient_funds"
    pid = str(info.value.details()["paymentId"])
    assert service.ledger.payment(R, pid).status == PaymentStatus.FAILED
    assert service.ledger.ledger(R).payable == 2100
    deliver(service, webhook_receiver, stripe_sandbox)  # payment_failed webhook: no-op
    assert service.ledger.payment(R, pid).failure_reason == "insufficient_funds"


def test_ach_payment_is_pending_until_the_clock_settles_it(
    service: PaymentService, webhook_receiver: WebhookReceiver, stripe_sandbox: SandboxHandle
) -> None:
    method = enroll(service, "pm_usBankAccount_success", "us_bank_account")
    charge(service, 2100)
    pid = service.pay(R, amount=2100, method_id=method, actor=R).payment.payment_id
    deliver(service, webhook_receiver, stripe_sandbox)
    assert service.ledger.payment(R, pid).status == PaymentStatus.PENDING
    with pytest.raises(AmountExceedsBalance):
        service.pay(R, amount=50, method_id=method, actor=R)
    stripe_sandbox.advance(5 * 86_400)
    deliver(service, webhook_receiver, stripe_sandbox)
    assert service.ledger.payment(R, pid).status == PaymentStatus.SETTLED
    assert service.ledger.balance(R) == 0


def test_provider_outage_keeps_the_payment_pending_and_resubmit_charges_once(
    service: PaymentService, webhook_receiver: WebhookReceiver, stripe_sandbox: SandboxHandle
) -> None:
    method = enroll(service)
    charge(service, 2100)
    # The intent is created at Stripe but the answer is lost on the way back.
    stripe_sandbox.control(
        "fail", {"mode": "drop_response", "count": 1, "path": "/v1/payment_intents"}
    )
    with pytest.raises(ProviderUnavailableError) as info:
        service.pay(R, amount=2100, method_id=method, actor=R)
    pid = str(info.value.details()["paymentId"])
    assert service.ledger.payment(R, pid).status == PaymentStatus.PENDING
    service.resubmit(R, pid)
    stripe_sandbox.drain()
    succeeded = {
        e["data"]["object"]["id"]
        for e in webhook_receiver.events()
        if e["type"] == "payment_intent.succeeded"
    }
    assert len(succeeded) == 1, "the resubmission charged the card a second time"
    deliver(service, webhook_receiver, stripe_sandbox)
    assert service.ledger.payment(R, pid).status == PaymentStatus.SETTLED
    assert service.ledger.payment(R, pid).stripe_ref in succeeded
    assert service.ledger.balance(R) == 0


def test_lost_dispute_is_a_chargeback_on_the_ledger(
    service: PaymentService, webhook_receiver: WebhookReceiver, stripe_sandbox: SandboxHandle
) -> None:
    method = enroll(service)
    charge(service, 2100)
    payment = service.pay(R, amount=2100, method_id=method, actor=R).payment
    deliver(service, webhook_receiver, stripe_sandbox)
    intent = service.ledger.payment(R, payment.payment_id).stripe_ref
    dispute = stripe_sandbox.control("disputes", {"payment_intent": intent})
    assert "dispute opened" in deliver(service, webhook_receiver, stripe_sandbox)
    service.submit_dispute_evidence(
        R, dispute["id"], evidence={"uncategorized_text": "Resident paid rent"}, actor="fin"
    )
    stripe_sandbox.control(f"disputes/{dispute['id']}/close", {"outcome": "lost"})
    assert "chargeback applied" in deliver(service, webhook_receiver, stripe_sandbox)
    assert service.ledger.balance(R) == 2100
    assert service.ledger.ledger(R).disputes[dispute["id"]].status == "LOST"


def test_bad_tokens_and_forged_webhooks_are_refused(
    service: PaymentService, stripe_sandbox: SandboxHandle
) -> None:
    with pytest.raises(InvalidCommand):
        service.enroll_payment_method(
            R, method_type="card", provider_method_id="4242424242424242", actor=R
        )
    with pytest.raises(InvalidCommand):
        service.enroll_payment_method(
            R, method_type="bitcoin", provider_method_id="pm_card_visa", actor=R
        )
    with pytest.raises(ProviderRejected):
        service.enroll_payment_method(
            R, method_type="card", provider_method_id="pm_doesnotexist", actor=R
        )
    body: dict[str, Any] = {
        "id": "evt_forged",
        "type": "payment_intent.succeeded",
        "data": {"object": {}},
    }
    with pytest.raises(WebhookSignatureInvalid):
        service.verify_webhook(json.dumps(body).encode(), "t=1,v1=deadbeef")
    assert service.ledger.payment_methods(R).methods == {}


def test_an_idempotency_refusal_keeps_the_reservation(
    service: PaymentService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stripe's idempotency error means the key's first request made an intent (which may
    have charged): the payment stays PENDING and reserved, it is never released."""
    from sfr3_ledger.payment_provider import IDEMPOTENCY_ERROR, InvalidProviderRequest

    method = enroll(service)
    charge(service, 2100)

    def refused(**_: Any) -> Any:
        raise InvalidProviderRequest("Keys for idempotent requests can only be used with "
                                     "the same parameters", code=IDEMPOTENCY_ERROR)

    monkeypatch.setattr(service.provider, "create_payment_intent", refused)
    with pytest.raises(ProviderUnavailableError):
        service.pay(R, amount=2100, method_id=method, actor=R, payment_id="pay_idem")
    payment = service.ledger.ledger(R).get_payment("pay_idem")
    assert payment.status == PaymentStatus.PENDING
    assert service.ledger.ledger(R).payable == 0, "the reservation holds"


def test_a_first_attempt_sends_the_metadata_it_always_sent() -> None:
    """A payment reserved before retries existed and re-driven after the release sends
    its key with the same parameters as before (Stripe refuses a key reused otherwise)."""
    from sfr3_ledger.provider_events import attempt_metadata, named_attempt, named_payment

    first = attempt_metadata("res-1", "pay_1", 1)
    assert first == {"resident_id": "res-1", "payment_id": "pay_1"}
    assert (named_attempt(first), named_payment(first)) == (1, ("res-1", "pay_1"))
    second = attempt_metadata("res-1", "pay_1", 2)
    assert (named_attempt(second), named_payment(second)) == (2, ("res-1", "pay_1"))
