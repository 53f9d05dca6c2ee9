"""Payment retries and recovery deployed (issue 13, resources/retries.yml): the watch table
is the adapter's, a rate schedule runs both jobs, the queues fan out with partial failures
and dead-letter, the webhook parks what it cannot process, the retry DLQ alarms the
property managers, and exhaustion is routed to the alert function."""

from __future__ import annotations

import json
from typing import Any

from tests.deploy.conftest import Package
from tests.deploy.test_tables import _as_create_table, _normalise, _tables


def _env(package: Package, function: str) -> dict[str, Any]:
    props = package.functions()[function]["Properties"]
    return dict(props["Environment"]["Variables"])


def _mappings(package: Package, function: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in package.resources.values()
            if r["Type"] == "AWS::Lambda::EventSourceMapping"
            and r["Properties"]["FunctionName"] == {"Fn::GetAtt": [function, "Arn"]}]


def test_the_watch_table_is_the_adapters(package: Package) -> None:
    from sfr3_adapters.dynamodb.payment_watch import table_definition

    name = _env(package, "PaymentJobsSchedulerLambdaFunction")["PAYMENT_WATCH_TABLE"]
    resource = _tables(package.resources)[name]
    assert _as_create_table(resource) == _normalise(table_definition(name))
    assert resource["Properties"]["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True}
    # The stream's second reader keeps it (at most two readers per shard).
    for function in ("PaymentJobsWorkerLambdaFunction", "ScheduleProjectionLambdaFunction"):
        assert _env(package, function)["PAYMENT_WATCH_TABLE"] == name


def test_a_rate_schedule_runs_both_jobs_and_dead_letters(package: Package) -> None:
    schedule = package.resources["PaymentJobsSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(15 minutes)"
    assert json.loads(schedule["Target"]["Input"]) == {"job": "all"}
    assert schedule["Target"]["Arn"] == {
        "Fn::GetAtt": ["PaymentJobsSchedulerLambdaFunction", "Arn"]}
    assert schedule["Target"]["DeadLetterConfig"]["Arn"] == {
        "Fn::GetAtt": ["PaymentJobsDLQ", "Arn"]}


def test_the_queues_fan_out_with_partial_failures_and_a_dlq(package: Package) -> None:
    for queue, function in (("PaymentJobsQueue", "PaymentJobsWorkerLambdaFunction"),
                            ("WebhookRetryQueue", "StripeWebhookRetryLambdaFunction")):
        props = package.resources[queue]["Properties"]
        assert props["RedrivePolicy"]["maxReceiveCount"] == 5
        [mapping] = _mappings(package, function)
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert _env(package, "StripeWebhookLambdaFunction")["WEBHOOK_RETRY_QUEUE_URL"] == {
        "Ref": "WebhookRetryQueue"}


def test_every_function_applies_the_same_retry_policy(package: Package) -> None:
    for name in ("ApiLambdaFunction", "StripeWebhookLambdaFunction",
                 "PaymentJobsWorkerLambdaFunction", "JobsWorkerLambdaFunction"):
        env = _env(package, name)
        assert (env["SFR3_RETRY_MAX_ATTEMPTS"], env["SFR3_RETRY_DELAYS"]) == ("3", "4h,8h,24h")


def test_the_retry_dlq_alarms_property_managers(package: Package) -> None:
    alarm = package.resources["RetryDLQDepthAlarm"]["Properties"]
    assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == (
        "GreaterThanOrEqualToThreshold")
    assert {"Ref": "PropertyManagerAlertsTopic"} in alarm["AlarmActions"]
    for dlq in ("PaymentJobsDLQ", "WebhookRetryDLQ"):
        assert f"{dlq}DepthAlarm" in package.resources, dlq


def test_exhaustion_reaches_the_alert_function(package: Package) -> None:
    rules = [r["Properties"] for r in package.resources.values()
             if r["Type"] == "AWS::Events::Rule"
             and any(t["Arn"] == {"Fn::GetAtt": ["PaymentAlertsLambdaFunction", "Arn"]}
                     for t in r["Properties"]["Targets"])]
    [rule] = rules
    assert rule["EventPattern"]["detail-type"] == ["payment.permanently_failed"]
    env = _env(package, "PaymentAlertsLambdaFunction")
    assert env["RETRY_DLQ_URL"] == {"Ref": "RetryDLQ"}
    assert env["RETRY_ALERTS_TOPIC_ARN"] == {"Ref": "PropertyManagerAlertsTopic"}
