"""Exhausted retries (issue 13): three failures -> `payment.permanently_failed`, a message
on the retry DLQ (moto SQS), the property manager's alert (moto SNS and SES); and the
resident's mail after each failed attempt says whether and when it is retried."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
import requests

from sfr3_adapters.reactions import compose
from sfr3_adapters.retry_alerts import RetryAlerts, SNSAlerts, SQSDeadLetters
from sfr3_adapters.ses import SesMailer
from sfr3_ledger.payment_errors import PaymentDeclined
from tests.flows.retry_harness import Harness, retry_harness  # noqa: F401 (fixture)

R = "res-exhaust"
REGION = "us-east-1"


def _exhaust(h: Harness) -> None:
    method = h.resident(R, "pm_card_chargeDeclinedInsufficientFunds")
    h.charge(R, 80_000)
    with pytest.raises(PaymentDeclined):
        h.service.pay(R, amount=80_000, method_id=method, actor=R, payment_id="pay_x")
    for _ in range(2):
        at = h.app.payment(R, "pay_x").retry_at
        assert at is not None
        assert h.run("payment-retries", at + timedelta(seconds=1)) == ["declined"]


def test_the_resident_is_mailed_after_each_failed_attempt(retry_harness: Harness) -> None:  # noqa: F811
    _exhaust(retry_harness)
    mails = [compose(e) for e in retry_harness.envelopes(R) if e["eventType"] == "payment.failed"]
    assert len(mails) == 3
    subjects = [m[0] for m in mails if m]
    assert subjects == ["Payment failed: $800.00, we will try again"] * 2 + [
        "Payment failed: $800.00, no more attempts"]
    texts = [m[1] for m in mails if m]
    assert all("insufficient_funds" in t for t in texts)
    assert "We will try again automatically on" in texts[0]
    assert "(attempt 2)" in texts[1] and "last automatic attempt" in texts[2]


def test_exhaustion_goes_to_the_dlq_and_alerts_the_manager(retry_harness: Harness,  # noqa: F811
                                                           moto: str) -> None:
    _exhaust(retry_harness)
    [envelope] = [e for e in retry_harness.envelopes(R)
                  if e["eventType"] == "payment.permanently_failed"]
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="sfr3-test-retry-dlq")["QueueUrl"]
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="sfr3-test-retry-alerts")["TopicArn"]
    alert_q = sqs.create_queue(QueueName="alert-copy")["QueueUrl"]
    alert_arn = sqs.get_queue_attributes(QueueUrl=alert_q, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=alert_arn)
    ses = boto3.client("ses", region_name=REGION)
    ses.verify_email_identity(EmailAddress="payments@example.com")
    alerts = RetryAlerts(dead_letters=SQSDeadLetters(dlq, client=sqs),
                         topic=SNSAlerts(topic, client=sns),
                         mailer=SesMailer("payments@example.com", client=ses),
                         manager_email="manager@example.com")
    assert alerts.handle(envelope) is True
    assert alerts.handle({"eventType": "payment.failed", "data": {}}) is False

    [message] = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(message["Body"])
    assert body["eventId"] == envelope["eventId"]
    assert body["data"]["paymentId"] == "pay_x" and body["data"]["attempts"] == 3
    [alert] = sqs.receive_message(QueueUrl=alert_q, MaxNumberOfMessages=10)["Messages"]
    assert "failed on all 3 attempts" in json.loads(alert["Body"])["Message"]
    sent = requests.get(f"{moto}/moto-api/data.json", timeout=10).json()["ses"]["Message"]
    [mail] = [m for m in sent if m["destinations"]["ToAddresses"] == ["manager@example.com"]]
    assert mail["subject"].startswith("Payment permanently failed: $800.00")
