"""Payment-health metrics from the real stream: DynamoDB Local's stream of the events table
-> the stream processor Lambda -> EMF lines, counted once per fact even when the batch is
delivered again."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sfr3_adapters import aws_clients
from sfr3_lambdas import stream_processor
from sfr3_ledger import LedgerApplication
from sfr3_ledger.read_models.payment_health import report
from tests.backbone.scenario import pay_and_refund
from tests.backbone.support import (
    Backbone,
    FakeContext,
    StreamReader,
    create_dedup_table,
    log_records,
)
from tests.metrics.emf import detailed

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]


@pytest.fixture
def env(
    moto: str, dynamodb_local: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    backbone = Backbone.create()
    suffix = uuid.uuid4().hex[:10]
    values = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": f"metrics-{suffix}",
        "CREATE_TABLE": "y",
        "EVENT_BUS_NAME": backbone.bus,
        "FIREHOSE_STREAM_NAME": backbone.stream,
        "BACKBONE_DEDUP_TABLE": f"dedup-{suffix}",
        "POWERTOOLS_METRICS_NAMESPACE": "SFR3Payments",
        "PAYMENT_HEALTH_TABLE": f"health-{suffix}",
    }
    create_dedup_table(values["BACKBONE_DEDUP_TABLE"])
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    aws_clients.reset()
    stream_processor.reset()
    yield values
    stream_processor.reset()


def test_each_fact_is_counted_once_with_its_dimensions_despite_redelivery(
    env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    app = LedgerApplication(env=env)
    ids = pay_and_refund(app, "res-metrics-1")
    # Stripe redelivers the failure: the ledger applies it once, so nothing new to count.
    app.fail_payment("res-metrics-1", ids["failed"], reason="card_declined",
                     stripe_ref="pi_fails")
    records = log_records(StreamReader(env["DYNAMODB_TABLE"]).read())
    capsys.readouterr()
    response = stream_processor.handler({"Records": records}, FakeContext())
    assert response["batchItemFailures"] == []
    expected = {
        ("PaymentInitiated", (("MethodType", "CARD"), ("State", "TX"))): 2,
        ("PaymentSettled", (("MethodType", "CARD"), ("State", "TX"))): 1,
        ("PaymentFailed", (("FailureReason", "card_declined"), ("MethodType", "CARD"))): 1,
    }
    assert detailed(capsys.readouterr().out) == expected

    # The same batch again (a Lambda retry, a shard re-read): no second count.
    assert stream_processor.handler({"Records": records}, FakeContext())[
        "batchItemFailures"] == []
    assert detailed(capsys.readouterr().out) == {}

    # The payment-health read model (the finance page's source) was fed once too.
    from datetime import UTC, datetime

    from sfr3_lambdas import analytics_wiring
    from sfr3_lambdas.wiring import reset

    reset()
    body = report(analytics_wiring.payment_health_store(), datetime.now(UTC).date(), 15.0)
    assert body["trailing30Days"] | {"overThreshold": None} == {
        "initiated": 2, "settled": 1, "failed": 1, "settledCents": 210_000,
        "failedCents": 50_000, "successRatePct": 50.0, "failureRatePct": 50.0,
        "overThreshold": None}
    assert body["byState"] == [{"state": "TX", "collectedCents": 160_000,
                                "outstandingCents": 50_000, "collectedToDateCents": 160_000}]
    assert body["failuresByReason"] == [{"reason": "card_declined", "failures": 1,
                                         "failedCents": 50_000, "sharePct": 100.0}]
    app.close()
