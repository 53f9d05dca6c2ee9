"""The deployed payment jobs (issue 13), on real protocols: the ledger and the payment-watch
table on DynamoDB Local (the events table's stream feeding the watch projection Lambda),
the payment jobs queue, retry DLQ and alert topic on moto (SQS, SNS, SES); the scheduler,
worker, projection and alert handlers as Lambda calls them; Stripe through the
stripeService client and handler over HTTP, the local sandbox behind them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from sfr3_adapters import aws_clients
from sfr3_adapters.dynamodb.payment_watch import DynamoDBPaymentWatch
from sfr3_adapters.payment_metrics import PaymentMetrics, method_type_lookup
from sfr3_lambdas import wiring
from sfr3_lambdas.jobs import retries
from sfr3_ledger import PaymentStatus
from sfr3_ledger.integration_events import ResidentResolver, envelopes_for
from sfr3_ledger.payment_errors import PaymentDeclined
from tests.backbone.support import FakeContext, StreamReader, log_records
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver
from tests.jobs.sqs_support import drain
from tests.metrics.emf import detailed

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]
SERVICE_API_KEY = "svc-key-for-payment-jobs-0123456789"
R = "res-lambda-retry"


@pytest.fixture
def deployed(moto: str, dynamodb_local: str, stripe_sandbox: SandboxHandle,
             stripe_service_url: str, webhook_receiver: WebhookReceiver,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    aws_clients.reset()
    sqs, sns = aws_clients.client("sqs"), aws_clients.client("sns")
    suffix = uuid.uuid4().hex[:10]
    topic = sns.create_topic(Name=f"alerts-{suffix}")["TopicArn"]
    copy = sqs.create_queue(QueueName=f"alert-copy-{suffix}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=copy, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    aws_clients.client("ses").verify_email_identity(EmailAddress="payments@example.com")
    env = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": f"pj-ledger-{suffix}",
        "CREATE_TABLE": "y",
        "PAYMENT_WATCH_TABLE": f"pj-watch-{suffix}",
        "PAYMENT_JOBS_QUEUE_URL": sqs.create_queue(QueueName=f"pj-{suffix}")["QueueUrl"],
        "RETRY_DLQ_URL": sqs.create_queue(QueueName=f"retry-dlq-{suffix}")["QueueUrl"],
        "RETRY_ALERTS_TOPIC_ARN": topic,
        "ALERT_COPY_URL": copy,
        "FROM_EMAIL": "payments@example.com",
        "PROPERTY_MANAGER_EMAIL": "manager@example.com",
        "STRIPE_SERVICE_URL": stripe_service_url,
        "STRIPE_SERVICE_API_KEY": SERVICE_API_KEY,
        "STRIPE_SECRET_KEY": "sk_test_payment_jobs",
        "STRIPE_WEBHOOK_SECRET": stripe_sandbox.register_webhook(webhook_receiver.url),
        "STRIPE_API_BASE": stripe_sandbox.url,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    DynamoDBPaymentWatch(env["PAYMENT_WATCH_TABLE"]).create_table()
    wiring.reset()
    retries.reset()
    yield env
    retries.reset()
    wiring.reset()


def _project(reader: StreamReader) -> None:
    # The payment watch's step of the stream's second reader (read_models.handler).
    response = retries.handle_projection({"Records": log_records(reader.read())}, FakeContext())
    assert response == {"batchItemFailures": []}


def _run(env: dict[str, str], job: str, at: datetime, reader: StreamReader) -> list[str]:
    _project(reader)
    out = retries.scheduler_handler({"job": job, "at": at.isoformat()}, FakeContext())
    records = drain(env["PAYMENT_JOBS_QUEUE_URL"])
    assert out["queued"][job] == len(records)
    if records:  # Lambda never invokes with an empty batch
        assert retries.worker_handler({"Records": records}, FakeContext()) == {
            "batchItemFailures": []}
    _project(reader)
    return [json.loads(r["body"])["paymentId"] for r in records]


def test_retries_to_exhaustion_and_recovery_through_the_lambdas(
        deployed: dict[str, str], capsys: pytest.CaptureFixture[str], moto: str) -> None:
    app, service = wiring.ledger(), wiring.payment_service()
    reader = StreamReader(deployed["DYNAMODB_TABLE"])
    method = service.enroll_payment_method(
        R, method_type="card", provider_method_id="pm_card_chargeDeclinedInsufficientFunds",
        actor=R).method_id
    app.post_charge(R, amount=90_000, charge_type="RENT", description="Rent", actor="pm")
    with pytest.raises(PaymentDeclined):
        service.pay(R, amount=90_000, method_id=method, actor=R, payment_id="pay_l1")
    for attempt in (2, 3):
        at = app.payment(R, "pay_l1").retry_at
        assert at is not None
        assert _run(deployed, "payment-retries", at - timedelta(seconds=1), reader) == []
        assert _run(deployed, "payment-retries", at + timedelta(seconds=1), reader) == ["pay_l1"]
        assert app.payment(R, "pay_l1").attempt == attempt
    final = app.payment(R, "pay_l1")
    assert (final.status, final.retry_status) == (PaymentStatus.FAILED, "EXHAUSTED")
    # Attempts are counted from the ledger's facts (the stream processor), not here.
    assert '"PaymentRetried"' not in capsys.readouterr().out

    # The stream processor's metrics sink counts the facts: two retries (attempts 2 and 3)
    # and one permanent failure, by reason.
    events = list(app.events.get(app.ledger(R).id))
    envelopes = envelopes_for(events, ResidentResolver.for_application(app))
    PaymentMetrics(method_type_lookup(app), namespace="SFR3Payments").write(envelopes)
    totals = detailed(capsys.readouterr().out)
    assert totals[("PaymentRetried", (("Attempt", "2"),))] == 1, totals
    assert totals[("PaymentRetried", (("Attempt", "3"),))] == 1
    assert totals[("PaymentPermanentlyFailed", (("FailureReason", "insufficient_funds"),))] == 1
    # The rule delivers payment.permanently_failed to the alert function.
    [envelope] = [e for e in envelopes if e["eventType"] == "payment.permanently_failed"]
    rule_event = {"detail-type": envelope["eventType"], "detail": envelope}
    assert retries.alerts_handler(rule_event, FakeContext())["handled"] is True
    assert '"PaymentAlertsSent"' in capsys.readouterr().out
    sqs = aws_clients.client("sqs")
    [dead] = sqs.receive_message(QueueUrl=deployed["RETRY_DLQ_URL"],
                                 MaxNumberOfMessages=10)["Messages"]
    assert json.loads(dead["Body"])["data"]["paymentId"] == "pay_l1"
    assert sqs.receive_message(QueueUrl=deployed["ALERT_COPY_URL"])["Messages"]
    sent = requests.get(f"{moto}/moto-api/data.json", timeout=10).json()["ses"]["Message"]
    assert [m["destinations"]["ToAddresses"] for m in sent] == [["manager@example.com"]]

    # A payment reserved and never submitted (a crash): recovered once by the job.
    good = service.enroll_payment_method(R, method_type="card",
                                         provider_method_id="pm_card_visa", actor=R).method_id
    app.initiate_payment(R, amount=90_000, method_id=good, actor=R, payment_id="pay_l2")
    now = datetime.now(UTC)
    assert _run(deployed, "payment-recovery", now, reader) == []
    assert _run(deployed, "payment-recovery", now + timedelta(minutes=16), reader) == ["pay_l2"]
    assert app.payment(R, "pay_l2").status == PaymentStatus.SETTLED
    assert '"PaymentRecovered"' in capsys.readouterr().out
    assert _run(deployed, "payment-recovery", now + timedelta(hours=1), reader) == []


@pytest.mark.parametrize("bad", [{"job": "nope"}, {"job": "all", "at": "yesterday"},
                                 {"job": "all", "at": "2027-01-01T00:00:00"}, []])
def test_the_scheduler_refuses_bad_input(deployed: dict[str, str], bad: Any) -> None:
    with pytest.raises(retries.BadPaymentJobInput):
        retries.schedule(bad)
