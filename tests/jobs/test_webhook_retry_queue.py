"""The webhook never loses a message (issue 13): a verified event whose processing fails is
parked on the webhook retry queue (moto SQS) and answered 200; the queue's consumer applies
it once (same idempotency key as the webhook); without a queue the answer is 503 (Stripe
redelivers). Deployed shape: ledger on DynamoDB Local, Stripe through stripeService."""

from __future__ import annotations

import time
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from sfr3_adapters import aws_clients
from sfr3_lambdas import stripe_webhook, wiring
from sfr3_ledger import PaymentStatus
from sfr3_ledger.payment_service import PaymentService
from tests.backbone.support import FakeContext
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver, apigw_event
from tests.jobs.test_payment_jobs_lambdas import deployed  # noqa: F401 (fixture)
from tests.jobs.test_sqs_and_lambdas import drain

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]
R = "res-webhook-queue"


def _succeeded(receiver: WebhookReceiver, sandbox: SandboxHandle) -> dict[str, Any]:
    sandbox.drain()
    for r in receiver.received:
        if b'"payment_intent.succeeded"' in r.body:
            headers = {k.lower(): v for k, v in r.headers.items()}
            return apigw_event("POST", stripe_webhook.PATH,
                               {"Stripe-Signature": headers["stripe-signature"],
                                "Content-Type": "application/json"}, r.body)
    raise AssertionError("no payment_intent.succeeded delivered")


