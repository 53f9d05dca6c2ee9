"""paymentAlerts with `BACKBONE_DEDUP_TABLE` (Powertools idempotency on DynamoDB Local, the
retry DLQ on moto): an EventBridge redelivery alerts no one again, and the invocation's
Lambda context is registered, so an in-progress key carries its expiry (an invocation that
times out does not hold the redelivery's alert back for the 7 days a key is kept)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import boto3
import pytest

from sfr3_adapters import aws_clients
from sfr3_lambdas import wiring
from sfr3_lambdas.jobs import retries
from tests.backbone.support import REGION, FakeContext, create_dedup_table

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]


@pytest.fixture
def dedup(moto: str, dynamodb_local: str,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:10]
    aws_clients.reset()
    dlq = aws_clients.client("sqs").create_queue(QueueName=f"retry-dlq-{suffix}")["QueueUrl"]
    env = {"BACKBONE_DEDUP_TABLE": f"alerts-dedup-{suffix}", "RETRY_DLQ_URL": dlq}
    create_dedup_table(env["BACKBONE_DEDUP_TABLE"])
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("RETRY_ALERTS_TOPIC_ARN", "PROPERTY_MANAGER_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    retries.reset()
    yield env
    retries.reset()
    wiring.reset()


def test_a_redelivered_alert_alerts_once_with_the_context_registered(
        dedup: dict[str, str]) -> None:
    envelope = {"eventId": f"evt-{uuid.uuid4().hex}", "eventType": "payment.permanently_failed",
                "source": "sfr3.ledger", "timestamp": "2027-01-01T00:00:00Z", "version": 1,
                "data": {"residentId": "res-a", "paymentId": "pay_a", "amount": 1000,
                         "currency": "USD", "failureReason": "insufficient_funds"}}
    event = {"detail-type": "payment.permanently_failed", "detail": envelope}
    assert retries.alerts_handler(event, FakeContext())["handled"] is True
    assert retries.alerts_handler(event, FakeContext())["handled"] is True  # the first answer
    got = aws_clients.client("sqs").receive_message(
        QueueUrl=dedup["RETRY_DLQ_URL"], MaxNumberOfMessages=10).get("Messages", [])
    assert len(got) == 1, "the redelivery parked nothing more"
    [item] = boto3.client("dynamodb", region_name=REGION).scan(
        TableName=dedup["BACKBONE_DEDUP_TABLE"])["Items"]
    assert item["status"]["S"] == "COMPLETED"
    assert "in_progress_expiration" in item, item
    # The key is named after the reaction as before this function kept its config.
    assert ".retries.alerts.<locals>.build.<locals>.react#" in item["id"]["S"]
