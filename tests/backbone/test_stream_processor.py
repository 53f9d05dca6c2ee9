"""Stream records from DynamoDB Local's stream of the events table -> the stream processor
Lambda -> moto (EventBridge rule -> SQS, Firehose -> S3) -> notifications/receipts (SES, S3)."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from sfr3_adapters import aws_clients
from sfr3_adapters.s3 import S3ReceiptStore
from sfr3_lambdas import notifications, receipts, stream_processor
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import event_id
from tests.backbone.scenario import EXPECTED_TYPES, pay_and_refund
from tests.backbone.support import (
    Backbone,
    FakeContext,
    StreamReader,
    create_dedup_table,
    log_records,
    poisoned,
)

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]


@pytest.fixture
def env(
    moto: str, dynamodb_local: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    backbone = Backbone.create()
    suffix = uuid.uuid4().hex[:10]
    values = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": f"backbone-{suffix}",
        "CREATE_TABLE": "y",
        "EVENT_BUS_NAME": backbone.bus,
        "FIREHOSE_STREAM_NAME": backbone.stream,
        "BACKBONE_DEDUP_TABLE": f"dedup-{suffix}",
        "FROM_EMAIL": backbone.from_email,
        "RESIDENT_EMAIL_DOMAIN": "residents.example.com",
        "RECEIPTS_BUCKET": backbone.receipts_bucket,
    }
    create_dedup_table(values["BACKBONE_DEDUP_TABLE"])
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    aws_clients.reset()
    for module in (stream_processor, notifications, receipts):
        module.reset()
    values["_queue"] = backbone.queue_url
    yield values
    for module in (stream_processor, notifications, receipts):
        module.reset()


@pytest.fixture
def backbone(env: dict[str, str]) -> Backbone:
    return Backbone(queue_url=env["_queue"])


def invoke(records: list[dict[str, Any]]) -> list[str]:
    response = stream_processor.handler({"Records": records}, FakeContext())
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


def test_stream_records_reach_the_bus_and_the_lake_once(
    env: dict[str, str], backbone: Backbone, moto: str
) -> None:
    moto_url = moto
    app = LedgerApplication(env=env)
    ids = pay_and_refund(app, "res-stream-1")
    reader = StreamReader(env["DYNAMODB_TABLE"])
    records = log_records(reader.read())
    assert records, "the events table's stream carried no notification-log items"

    assert invoke(records) == []

    delivered = backbone.drain_queue()
    envelopes = [e["detail"] for e in delivered]
    assert [
        e["eventType"] for e in sorted(envelopes, key=lambda e: e["timestamp"])
    ] == EXPECTED_TYPES
    assert {e["detail-type"] for e in delivered} == set(EXPECTED_TYPES)
    stored = app.recorder.select_notifications(start=1, limit=1000)
    mapped = {event_id(n.originator_id, n.originator_version) for n in stored}
    assert {e["eventId"] for e in envelopes} <= mapped
    by_type = {e["eventType"]: e for e in envelopes}
    settled = by_type["payment.settled"]
    assert settled["source"] == "sfr3.payments"
    assert by_type["charge.posted"]["source"] == "sfr3.ledger"
    expected = {
        "residentId": "res-stream-1",
        "propertyId": "prop-9",
        "state": "TX",
        "amount": 210000,
        "currency": "USD",
        "stripeRef": "pi_settles",
        "paymentId": ids["paid"],
    }
    assert {k: settled["data"].get(k) for k in expected} == expected
    assert by_type["payment.failed"]["data"]["failureReason"] == "card_declined"
    assert by_type["payment.refunded"]["data"]["amount"] == 50000
    assert by_type["payment.initiated"]["data"]["paymentMethod"] == ids["method"]

    lake = backbone.lake_lines()
    assert Counter(e["eventId"] for e in lake) == Counter(e["eventId"] for e in envelopes)
    assert all(n == 1 for n in Counter(e["eventId"] for e in lake).values())

    # A redelivered batch (Lambda retries, shard re-reads) publishes nothing new.
    assert invoke(records) == []
    assert backbone.drain_queue() == []
    assert len(backbone.lake_lines()) == len(lake)

    # Reactions, fed the very events the rule delivered.
    for event in delivered:
        notifications.handler(event, FakeContext())
    for event in delivered:  # EventBridge may deliver twice: no second mail
        notifications.handler(event, FakeContext())
    sent = requests.get(f"{moto_url}/moto-api/data.json", timeout=10).json()["ses"]["Message"]
    subjects = sorted(m["subject"] for m in sent)
    assert subjects == sorted(
        [
            "New charge: Rent $2,100.00",
            "Payment received: $2,100.00",
            "Refund issued: $500.00",
            "Payment failed: $500.00",
        ]
    )
    assert {tuple(m["destinations"]["ToAddresses"]) for m in sent} == {
        ("res-stream-1@residents.example.com",)
    }

    settled_event = next(e for e in delivered if e["detail-type"] == "payment.settled")
    result = receipts.handler(settled_event, FakeContext())
    assert result["key"] == f"receipts/res-stream-1/{ids['paid']}.pdf"
    url = S3ReceiptStore(env["RECEIPTS_BUCKET"]).url_for("res-stream-1", ids["paid"])
    assert url is not None
    pdf = requests.get(url, timeout=10).content
    assert pdf.startswith(b"%PDF")
    data = receipts.writer().receipt_data(settled_event["detail"])
    assert (data.amount, data.method, data.reference) == (210000, "Visa ending 4242", "pi_settles")
    assert S3ReceiptStore(env["RECEIPTS_BUCKET"]).url_for("res-stream-1", "pay_none") is None


def test_a_poison_record_is_reported_and_does_not_block_the_rest(
    env: dict[str, str], backbone: Backbone
) -> None:
    app = LedgerApplication(env=env)
    pay_and_refund(app, "res-stream-2")
    reader = StreamReader(env["DYNAMODB_TABLE"])
    assert invoke(log_records(reader.read())) == []
    backbone.drain_queue()

    # Later commits on an existing ledger (no `Opened` in the batch: the owner is looked
    # up), and a new resident, read by a processor that has never seen either.
    app.post_charge(
        "res-stream-2", amount=2500, charge_type="UTILITY", description="Water", actor="pm-7"
    )
    app.apply_credit("res-stream-2", amount=1000, reason="goodwill", actor="staff-1")
    app.post_charge(
        "res-stream-3",
        amount=9900,
        charge_type="OTHER",
        description="Keys",
        actor="pm-7",
        property_id="prop-4",
        us_state="GA",
    )
    fresh = log_records(reader.read())
    assert len(fresh) == 3
    poison = poisoned(fresh[0])
    stream_processor.reset()

    failures = invoke([fresh[0], poison, fresh[1], fresh[2]])

    assert failures == [poison["dynamodb"]["SequenceNumber"]]
    delivered = [e["detail"] for e in backbone.drain_queue()]
    assert sorted((e["eventType"], e["data"]["residentId"]) for e in delivered) == [
        ("charge.posted", "res-stream-2"),
        ("charge.posted", "res-stream-3"),
        ("credit.applied", "res-stream-2"),
    ]
    assert {e["data"]["state"] for e in delivered} == {"TX", "GA"}
