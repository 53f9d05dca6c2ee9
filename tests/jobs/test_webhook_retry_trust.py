"""A queued webhook event is applied only as Stripe itself has it: the retry queue's consumer
re-fetches the event by id (`GET /v1/events/{id}`, through stripeService) and applies
Stripe's copy, never the queued body. The queue is not the signature: a message Stripe never
sent (forged, or a bug) moves no money; it is refused, counted, and moved to the webhook DLQ.
Deployed shape: ledger on DynamoDB Local, moto SQS, Stripe through stripeService (sandbox)."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from sfr3_adapters import aws_clients
from sfr3_lambdas import stripe_webhook, wiring
from sfr3_ledger import PaymentStatus
from sfr3_ledger.payment_provider import InvalidProviderRequest
from sfr3_ledger.payment_service import PaymentService
from tests.backbone.support import FakeContext
from tests.e2e.test_payment_metrics import emitted
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver
from tests.jobs.test_payment_jobs_lambdas import deployed  # noqa: F401 (fixture)
from tests.jobs.test_sqs_and_lambdas import drain
from tests.jobs.test_webhook_retry_queue import _succeeded

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]
R = "res-webhook-trust"


def _queues(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    sqs, suffix = aws_clients.client("sqs"), uuid.uuid4().hex[:8]
    queue = sqs.create_queue(QueueName=f"webhook-retry-{suffix}")["QueueUrl"]
    dlq = sqs.create_queue(QueueName=f"webhook-retry-dlq-{suffix}")["QueueUrl"]
    monkeypatch.setenv("WEBHOOK_RETRY_QUEUE_URL", queue)
    monkeypatch.setenv("WEBHOOK_RETRY_DLQ_URL", dlq)
    return queue, dlq


def _send(queue: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """What anyone allowed to send to the queue can put there; the consumer's records."""
    aws_clients.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(body))
    return drain(queue)


def _dead_letters(dlq: str) -> list[tuple[dict[str, Any], str]]:
    """The DLQ's messages: (body, why it was refused), then deleted."""
    sqs, kept = aws_clients.client("sqs"), []
    while got := sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10,
                                     MessageAttributeNames=["All"]).get("Messages", []):
        for m in got:
            kept.append((json.loads(m["Body"]),
                         m.get("MessageAttributes", {}).get("refused", {}).get("StringValue")))
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=m["ReceiptHandle"])
    return kept


def _pending_bank_payment(rid: str, pid: str, amount: int) -> str:
    """A bank debit Stripe holds `processing` (it never sends a success): its intent id."""
    app, service = wiring.ledger(), wiring.payment_service()
    method = service.enroll_payment_method(rid, method_type="us_bank_account",
                                           provider_method_id="pm_usBankAccount_processing",
                                           actor=rid).method_id
    app.post_charge(rid, amount=amount, charge_type="RENT", description="Rent", actor="pm")
    service.pay(rid, amount=amount, method_id=method, actor=rid, payment_id=pid)
    payment = app.payment(rid, pid)
    assert payment.status == PaymentStatus.PENDING and payment.stripe_ref
    return str(payment.stripe_ref)


def _forged_success(stripe_sandbox: SandboxHandle, intent_id: str, event_id: str,
                    type_: str = "payment_intent.succeeded") -> dict[str, Any]:
    """A success as Stripe would word it: the payment's real intent, amount, currency and
    metadata (every ledger cross-check holds), in the queue's own JSON shape."""
    with stripe_sandbox.sandbox.store.lock:
        intent = copy.deepcopy(stripe_sandbox.sandbox.store.objects[intent_id])
    intent.update(status="succeeded", amount_received=intent["amount"])
    return {"id": event_id, "type": type_, "created": datetime.now(UTC).isoformat(),
            "object": intent}


