"""A signed webhook moves money only when it agrees with the ledger, or Stripe confirms it.

Issue 10 item 4: `payment_intent.succeeded` settled whatever payment the event's metadata
named, for any PaymentIntent and any amount, and a `payment_failed` for an unknown intent
failed a PENDING payment whose real debit was still in flight. Every event here is signed
with the endpoint's real secret and verified by the adapter, exactly as Stripe's would be:
the signature is genuine, the facts are not.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs
import pytest
import stripe

from sfr3_adapters.stripe_adapter import StripeAdapter
from sfr3_dev.stripe_sandbox import sign
from sfr3_ledger import LedgerApplication, PaymentStatus
from sfr3_ledger.errors import AmountExceedsBalance
from sfr3_ledger.payment_service import PaymentService, ProviderUnavailableError
from tests.flows.test_payment_service import charge, deliver, enroll
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver

R = "res-flow"
WEBHOOK_MISMATCH = "rejected: mismatch"  # PaymentService's outcome for a parked event
API_KEY = "sk_test_flows"


class Signer:
    """Signs events with the endpoint's secret, then verifies them through the adapter."""

    def __init__(self, service: PaymentService, secret: str) -> None:
        self.service, self.secret, self.n = service, secret, 0

    def __call__(self, event: dict[str, Any]) -> str:
        self.n += 1
        event = {**event, "id": f"evt_trust_{self.n}"}
        payload = json.dumps(event).encode()
        verified = self.service.verify_webhook(payload, sign(payload, self.secret))
        return self.service.handle_provider_event(verified)


@pytest.fixture
def secret(stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver) -> str:
    return stripe_sandbox.register_webhook(webhook_receiver.url)


@pytest.fixture
def service(
    stripe_sandbox: SandboxHandle, secret: str, ledger_env: dict[str, str]
) -> PaymentService:
    adapter = StripeAdapter(
        API_KEY, secret, api_base=stripe_sandbox.url, timeout=10, max_network_retries=0
    )
    return PaymentService(LedgerApplication(env=ledger_env), adapter)


@pytest.fixture
def send(service: PaymentService, secret: str) -> Signer:
    return Signer(service, secret)


def held_event(receiver: WebhookReceiver, sandbox: SandboxHandle, type_: str) -> dict[str, Any]:
    """The latest event of `type_` Stripe sent (not yet applied), as a template."""
    sandbox.drain()
    return copy.deepcopy([e for e in receiver.events() if e["type"] == type_][-1])


def forged_intent_event(
    template: dict[str, Any], *, type_: str, intent_id: str, amount: int, currency: str = "usd"
) -> dict[str, Any]:
    event = copy.deepcopy(template)
    event["type"] = type_
    obj = event["data"]["object"]
    obj.update(id=intent_id, amount=amount, currency=currency)
    if type_ == "payment_intent.succeeded":
        obj.update(status="succeeded", amount_received=amount)
    else:
        obj.update(
            status="requires_payment_method",
            amount_received=0,
            last_payment_error={"code": "card_declined", "decline_code": "generic_decline"},
        )
    return event


def second_intent(
    service: PaymentService, sandbox: SandboxHandle, method_id: str, payment_id: str, amount: int
) -> str:
    """A real, succeeded intent at Stripe whose metadata names `payment_id`: not its own."""
    methods = service.ledger.payment_methods(R)
    client = stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.url})
    pi = client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "customer": str(methods.customer_id),
            "payment_method": methods.methods[method_id].provider_id,
            "payment_method_types": ["card"],
            "confirm": True,
            "off_session": True,
            "metadata": {"resident_id": R, "payment_id": payment_id},
        },
        options={"idempotency_key": f"other-{payment_id}"},
    )
    assert pi.status == "succeeded"
    return str(pi.id)


def money_moving(outcomes: list[str]) -> list[str]:
    """Outcomes of the events the service acts on (not those it does not subscribe to)."""
    return [o for o in outcomes if not o.startswith("ignored: charge.")]


def settled_count(service: PaymentService) -> int:
    events = service.ledger.events.get(service.ledger.ledger(R).id)
    return sum(type(e).__name__ == "PaymentSettled" for e in events)


