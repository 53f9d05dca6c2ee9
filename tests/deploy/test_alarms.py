"""Payment-health alarms watch the metrics the webhook really emits."""

from __future__ import annotations

from sfr3_lambdas import stripe_webhook
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