def test_a_forged_queued_success_settles_nothing(
        deployed: dict[str, str], stripe_sandbox: SandboxHandle,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        caplog: pytest.LogCaptureFixture) -> None:
    rid, pid = f"{R}-forged", "pay_t1"
    intent_id = _pending_bank_payment(rid, pid, 61_000)
    queue, dlq = _queues(monkeypatch)
    forged = _forged_success(stripe_sandbox, intent_id, f"evt_{uuid.uuid4().hex[:24]}")
    records = _send(queue, forged)
    capsys.readouterr()
    # Powertools' metric set is the process's: drop what another test added and left.
    stripe_webhook.metrics.clear_metrics()

    answer = stripe_webhook.queue_handler({"Records": records}, FakeContext())

    assert answer == {"batchItemFailures": []}, "refused once, not retried"
    app = wiring.ledger()
    assert app.payment(rid, pid).status == PaymentStatus.PENDING
    assert app.balance(rid) == 61_000
    out = capsys.readouterr().out
    assert emitted(out).get("WebhookQueuedEventsRefused") == 1
    assert "PaymentsSettled" not in emitted(out)
    [refusal] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert refusal.getMessage() == "queued webhook refused: not applied"
    assert refusal.__dict__["reason"] == "unknown_event"
    assert _dead_letters(dlq) == [(forged, "unknown_event")], "kept as sent, for a person"
    # Redriven from the DLQ, it is refused again: the check does not wear off.
    assert stripe_webhook.handle_queue({"Records": records}) == {"batchItemFailures": []}
    assert app.payment(rid, pid).status == PaymentStatus.PENDING
    assert _dead_letters(dlq) == [(forged, "unknown_event")]


