"""Payment-health alarms watch the metrics the webhook really emits."""

from __future__ import annotations

from sfr3_lambdas import stripe_webhook
from sfr3_ledger import payment_service
from tests.deploy.conftest import Package


def test_payment_failure_rate_alarm_reads_the_webhook_metrics(package: Package) -> None:
    alarm = package.resources["PaymentFailureRateAlarm"]["Properties"]
    stats = {m["Id"]: m["MetricStat"]["Metric"] for m in alarm["Metrics"] if "MetricStat" in m}
    emitted = set(stripe_webhook.OUTCOME_METRICS.values())
    for metric in stats.values():
        assert metric["MetricName"] in emitted
        assert metric["Namespace"] == stripe_webhook.metrics.namespace
        assert metric["Dimensions"] == [{"Name": "service", "Value": "stripeWebhook"}]
    assert {m["MetricName"] for m in stats.values()} == {"PaymentsFailed", "PaymentsSettled"}
    assert alarm["Threshold"] == 20


def test_signature_rejections_alarm(package: Package) -> None:
    alarm = package.resources["WebhookSignatureRejectedAlarm"]["Properties"]
    assert alarm["MetricName"] == "WebhookSignatureRejected"
    assert alarm["Namespace"] == stripe_webhook.metrics.namespace


def test_webhook_mismatch_alarm_pages_on_the_first_parked_event(package: Package) -> None:
    alarm = package.resources["WebhookMismatchAlarm"]["Properties"]
    assert alarm["MetricName"] == "WebhookMismatch"
    outcome = payment_service.WEBHOOK_MISMATCH
    assert alarm["MetricName"] == stripe_webhook.OUTCOME_METRICS[outcome]
    assert alarm["Namespace"] == stripe_webhook.metrics.namespace
    assert alarm["Dimensions"] == [{"Name": "service", "Value": "stripeWebhook"}]
    assert (alarm["Statistic"], alarm["Period"], alarm["EvaluationPeriods"]) == ("Sum", 300, 1)
    assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]
