"""Finance's deployed Lambdas on real protocols (issue 14): the ledger and the finance
table on DynamoDB Local (its events stream feeding financeProjection), reports in S3 and
mail in SES (moto), Stripe through the stripeService client and handler over HTTP, the
sandbox behind them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import requests

from sfr3_adapters import aws_clients
from sfr3_adapters.dynamodb.finance_tables import DynamoDBSettledFacts
from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex
from sfr3_lambdas import wiring
from sfr3_lambdas.jobs import finance, finance_projection, projection, read_models
from sfr3_ledger import PaymentStatus
from tests.backbone.support import FakeContext, StreamReader, log_records
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]
SERVICE_API_KEY = "svc-key-for-finance-0123456789"


@pytest.fixture
def deployed(dynamodb_local: str, moto: str, stripe_sandbox: SandboxHandle,
             stripe_service_url: str, webhook_receiver: WebhookReceiver,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:10]
    env = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb", "CREATE_TABLE": "y",
        "DYNAMODB_TABLE": f"fin-ledger-{suffix}", "FINANCE_TABLE": f"fin-finance-{suffix}",
        "REPORTS_BUCKET": f"reports-{suffix}", "EVIDENCE_BUCKET": f"evidence-{suffix}",
        "FROM_EMAIL": "payments@example.com", "FINANCE_EMAIL": "finance@example.com",
        "STRIPE_SERVICE_URL": stripe_service_url, "STRIPE_SERVICE_API_KEY": SERVICE_API_KEY,
        "STRIPE_SECRET_KEY": "sk_test_finance",
        "STRIPE_WEBHOOK_SECRET": stripe_sandbox.register_webhook(webhook_receiver.url),
        "STRIPE_API_BASE": stripe_sandbox.url, "STRIPE_MAX_NETWORK_RETRIES": "0",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SFR3_HOME", raising=False)
    aws_clients.reset()
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=env["REPORTS_BUCKET"])
    s3.create_bucket(Bucket=env["EVIDENCE_BUCKET"])
    boto3.client("ses", region_name="us-east-1").verify_email_identity(
        EmailAddress="payments@example.com")
    DynamoDBSettledFacts(env["FINANCE_TABLE"]).create_table()
    monkeypatch.setenv("SCHEDULE_TABLE", f"fin-schedule-{suffix}")
    DynamoDBScheduleIndex(f"fin-schedule-{suffix}").create_table()
    wiring.reset()
    finance_projection.reset()
    projection.reset()
    yield env
    finance_projection.reset()
    projection.reset()
    wiring.reset()


def deliver(receiver: WebhookReceiver, sandbox: SandboxHandle) -> None:
    sandbox.drain()
    with receiver.lock:
        received, receiver.received[:] = list(receiver.received), []
    service = wiring.payment_service()
    for r in received:
        header = {k.lower(): v for k, v in r.headers.items()}["stripe-signature"]
        service.handle_provider_event(service.verify_webhook(r.body, header))


def mails(moto: str, to: str) -> list[dict[str, Any]]:
    sent = requests.get(f"{moto}/moto-api/data.json", timeout=10).json()["ses"]["Message"]
    return [m for m in sent if to in m["destinations"]["ToAddresses"]]


def test_projection_reconciliation_and_reminders_as_deployed(
        deployed: dict[str, str], moto: str, stripe_sandbox: SandboxHandle,
        webhook_receiver: WebhookReceiver) -> None:
    service = wiring.payment_service()
    refs = {}
    for rid, token in (("res-fin-1", "pm_card_visa"), ("res-fin-2", "pm_card_createDispute")):
        method = service.enroll_payment_method(rid, method_type="card",
                                               provider_method_id=token, actor=rid).method_id
        service.ledger.post_charge(rid, amount=3100, charge_type="RENT", description="Rent",
                                   actor="pm")
        pid = service.pay(rid, amount=3100, method_id=method, actor=rid).payment.payment_id
        refs[rid] = pid
    deliver(webhook_receiver, stripe_sandbox)
    assert service.ledger.payment("res-fin-2", refs["res-fin-2"]).status == PaymentStatus.SETTLED
    reader = StreamReader(deployed["DYNAMODB_TABLE"])
    records = log_records(reader.read())
    assert read_models.handler({"Records": records}, FakeContext()) == {
        "batchItemFailures": []}
    # A redelivered batch projects the same rows and mails no one again.
    assert read_models.handle({"Records": records})["batchItemFailures"] == []
    alerts = mails(moto, "finance@example.com")
    assert len(alerts) == 1 and alerts[0]["subject"].startswith("Chargeback received")

    day = datetime.now(UTC).date()
    first = finance.handler({"job": "reconciliation", "day": day.isoformat()}, FakeContext())
    assert first["counts"]["matched"] == 3 and first["mismatches"] == 0, first
    s3 = boto3.client("s3", region_name="us-east-1")
    key = first["report"]
    summary = s3.get_object(Bucket=deployed["REPORTS_BUCKET"], Key=key)["Body"].read()
    assert json.loads(summary)["counts"]["matched"] == 3
    read_models.handle({"Records": log_records(reader.read())})
    again = finance.handle({"job": "reconciliation", "day": day.isoformat()})
    assert again["counts"] == first["counts"]
    assert s3.get_object(Bucket=deployed["REPORTS_BUCKET"], Key=key)["Body"].read() == summary

    dispute = next(iter(service.ledger.ledger("res-fin-2").disputes))
    due = wiring.provider().retrieve_dispute(dispute).evidence_due_by
    assert due is not None
    assert finance.handle({"job": "dispute-reminders"}, now=due - timedelta(days=2)) == {
        "sent": [dispute]}
    assert finance.handle({"job": "dispute-reminders"}, now=due - timedelta(days=2)) == {
        "sent": []}
    assert len(mails(moto, "finance@example.com")) == 2
    with pytest.raises(ValueError):
        finance.handle({"job": "nope"})


def test_a_poison_record_stops_both_read_models_there(deployed: dict[str, str]) -> None:
    from tests.backbone.support import poisoned

    service = wiring.payment_service()
    service.ledger.post_charge("res-poison", amount=100, charge_type="RENT",
                               description="Rent", actor="pm")
    records = log_records(StreamReader(deployed["DYNAMODB_TABLE"]).read())
    bad = poisoned(records[0])
    answer = read_models.handle({"Records": [records[0], bad, *records[1:]]})
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    assert failed == [str(r["dynamodb"]["SequenceNumber"]) for r in [bad, *records[1:]]]