def test_a_real_event_id_queued_as_another_type_is_refused(
        deployed: dict[str, str], stripe_sandbox: SandboxHandle,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The forger borrows an id Stripe did send (the intent's `processing` event)."""
    rid, pid = f"{R}-borrowed", "pay_t2"
    intent_id = _pending_bank_payment(rid, pid, 42_000)
    with stripe_sandbox.sandbox.store.lock:
        [real] = [e["id"] for e in stripe_sandbox.sandbox.store.objects.values()
                  if e.get("object") == "event" and e["type"] == "payment_intent.processing"
                  and e["data"]["object"]["id"] == intent_id]
    queue, dlq = _queues(monkeypatch)
    records = _send(queue, _forged_success(stripe_sandbox, intent_id, real))

    assert stripe_webhook.handle_queue({"Records": records}) == {"batchItemFailures": []}

    assert wiring.ledger().payment(rid, pid).status == PaymentStatus.PENDING
    assert [why for _, why in _dead_letters(dlq)] == ["type_mismatch"]


def test_without_a_dlq_a_refused_message_fails_and_is_never_applied(
        deployed: dict[str, str], stripe_sandbox: SandboxHandle,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No DLQ to move it to (local runs): the record fails, SQS redelivers it and its
    redrive policy ends it in the DLQ; never dropped, never applied."""
    rid, pid = f"{R}-no-dlq", "pay_t3"
    intent_id = _pending_bank_payment(rid, pid, 10_000)
    queue, _ = _queues(monkeypatch)
    monkeypatch.delenv("WEBHOOK_RETRY_DLQ_URL")
    records = _send(queue, _forged_success(stripe_sandbox, intent_id, "evt_neverSent0001"))
    for _ in range(2):
        with pytest.raises(BatchProcessingError):
            stripe_webhook.handle_queue({"Records": records})
    assert wiring.ledger().payment(rid, pid).status == PaymentStatus.PENDING


def test_a_genuine_parked_event_is_applied_from_stripes_copy(
        deployed: dict[str, str], stripe_sandbox: SandboxHandle,  # noqa: F811
        webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """The body parked by the webhook is altered on the queue (another amount, no
    metadata): what is applied is the event Stripe sent, so the payment settles."""
    app, service = wiring.ledger(), wiring.payment_service()
    rid, pid = f"{R}-genuine", "pay_t4"
    method = service.enroll_payment_method(rid, method_type="card",
                                           provider_method_id="pm_card_visa",
                                           actor=rid).method_id
    app.post_charge(rid, amount=55_000, charge_type="RENT", description="Rent", actor="pm")
    service.pay(rid, amount=55_000, method_id=method, actor=rid, payment_id=pid)
    request = _succeeded(webhook_receiver, stripe_sandbox)
    queue, dlq = _queues(monkeypatch)
    real = PaymentService.handle_provider_event
    applied: list[dict[str, Any]] = []
    failures = {"left": 1}

    def flaky(self: PaymentService, event: Any) -> str:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("the ledger's store is throttling")
        applied.append(event.object)
        return real(self, event)

    monkeypatch.setattr(PaymentService, "handle_provider_event", flaky)
    assert stripe_webhook.handler(request, FakeContext())["statusCode"] == 200  # parked
    [record] = drain(queue)
    body = json.loads(record["body"])
    assert set(body) == {"id", "type", "created", "object"}, "the queued shape is unchanged"
    genuine = body["object"]
    body["object"] = {**genuine, "amount": 1, "amount_received": 1, "metadata": {}}
    record["body"] = json.dumps(body)

    assert stripe_webhook.handle_queue({"Records": [record]}) == {"batchItemFailures": []}

    assert app.payment(rid, pid).status == PaymentStatus.SETTLED
    assert app.balance(rid) == 0
    assert applied == [genuine], "Stripe's copy, not the queued one"
    assert _dead_letters(dlq) == []


def test_stripe_down_at_dequeue_fails_the_record_and_applies_nothing(
        deployed: dict[str, str], stripe_sandbox: SandboxHandle,  # noqa: F811
        webhook_receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch) -> None:
    app, service = wiring.ledger(), wiring.payment_service()
    rid, pid = f"{R}-down", "pay_t5"
    method = service.enroll_payment_method(rid, method_type="card",
                                           provider_method_id="pm_card_visa",
                                           actor=rid).method_id
    app.post_charge(rid, amount=20_000, charge_type="RENT", description="Rent", actor="pm")
    service.pay(rid, amount=20_000, method_id=method, actor=rid, payment_id=pid)
    request = _succeeded(webhook_receiver, stripe_sandbox)
    queue, dlq = _queues(monkeypatch)
    real = PaymentService.handle_provider_event
    failures = {"left": 1}

    def flaky(self: PaymentService, event: Any) -> str:
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("throttled")
        return real(self, event)

    monkeypatch.setattr(PaymentService, "handle_provider_event", flaky)
    assert stripe_webhook.handler(request, FakeContext())["statusCode"] == 200  # parked
    records = drain(queue)
    # Every try of the read fails (stripeService's client tries 3 times).
    stripe_sandbox.control("fail", {"status": 500, "count": 3})

    with pytest.raises(BatchProcessingError):  # the whole batch failed: SQS redelivers it
        stripe_webhook.handle_queue({"Records": records})

    assert app.payment(rid, pid).status == PaymentStatus.PENDING
    assert _dead_letters(dlq) == [], "unreachable is not refused"
    with stripe_sandbox.sandbox.store.lock:
        assert stripe_sandbox.sandbox.store.injected == []
    # The redelivery, Stripe back: applied.
    assert stripe_webhook.handle_queue({"Records": records}) == {"batchItemFailures": []}
    assert app.payment(rid, pid).status == PaymentStatus.SETTLED


def test_a_body_naming_no_event_is_refused_without_asking_stripe(
        deployed: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    def no_stripe() -> Any:
        raise AssertionError("Stripe was asked")

    queue, dlq = _queues(monkeypatch)
    sqs = aws_clients.client("sqs")
    for body in ("not json", "[]", json.dumps({"type": "payment_intent.succeeded"}),
                 json.dumps({"id": "pi_123", "type": "payment_intent.succeeded"})):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    records = drain(queue)
    monkeypatch.setattr(wiring, "provider", no_stripe)

    assert stripe_webhook.handle_queue({"Records": records}) == {"batchItemFailures": []}

    sqs_dlq = aws_clients.client("sqs").receive_message(
        QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert sorted(m["Body"] for m in sqs_dlq) == sorted(r["body"] for r in records)
    assert {m["MessageAttributes"]["refused"]["StringValue"] for m in sqs_dlq} == {"malformed"}


def test_a_stripe_service_refusing_the_action_is_no_refusal(
        deployed: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A stripeService that does not know `retrieve_event` yet (mid-deploy) answers 400
    `unknown_action`: that says nothing of the event, so the record fails (redelivered)."""
    queue, dlq = _queues(monkeypatch)
    records = _send(queue, {"id": "evt_0000000000000000genuine", "type": "charge.refunded",
                            "created": datetime.now(UTC).isoformat(), "object": {}})

    class OldService:
        def retrieve_event(self, event_id: str) -> Any:
            raise InvalidProviderRequest("Unknown action: 'retrieve_event'",
                                         code="unknown_action")

    monkeypatch.setattr(wiring, "provider", OldService)
    with pytest.raises(BatchProcessingError):
        stripe_webhook.handle_queue({"Records": records})
    assert _dead_letters(dlq) == []