def test_signed_success_for_an_unknown_intent_settles_nothing(
    service: PaymentService,
    send: Signer,
    webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> None:
    method = enroll(service)
    charge(service, 3000)
    pid = service.pay(R, amount=3000, method_id=method, actor=R).payment.payment_id
    recorded = service.ledger.payment(R, pid).stripe_ref
    template = held_event(webhook_receiver, stripe_sandbox, "payment_intent.succeeded")
    forged = forged_intent_event(
        template, type_="payment_intent.succeeded", intent_id="pi_unknown", amount=1
    )
    assert send(forged) == WEBHOOK_MISMATCH
    payment = service.ledger.payment(R, pid)
    assert (payment.status, payment.stripe_ref) == (PaymentStatus.PENDING, recorded)
    assert service.ledger.balance(R) == 3000
    assert settled_count(service) == 0
    # The genuine event still settles the payment.
    assert "settled" in deliver(service, webhook_receiver, stripe_sandbox)
    assert service.ledger.balance(R) == 0


def test_signed_failure_for_an_unknown_intent_keeps_the_reservation(
    service: PaymentService,
    send: Signer,
    webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> None:
    method = enroll(service, "pm_usBankAccount_success", "us_bank_account")
    charge(service, 2100)
    pid = service.pay(R, amount=2100, method_id=method, actor=R).payment.payment_id
    template = held_event(webhook_receiver, stripe_sandbox, "payment_intent.processing")
    deliver(service, webhook_receiver, stripe_sandbox)
    forged = forged_intent_event(
        template, type_="payment_intent.payment_failed", intent_id="pi_unknown", amount=2100
    )
    assert send(forged) == WEBHOOK_MISMATCH
    assert service.ledger.payment(R, pid).status == PaymentStatus.PENDING
    assert service.ledger.ledger(R).payable == 0, "the reservation was released"
    with pytest.raises(AmountExceedsBalance):
        service.pay(R, amount=50, method_id=method, actor=R)
    # The real debit lands and settles the payment it was for.
    stripe_sandbox.advance(5 * 86_400)
    deliver(service, webhook_receiver, stripe_sandbox)
    assert service.ledger.payment(R, pid).status == PaymentStatus.SETTLED
    assert service.ledger.balance(R) == 0


def test_failure_for_an_unknown_intent_before_the_submission_record_fails_nothing(
    service: PaymentService,
    send: Signer,
    webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> None:
    """No intent recorded yet: Stripe is asked, and Stripe has never heard of this one."""
    method = enroll(service)
    charge(service, 2100)
    stripe_sandbox.control(
        "fail", {"mode": "drop_response", "count": 1, "path": "/v1/payment_intents"}
    )
    with pytest.raises(ProviderUnavailableError) as info:
        service.pay(R, amount=2100, method_id=method, actor=R)
    pid = str(info.value.details()["paymentId"])
    template = held_event(webhook_receiver, stripe_sandbox, "payment_intent.succeeded")
    forged = forged_intent_event(
        template, type_="payment_intent.payment_failed", intent_id="pi_unknown", amount=2100
    )
    assert send(forged) == WEBHOOK_MISMATCH
    payment = service.ledger.payment(R, pid)
    assert (payment.status, payment.stripe_ref) == (PaymentStatus.PENDING, None)
    assert service.ledger.ledger(R).payable == 0


def test_webhooks_that_beat_the_submission_record_still_apply_after_asking_stripe(
    service: PaymentService, webhook_receiver: WebhookReceiver, stripe_sandbox: SandboxHandle
) -> None:
    method = enroll(service)
    declined = enroll(service, "pm_card_chargeDeclinedInsufficientFunds")
    charge(service, 3000)
    # Both intents are made at Stripe, but their answers are lost: no stripe_ref recorded.
    stripe_sandbox.control(
        "fail", {"mode": "drop_response", "count": 2, "path": "/v1/payment_intents"}
    )
    with pytest.raises(ProviderUnavailableError) as ok:
        service.pay(R, amount=1000, method_id=method, actor=R)
    with pytest.raises(ProviderUnavailableError) as bad:
        service.pay(R, amount=2000, method_id=declined, actor=R)
    good_pid = str(ok.value.details()["paymentId"])
    bad_pid = str(bad.value.details()["paymentId"])
    assert service.ledger.payment(R, good_pid).stripe_ref is None
    outcomes = deliver(service, webhook_receiver, stripe_sandbox)
    assert "settled" in outcomes and "failed" in outcomes
    assert WEBHOOK_MISMATCH not in outcomes
    good, bad_payment = service.ledger.payment(R, good_pid), service.ledger.payment(R, bad_pid)
    assert good.status == PaymentStatus.SETTLED and str(good.stripe_ref).startswith("pi_")
    assert bad_payment.status == PaymentStatus.FAILED
    assert bad_payment.failure_reason == "insufficient_funds"
    assert str(bad_payment.stripe_ref).startswith("pi_")
    assert service.ledger.balance(R) == 2000


def test_wrong_amount_or_currency_on_the_real_intent_is_refused(
    service: PaymentService,
    send: Signer,
    webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> None:
    method = enroll(service)
    charge(service, 3000)
    pid = service.pay(R, amount=3000, method_id=method, actor=R).payment.payment_id
    recorded = str(service.ledger.payment(R, pid).stripe_ref)
    template = held_event(webhook_receiver, stripe_sandbox, "payment_intent.succeeded")
    kinds = ("payment_intent.succeeded", "payment_intent.payment_failed")
    for type_ in kinds:
        for amount, currency in ((1, "usd"), (3000, "eur")):
            forged = forged_intent_event(
                template, type_=type_, intent_id=recorded, amount=amount, currency=currency
            )
            assert send(forged) == WEBHOOK_MISMATCH
    payment = service.ledger.payment(R, pid)
    assert (payment.status, service.ledger.balance(R)) == (PaymentStatus.PENDING, 3000)
    # Received less than the payment, though the intent was for the right amount.
    short = forged_intent_event(
        template, type_="payment_intent.succeeded", intent_id=recorded, amount=3000
    )
    short["data"]["object"]["amount_received"] = 1
    assert send(short) == WEBHOOK_MISMATCH
    assert service.ledger.payment(R, pid).status == PaymentStatus.PENDING
    assert "settled" in deliver(service, webhook_receiver, stripe_sandbox)


def test_refunds_and_disputes_on_another_intent_are_refused(
    service: PaymentService,
    send: Signer,
    webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> None:
    method = enroll(service)
    charge(service, 2100)
    pid = service.pay(R, amount=2100, method_id=method, actor=R).payment.payment_id
    assert "settled" in deliver(service, webhook_receiver, stripe_sandbox)
    recorded = str(service.ledger.payment(R, pid).stripe_ref)

    # A second, real intent whose metadata claims the same payment.
    other = second_intent(service, stripe_sandbox, method, pid, 2100)
    assert deliver(service, webhook_receiver, stripe_sandbox).count(WEBHOOK_MISMATCH) == 1
    service.provider.refund(
        payment_intent_id=other, amount=500, idempotency_key="re-other", metadata={}
    )
    assert (
        money_moving(deliver(service, webhook_receiver, stripe_sandbox)) == [WEBHOOK_MISMATCH] * 2
    )  # refund.created and charge.refunded
    stripe_sandbox.control("disputes", {"payment_intent": other})
    assert money_moving(deliver(service, webhook_receiver, stripe_sandbox)) == [WEBHOOK_MISMATCH]
    ledger = service.ledger.ledger(R)
    payment = ledger.get_payment(pid)
    assert (payment.status, payment.refunded, payment.stripe_ref) == (
        PaymentStatus.SETTLED,
        0,
        recorded,
    )
    assert ledger.disputes == {} and service.ledger.balance(R) == 0
    assert settled_count(service) == 1

    # Forged objects on the payment's own intent but beyond what it is, or on other charges.
    intent = service.provider.retrieve_payment_intent(recorded)
    other_charge = service.provider.retrieve_payment_intent(other).latest_charge
    dispute = {
        "id": "dp_forged",
        "object": "dispute",
        "amount": 999_999,
        "currency": "usd",
        "charge": intent.latest_charge,
        "payment_intent": recorded,
        "reason": "fraudulent",
        "status": "needs_response",
    }
    assert send(_event("charge.dispute.created", dispute)) == WEBHOOK_MISMATCH
    closed = {**dispute, "amount": 2100, "charge": other_charge, "status": "lost"}
    assert send(_event("charge.dispute.closed", closed)) == WEBHOOK_MISMATCH
    refund = {
        "id": "re_forged",
        "object": "refund",
        "amount": 2100,
        "currency": "usd",
        "charge": other_charge,
        "payment_intent": recorded,
        "status": "succeeded",
    }
    assert send(_event("refund.created", refund)) == WEBHOOK_MISMATCH
    ledger = service.ledger.ledger(R)
    assert ledger.disputes == {} and ledger.get_payment(pid).refunded == 0
    assert service.ledger.balance(R) == 0

    # The payment's own dispute is still honoured.
    stripe_sandbox.control("disputes", {"payment_intent": recorded})
    assert "dispute opened" in deliver(service, webhook_receiver, stripe_sandbox)


def _event(type_: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "evt_x",
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1_700_000_000,
        "type": type_,
        "data": {"object": obj},
        "livemode": False,
    }


def test_asking_stripe_applies_its_answer_through_the_webhook_checks(
    service: PaymentService, webhook_receiver: WebhookReceiver, stripe_sandbox: SandboxHandle
) -> None:
    """`sync_payment` (reconciliation's healing, lost webhooks) settles only what the
    webhook path would: an intent whose amount is not the payment's settles nothing."""
    method = enroll(service)
    charge(service, 3000)
    stripe_sandbox.control("webhooks", {"hold": True})
    pid = service.pay(R, amount=3000, method_id=method, actor=R).payment.payment_id
    real = service.provider.retrieve_payment_intent

    def short(intent_id: str) -> Any:
        return attrs.evolve(real(intent_id), amount=1)

    service.provider.retrieve_payment_intent = short  # type: ignore[method-assign]
    assert service.sync_payment(R, pid).status == PaymentStatus.PENDING
    service.provider.retrieve_payment_intent = real  # type: ignore[method-assign]
    assert service.sync_payment(R, pid).status == PaymentStatus.SETTLED
    assert service.ledger.balance(R) == 0
    stripe_sandbox.control("webhooks", {"hold": False})