def test_a_failed_webhook_is_queued_then_applied_once(
        deployed: dict[str, str], stripe_sandbox: SandboxHandle,  # noqa: F811
        webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    app, service = wiring.ledger(), wiring.payment_service()
    method = service.enroll_payment_method(R, method_type="card",
                                           provider_method_id="pm_card_visa", actor=R).method_id
    app.post_charge(R, amount=75_000, charge_type="RENT", description="Rent", actor="pm")
    service.pay(R, amount=75_000, method_id=method, actor=R, payment_id="pay_q1")
    request = _succeeded(webhook_receiver, stripe_sandbox)

    real = PaymentService.handle_provider_event
    failures = {"left": 1}

    def flaky(self: PaymentService, event: Any) -> str:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("the ledger's store is throttling")
        return real(self, event)

    monkeypatch.setattr(PaymentService, "handle_provider_event", flaky)
    # Without a retry queue: 503, Stripe redelivers.
    answer = stripe_webhook.handler(request, FakeContext())
    assert answer["statusCode"] == 503
    assert app.payment(R, "pay_q1").status == PaymentStatus.PENDING

    queue = aws_clients.client("sqs").create_queue(QueueName="webhook-retry")["QueueUrl"]
    monkeypatch.setenv("WEBHOOK_RETRY_QUEUE_URL", queue)
    failures["left"] = 1
    answer = stripe_webhook.handler(request, FakeContext())
    assert answer["statusCode"] == 200 and '"queued": true' in answer["body"]
    assert app.payment(R, "pay_q1").status == PaymentStatus.PENDING
    records = drain(queue)
    assert len(records) == 1
    # The consumer fails once more (a batch that failed whole is raised, so Lambda
    # returns it to the queue), then applies it.
    failures["left"] = 1
    with pytest.raises(BatchProcessingError):
        stripe_webhook.handle_queue({"Records": records})
    assert stripe_webhook.handle_queue({"Records": records}) == {"batchItemFailures": []}
    assert app.payment(R, "pay_q1").status == PaymentStatus.SETTLED
    # Stripe's own redelivery (or the queue's) now changes nothing.
    again = stripe_webhook.handler(request, FakeContext())
    assert again["statusCode"] == 200 and '"settled"' in again["body"]
    assert stripe_webhook.handle_queue({"Records": records}) == {"batchItemFailures": []}
    assert app.balance(R) == 0 and drain(queue) == []


class _Killed(BaseException):
    """A Lambda timeout: the run stops mid-event, no exception handler runs."""


class _ShortContext(FakeContext):
    def get_remaining_time_in_millis(self) -> int:
        return 300


def test_a_queued_event_whose_run_timed_out_is_applied_on_redelivery(
        deployed: dict[str, str], stripe_sandbox: SandboxHandle,  # noqa: F811
        webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """The in-progress idempotency record of a killed run lasts only as long as that
    invocation could have (the Lambda context); the redelivery then applies the event."""
    app, service = wiring.ledger(), wiring.payment_service()
    rid = f"{R}-timeout"
    method = service.enroll_payment_method(rid, method_type="card",
                                           provider_method_id="pm_card_visa",
                                           actor=rid).method_id
    app.post_charge(rid, amount=40_000, charge_type="RENT", description="Rent", actor="pm")
    service.pay(rid, amount=40_000, method_id=method, actor=rid, payment_id="pay_q2")
    request = _succeeded(webhook_receiver, stripe_sandbox)
    queue = aws_clients.client("sqs").create_queue(QueueName="webhook-retry-2")["QueueUrl"]
    monkeypatch.setenv("WEBHOOK_RETRY_QUEUE_URL", queue)

    real = PaymentService.handle_provider_event
    mode = {"now": "fail"}

    def step(self: PaymentService, event: Any) -> str:
        if mode["now"] == "fail":
            raise ConnectionError("throttled")  # the webhook queues it
        if mode["now"] == "kill":
            raise _Killed()
        return real(self, event)

    monkeypatch.setattr(PaymentService, "handle_provider_event", step)
    assert stripe_webhook.handler(request, FakeContext())["statusCode"] == 200
    records = drain(queue)
    mode["now"] = "kill"
    with pytest.raises(_Killed):
        stripe_webhook.handle_queue({"Records": records}, _ShortContext())
    time.sleep(0.5)  # the killed invocation's deadline has passed
    mode["now"] = "apply"
    assert stripe_webhook.handle_queue({"Records": records}, FakeContext()) == {
        "batchItemFailures": []}
    assert app.payment(rid, "pay_q2").status == PaymentStatus.SETTLED


def test_an_event_is_applied_once_whichever_lambda_applies_it(
        deployed: dict[str, str], stripe_sandbox: SandboxHandle,  # noqa: F811
        webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """The webhook Lambda and the retry queue's consumer share the event's idempotency
    key: Stripe redelivering an event the queue already applied runs nothing again."""
    app, service = wiring.ledger(), wiring.payment_service()
    rid = f"{R}-shared-key"
    method = service.enroll_payment_method(rid, method_type="card",
                                           provider_method_id="pm_card_visa",
                                           actor=rid).method_id
    app.post_charge(rid, amount=30_000, charge_type="RENT", description="Rent", actor="pm")
    service.pay(rid, amount=30_000, method_id=method, actor=rid, payment_id="pay_q3")
    request = _succeeded(webhook_receiver, stripe_sandbox)
    queue = aws_clients.client("sqs").create_queue(QueueName="webhook-retry-3")["QueueUrl"]
    monkeypatch.setenv("WEBHOOK_RETRY_QUEUE_URL", queue)
    real = PaymentService.handle_provider_event
    applied: list[str] = []
    failures = {"left": 1}

    def counted(self: PaymentService, event: Any) -> str:
        applied.append(event.id)
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("throttled")
        return real(self, event)

    monkeypatch.setattr(PaymentService, "handle_provider_event", counted)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "sfr3-dev-stripeWebhook")
    assert stripe_webhook.handler(request, FakeContext())["statusCode"] == 200  # queued
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "sfr3-dev-stripeWebhookRetry")
    assert stripe_webhook.handle_queue({"Records": drain(queue)}, FakeContext()) == {
        "batchItemFailures": []}
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "sfr3-dev-stripeWebhook")
    assert stripe_webhook.handler(request, FakeContext())["statusCode"] == 200  # redelivery
    assert len(applied) == 2, "the failed try and the queue's; Stripe's redelivery: none"
    assert app.payment(rid, "pay_q3").status == PaymentStatus.SETTLED
