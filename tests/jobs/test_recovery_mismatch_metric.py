"""A recovery "mismatch" (Stripe's intent contradicts a stuck payment, which stays PENDING
and reserved for a person) is counted as `RecoveryMismatch` (service `paymentJobs`) on
every run that finds it, and `RecoveryMismatchAlarm` watches exactly that metric."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from sfr3_lambdas.jobs import retries
from sfr3_ledger.payment_jobs import PaymentWorkItem
from tests.metrics.emf import blobs


def _record(job: str) -> SQSRecord:
    item = PaymentWorkItem(job=job, resident_id="res-mm", payment_id="pay_mm", attempt=1)
    return SQSRecord({"messageId": "m-1", "body": json.dumps(item.to_json())})


@pytest.mark.parametrize(("outcome", "counted"), [
    ("mismatch", {"RecoveryMismatch"}),
    ("settled", {"PaymentRecovered"}),
    ("processing", set()),
])
def test_a_recovery_mismatch_is_counted_for_its_alarm(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        outcome: str, counted: set[str]) -> None:
    def worker(item: PaymentWorkItem, now: datetime) -> str:
        return outcome

    monkeypatch.setattr(retries, "job_worker", lambda: worker)
    # Powertools' Metrics instances share one metric set per process: whatever another
    # function's handler (tested in this process) left unflushed would be flushed here too.
    retries.metrics.clear_metrics()
    capsys.readouterr()
    assert retries.work(_record("payment-recovery")) == outcome
    out = capsys.readouterr().out
    assert {m["Name"] for blob in blobs(out) for d in blob["_aws"]["CloudWatchMetrics"]
            for m in d["Metrics"]} == counted
    for blob in blobs(out):
        if "RecoveryMismatch" in blob:
            # Only the service dimension: what the alarm's Dimensions name.
            dims = blob["_aws"]["CloudWatchMetrics"][0]["Dimensions"]
            assert dims == [["service"]] and blob["service"] == "paymentJobs"


def test_the_alarm_watches_the_metric_the_worker_emits() -> None:
    from pathlib import Path

    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def tag(loader: Any, suffix: str, node: Any) -> Any:
        return None

    Loader.add_multi_constructor("!", tag)
    text = (Path(__file__).resolve().parents[2] / "resources" / "retries.yml").read_text()
    resources = yaml.load(text, Loader=Loader)["Resources"]
    props = resources["RecoveryMismatchAlarm"]["Properties"]
    assert props["MetricName"] == "RecoveryMismatch"
    assert props["Dimensions"] == [{"Name": "service", "Value": "paymentJobs"}]
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
