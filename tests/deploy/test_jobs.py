"""The deployed jobs: one schedule per job and zone, SQS fan-out with a DLQ, the worker's
partial-batch sources (the autopay sweep's bounded for Stripe's rate limit), and the
scheduler's failure path (docs/operations.md, "Jobs")."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from sfr3_adapters.rate_limit import per_process_rate
from sfr3_lambdas.jobs import scheduler
from sfr3_ledger.jobs import JOBS
from sfr3_ledger.schedules import STATE_TIME_ZONES
from tests.deploy.conftest import STAGE, Package

# Local times of day (cron in the schedule's own zone): architecture, issues 11 and 12.
EXPRESSIONS = {"recurring-charges": "cron(5 0 * * ? *)", "autopay-sweep": "cron(0 6 * * ? *)",
               "autopay-reminders": "cron(0 9 * * ? *)", "late-fees": "cron(0 23 * * ? *)"}
# Stripe's default limit in test mode (requests per second; live mode allows 100).
STRIPE_TEST_MODE_LIMIT = 25


def _of_type(package: Package, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in package.resources.items() if r["Type"] == kind}


def _schedules(package: Package) -> list[dict[str, Any]]:
    # The jobs' group only (finance's schedules: tests/deploy/test_finance.py).
    return [r["Properties"] for r in _of_type(package, "AWS::Scheduler::Schedule").values()
            if r["Properties"].get("GroupName") == {"Ref": "JobsScheduleGroup"}]


def _scheduled_zones(package: Package) -> list[str]:
    env = package.functions()["JobsSchedulerLambdaFunction"]["Properties"]["Environment"]
    separator, zones = env["Variables"]["SCHEDULED_TIME_ZONES"]["Fn::Join"]
    assert separator == ","
    return list(zones)


def test_every_zone_has_one_schedule_per_job(package: Package) -> None:
    zones = _scheduled_zones(package)
    assert len(zones) == len(set(zones))
    for zone in zones:
        ZoneInfo(zone)
    # Every zone a lease gets by default has its schedules (an override outside the list
    # raises the UnscheduledTimeZones alarm instead).
    assert set(STATE_TIME_ZONES.values()) <= set(zones)
    assert {"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
            "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu"} <= set(zones)
    runs = set()
    for props in _schedules(package):
        job, zone, day = scheduler.parse(json.loads(props["Target"]["Input"]))
        assert day is None  # "today" in the zone
        assert props["ScheduleExpressionTimezone"] == zone
        assert props["ScheduleExpression"] == EXPRESSIONS[job]
        assert props["FlexibleTimeWindow"] == {"Mode": "OFF"}
        assert props["State"] == "ENABLED"
        assert props["GroupName"] == {"Ref": "JobsScheduleGroup"}
        runs.add((job, zone))
    assert runs == {(job, zone) for job in JOBS for zone in zones}
    group = package.resources["JobsScheduleGroup"]
    assert group["Properties"]["Name"] == f"sfr3-{STAGE}-jobs"


def test_schedules_retry_then_dead_letter(package: Package) -> None:
    for props in _schedules(package):
        target = props["Target"]
        assert target["Arn"] == {"Fn::GetAtt": ["JobsSchedulerLambdaFunction", "Arn"]}
        assert target["RoleArn"] == {"Fn::GetAtt": ["JobsSchedulerInvokeRole", "Arn"]}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
        assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] >= 600
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["JobsSchedulerDLQ", "Arn"]}}
    # Scheduler invokes asynchronously: Lambda's own retries end in the same DLQ.
    configs = {
        r["Properties"]["FunctionName"]["Ref"]: r["Properties"]
        for r in _of_type(package, "AWS::Lambda::EventInvokeConfig").values()
    }
    config = configs["JobsSchedulerLambdaFunction"]
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["JobsSchedulerDLQ", "Arn"]}


def test_the_work_queue_fans_out_to_the_worker_with_partial_failures(package: Package) -> None:
    queue = package.resources["JobsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["JobsDLQ", "Arn"]},
                                      "maxReceiveCount": 5}
    worker = package.functions()["JobsWorkerLambdaFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    (mapping,) = [
        r["Properties"] for r in _of_type(package, "AWS::Lambda::EventSourceMapping").values()
        if r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    ]
    assert mapping["FunctionName"] == {"Fn::GetAtt": ["JobsWorkerLambdaFunction", "Arn"]}
    assert mapping["BatchSize"] == 10
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["ScalingConfig"]["MaximumConcurrency"] >= 2
    sched = package.functions()["JobsSchedulerLambdaFunction"]["Properties"]
    assert sched["Environment"]["Variables"]["JOBS_QUEUE_URL"] == {"Ref": "JobsQueue"}


def _mapping_of(package: Package, queue: str) -> dict[str, Any]:
    (mapping,) = [
        r["Properties"] for r in _of_type(package, "AWS::Lambda::EventSourceMapping").values()
        if r["Properties"]["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    ]
    return mapping


def test_the_sweep_has_a_queue_of_its_own_bounded_by_stripes_limit(package: Package) -> None:
    """Only the sweep calls Stripe: its items go to the payments queue, whose few workers
    each take their share of the configured rate, so together they stay within it."""
    assert {"autopay-sweep"} == scheduler.PAYMENT_JOBS
    sched = package.functions()["JobsSchedulerLambdaFunction"]["Properties"]
    assert sched["Environment"]["Variables"]["JOBS_PAYMENTS_QUEUE_URL"] == {
        "Ref": "JobsPaymentsQueue"}
    queue = package.resources["JobsPaymentsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": ["JobsDLQ", "Arn"]},
                                      "maxReceiveCount": 5}
    worker = package.functions()["JobsWorkerLambdaFunction"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * worker["Timeout"]
    mapping = _mapping_of(package, "JobsPaymentsQueue")
    assert mapping["FunctionName"] == {"Fn::GetAtt": ["JobsWorkerLambdaFunction", "Arn"]}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    concurrency = mapping["ScalingConfig"]["MaximumConcurrency"]
    assert 2 <= concurrency < _mapping_of(package, "JobsQueue")["ScalingConfig"][
        "MaximumConcurrency"]
    # The worker splits the limit by exactly the concurrency its event source allows.
    env = {k: str(v) for k, v in worker["Environment"]["Variables"].items()
           if isinstance(v, str | int)}
    assert int(env["JOBS_PAYMENTS_CONCURRENCY"]) == concurrency
    total = float(env["STRIPE_RATE_LIMIT_PER_SECOND"])
    assert 0 < total < STRIPE_TEST_MODE_LIMIT  # dev runs on a test-mode key: room for the API
    share = per_process_rate(env)
    assert share * concurrency <= total
    # A full batch waits for its tokens well within the worker's timeout.
    assert mapping["BatchSize"] / share < worker["Timeout"] / 2


def test_job_alarms(package: Package) -> None:
    alarms = {k: r["Properties"] for k, r in _of_type(package, "AWS::CloudWatch::Alarm").items()}
    for dlq in ("JobsDLQ", "JobsSchedulerDLQ", "ScheduleProjectionDLQ"):
        alarm = alarms[f"{dlq}DepthAlarm"]
        assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert (alarm["Threshold"], alarm["ComparisonOperator"]) == (
            1, "GreaterThanOrEqualToThreshold")
    unscheduled = alarms["UnscheduledTimeZonesAlarm"]
    assert unscheduled["Namespace"] == scheduler.metrics.namespace
    assert unscheduled["Dimensions"] == [{"Name": "service", "Value": "jobsScheduler"}]
    backlog = alarms["JobsPaymentsQueueAgeAlarm"]
    assert backlog["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert backlog["Dimensions"] == [{"Name": "QueueName",
                                      "Value": {"Fn::GetAtt": ["JobsPaymentsQueue", "QueueName"]}}]
    lag = alarms["ScheduleProjectionIteratorAgeAlarm"]
    assert lag["Dimensions"][0]["Value"] == {"Ref": "ScheduleProjectionLambdaFunction"}
