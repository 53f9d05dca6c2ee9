"""The alarms of SPEC §6 watch what the code really emits, and nothing is left unwatched:
every DLQ has a depth alarm, every function a throttle alarm, each audience its topic."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import yaml

from sfr3_adapters import payment_metrics
from sfr3_lambdas import stripe_webhook
from sfr3_ledger import payment_service
from tests.deploy.conftest import REPO, Package

NAMESPACE = "SFR3Payments"
AGGREGATE = [{"Name": "service", "Value": payment_metrics.SERVICE}]


def alarm(package: Package, name: str) -> dict[str, Any]:
    resource = package.resources[name]
    assert resource["Type"] == "AWS::CloudWatch::Alarm"
    return dict(resource["Properties"])


def custom(package: Package) -> dict[str, Any]:
    return dict(package.state["service"]["custom"])


def test_failure_rate_alarm_reads_the_stream_metrics_over_an_hour(package: Package) -> None:
    props = alarm(package, "PaymentFailureRateAlarm")
    stats = {m["Id"]: m["MetricStat"] for m in props["Metrics"] if "MetricStat" in m}
    assert {s["Metric"]["MetricName"] for s in stats.values()} == {"PaymentFailed",
                                                                   "PaymentSettled"}
    for stat in stats.values():
        assert stat["Metric"]["MetricName"] in payment_metrics.METRIC_NAMES
        assert stat["Metric"]["Namespace"] == NAMESPACE
        assert stat["Metric"]["Dimensions"] == AGGREGATE
        assert (stat["Period"], stat["Stat"]) == (3600, "Sum")
    (expression,) = [m for m in props["Metrics"] if "Expression" in m]
    assert "FILL(failed, 0) / (FILL(failed, 0) + FILL(settled, 0))" in expression["Expression"]
    alerting = custom(package)["alerting"]
    assert props["Threshold"] == alerting["failureRateThresholdPercent"] == 15
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert props["AlarmActions"] == [{"Ref": "FinanceAlertsTopic"}]


def test_the_threshold_is_a_per_stage_parameter() -> None:
    config = yaml.safe_load(
        re.sub(r"!\w+", "", (REPO / "serverless.yml").read_text()))  # tags are irrelevant here
    line = config["custom"]["alerting"]["failureRateThresholdPercent"]
    assert line == "${self:custom.stages.${sls:stage}.failureRateThresholdPercent, 15}"


def _refs(node: Any) -> set[str]:
    """Logical ids a template fragment points at (Ref / Fn::GetAtt)."""
    if isinstance(node, list):
        return set().union(*(_refs(n) for n in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["Ref"]} if isinstance(node.get("Ref"), str) else set()
    if isinstance(node.get("Fn::GetAtt"), list):
        found.add(node["Fn::GetAtt"][0])
    return found.union(*(_refs(v) for v in node.values()))


def _dead_letter_queues(resources: dict[str, Any]) -> set[str]:
    """Independently of the plugin: queues that something sends its failures to."""
    queues = {k for k, v in resources.items() if v["Type"] == "AWS::SQS::Queue"}
    found = {q for q in queues if q.endswith("DLQ")}

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                walk(n)
        elif isinstance(node, dict):
            for key, value in node.items():
                if key in ("deadLetterTargetArn", "DeadLetterConfig", "OnFailure"):
                    found.update(_refs(value) & queues)
                else:
                    walk(value)

    walk(resources)
    return found


def test_every_dead_letter_queue_alarms_on_its_first_message(package: Package) -> None:
    resources = package.resources
    dlqs = _dead_letter_queues(resources)
    assert {"StreamProcessorDLQ", "NotificationsDLQ", "ReceiptsDLQ", "EventRuleDLQ",
            "JobsDLQ", "JobsSchedulerDLQ", "ScheduleProjectionDLQ"} <= dlqs
    watched: dict[str, dict[str, Any]] = {}
    for props in (v["Properties"] for v in resources.values()
                  if v["Type"] == "AWS::CloudWatch::Alarm"):
        if props.get("MetricName") == "ApproximateNumberOfMessagesVisible":
            (dim,) = props["Dimensions"]
            watched[dim["Value"]["Fn::GetAtt"][0]] = props
    for queue in dlqs:
        props = watched.get(queue)
        assert props is not None, f"{queue} has no depth alarm"
        assert (props["Statistic"], props["Threshold"], props["ComparisonOperator"]) == (
            "Maximum", 1, "GreaterThanOrEqualToThreshold"), queue
        assert {"Ref": "AlarmTopic"} in props["AlarmActions"], queue
    # The queue of work whose failure leaves rent or autopay undone tells property managers.
    assert {"Ref": "PropertyManagerAlertsTopic"} in watched["JobsDLQ"]["AlarmActions"]


def test_every_function_alarms_when_throttled(package: Package) -> None:
    throttled = {
        props["Dimensions"][0]["Value"]["Ref"]: props
        for props in (v["Properties"] for v in package.resources.values()
                      if v["Type"] == "AWS::CloudWatch::Alarm")
        if props.get("MetricName") == "Throttles"
    }
    assert set(throttled) == set(package.functions())
    for props in throttled.values():
        assert (props["Namespace"], props["Statistic"], props["Threshold"]) == (
            "AWS/Lambda", "Sum", 1)
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_reconciliation_chargeback_and_permanent_failure_alarms(package: Package) -> None:
    for name, metric, topic in [
        ("ReconciliationMismatchAlarm", "ReconciliationMismatch", "FinanceAlertsTopic"),
        ("ChargebackReceivedAlarm", "ChargebackReceived", "FinanceAlertsTopic"),
        ("PaymentPermanentlyFailedAlarm", "PaymentPermanentlyFailed",
         "PropertyManagerAlertsTopic"),
    ]:
        props = alarm(package, name)
        assert props["MetricName"] == metric and metric in payment_metrics.METRIC_NAMES
        assert (props["Namespace"], props["Dimensions"]) == (NAMESPACE, AGGREGATE)
        assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
        assert props["AlarmActions"] == [{"Ref": topic}]


def _logged_before_503() -> set[str]:
    """The messages stripe_webhook.handler logs on each path that answers 503."""
    tree = ast.parse(Path(stripe_webhook.__file__).read_text())
    handler = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "handler")
    messages: set[str] = set()
    for node in ast.walk(handler):
        if not isinstance(node, ast.ExceptHandler):
            continue
        answers = [c for c in ast.walk(node) if isinstance(c, ast.Call)
                   and getattr(c.func, "id", "") == "_answer"]
        if not any(isinstance(a.args[0], ast.Constant) and a.args[0].value == 503
                   for a in answers):
            continue
        for call in ast.walk(node):
            if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                    and getattr(call.func.value, "id", "") == "logger"):
                messages.add(call.args[0].value)
    return messages


def test_webhook_error_rate_counts_handled_failures_and_lambda_errors(package: Package) -> None:
    mf = package.resources["WebhookHandledFailuresMetricFilter"]["Properties"]
    assert mf["LogGroupName"] == {"Ref": "StripeWebhookLogGroup"}
    assert "StripeWebhookLogGroup" in package.resources
    in_pattern = set(re.findall(r'\$\.message = "([^"]+)"', mf["FilterPattern"]))
    assert in_pattern == _logged_before_503() != set()
    (transform,) = mf["MetricTransformations"]
    assert (transform["MetricNamespace"], transform["MetricName"]) == (
        NAMESPACE, "WebhookHandledFailures")

    props = alarm(package, "WebhookErrorRateAlarm")
    metrics = {m["Id"]: m for m in props["Metrics"]}
    assert metrics["handled"]["MetricStat"]["Metric"]["MetricName"] == "WebhookHandledFailures"
    for key, name in (("errors", "Errors"), ("invocations", "Invocations")):
        metric = metrics[key]["MetricStat"]["Metric"]
        assert (metric["Namespace"], metric["MetricName"]) == ("AWS/Lambda", name)
        assert metric["Dimensions"] == [{"Name": "FunctionName",
                                         "Value": {"Ref": "StripeWebhookLambdaFunction"}}]
    assert "(FILL(handled, 0) + FILL(errors, 0)) / invocations" in metrics["rate"]["Expression"]
    assert (props["Threshold"], props["AlarmActions"]) == (1, [{"Ref": "AlarmTopic"}])


def test_one_topic_per_audience_subscribed_from_configuration(
    package: Package, prod_config: dict[str, Any]
) -> None:
    subscriptions = yaml.safe_load((REPO / "resources" / "alert-subscriptions.yml").read_text())
    topics = {"AlarmTopic": "engineering", "FinanceAlertsTopic": "finance",
              "PropertyManagerAlertsTopic": "propertyManagers"}
    for topic, audience in topics.items():
        props = package.resources[topic]["Properties"]
        assert props["Subscription"] == subscriptions["default"][audience] == []
        assert "KmsMasterKeyId" not in props  # CloudWatch could not publish to aws/sns
    prod = prod_config["custom"]["alerting"]["subscriptions"]
    assert prod == subscriptions["prod"]
    assert all(s["Protocol"] == "email" for entries in prod.values() for s in entries)


def test_signature_rejections_alarm(package: Package) -> None:
    props = alarm(package, "WebhookSignatureRejectedAlarm")
    assert props["MetricName"] == "WebhookSignatureRejected"
    assert props["Namespace"] == stripe_webhook.metrics.namespace


def test_webhook_mismatch_alarm_pages_on_the_first_parked_event(package: Package) -> None:
    props = alarm(package, "WebhookMismatchAlarm")
    assert props["MetricName"] == "WebhookMismatch"
    outcome = payment_service.WEBHOOK_MISMATCH
    assert props["MetricName"] == stripe_webhook.OUTCOME_METRICS[outcome]
    assert props["Namespace"] == stripe_webhook.metrics.namespace
    assert props["Dimensions"] == [{"Name": "service", "Value": "stripeWebhook"}]
    assert (props["Statistic"], props["Period"], props["EvaluationPeriods"]) == ("Sum", 300, 1)
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert props["TreatMissingData"] == "notBreaching"
    assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
