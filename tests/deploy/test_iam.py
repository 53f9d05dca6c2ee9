"""Least privilege: each function has its own role, naming only its own resources.

Every Resource of every statement must be one of
* a reference to a resource this function owns (OWN below, as (logical id, attribute)),
* its own log group,
* one of the explicit exceptions, each tied to one function:
  - '*' for X-Ray's PutTraceSegments/PutTelemetryRecords (X-Ray has no resource-level
    permissions; CloudWatch metrics go out as EMF log lines, so no PutMetricData),
  - stripeService: the two Stripe SSM parameters, and kms:Decrypt on `key/*` of this account
    narrowed by kms:ViaService=ssm and the parameters' encryption context (the aws/ssm key's
    id is unknown before deploy),
  - notifications: the SES identity of FROM_EMAIL, with ses:FromAddress pinned.

EventBridge Scheduler's own role (JobsSchedulerInvokeRole) is checked separately: it may
only invoke jobsScheduler and write to the scheduler DLQ.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.deploy.conftest import SERVICE, STAGE, Package

LEDGER_READ = {("EventsTable", "Arn"), ("SnapshotsTable", "Arn")}
IDEMPOTENCY = {("IdempotencyTable", "Arn")}
RECEIPTS = ("ReceiptsBucket", "Arn/receipts/*")
SCHEDULE = ("ScheduleTable", "Arn")

OWN: dict[str, set[tuple[str, str]]] = {
    # The payments read model is read from the schedule table (issue 17).
    "ApiLambdaFunction": LEDGER_READ | IDEMPOTENCY | {RECEIPTS, SCHEDULE},
    "StripeWebhookLambdaFunction": LEDGER_READ | IDEMPOTENCY,
    "StripeServiceLambdaFunction": set(),
    "StreamProcessorLambdaFunction": LEDGER_READ
    | IDEMPOTENCY
    | {
        ("EventsTable", "StreamArn"),
        ("EventBus", "Arn"),
        ("EventsLakeFirehose", "Arn"),
        ("StreamProcessorDLQ", "Arn"),
    },
    # Reads the lease's email (LeaseDirectory).
    "NotificationsLambdaFunction": LEDGER_READ | IDEMPOTENCY | {("NotificationsDLQ", "Arn")},
    "ReceiptsLambdaFunction": LEDGER_READ | {RECEIPTS, SCHEDULE, ("ReceiptsDLQ", "Arn")},
    # The jobs: the scheduler never touches the ledger; the worker is a ledger writer.
    # The worker also pays (autopay sweep) through the stripeService client: an API key in
    # its environment, no AWS permission.
    "JobsSchedulerLambdaFunction": {SCHEDULE, ("JobsQueue", "Arn"), ("JobsPaymentsQueue", "Arn"),
                                    ("JobsSchedulerDLQ", "Arn")},
    "JobsWorkerLambdaFunction": LEDGER_READ
    | {SCHEDULE, ("JobsQueue", "Arn"), ("JobsPaymentsQueue", "Arn")},
    "ScheduleProjectionLambdaFunction": LEDGER_READ
    | {SCHEDULE, ("EventsTable", "StreamArn"), ("ScheduleProjectionDLQ", "Arn")},
}

# Which AWS services each function may call at all.
SERVICES: dict[str, set[str]] = {
    "ApiLambdaFunction": {"logs", "xray", "dynamodb", "s3"},
    "StripeWebhookLambdaFunction": {"logs", "xray", "dynamodb"},
    "StripeServiceLambdaFunction": {"logs", "xray", "ssm", "kms"},
    "StreamProcessorLambdaFunction": {"logs", "xray", "dynamodb", "events", "firehose", "sqs"},
    "NotificationsLambdaFunction": {"logs", "xray", "dynamodb", "ses", "sqs"},
    "ReceiptsLambdaFunction": {"logs", "xray", "dynamodb", "s3", "sqs"},
    "JobsSchedulerLambdaFunction": {"logs", "xray", "dynamodb", "sqs"},
    "JobsWorkerLambdaFunction": {"logs", "xray", "dynamodb", "sqs"},
    "ScheduleProjectionLambdaFunction": {"logs", "xray", "dynamodb", "sqs"},
}

# Issue 14, finance: the disputes read model and reports/evidence for the API; the daily
# jobs write reports and heal payments (a ledger writer); the read-model projection feeds
# the finance table too.
FINANCE = ("FinanceTable", "Arn")
REPORTS = ("ReportsBucket", "Arn/reconciliation/*")
EVIDENCE = ("EvidenceBucket", "Arn/disputes/*")
OWN["ApiLambdaFunction"] |= {FINANCE, REPORTS, EVIDENCE, ("ReportsBucket", "Arn"),
                             ("EvidenceBucket", "Arn")}
OWN["FinanceJobsLambdaFunction"] = LEDGER_READ | {FINANCE, REPORTS, ("FinanceJobsDLQ", "Arn")}
OWN["ScheduleProjectionLambdaFunction"] |= {FINANCE}  # it feeds the finance read models too
SERVICES["FinanceJobsLambdaFunction"] = {"logs", "xray", "dynamodb", "s3", "ses", "sqs"}
SERVICES["ScheduleProjectionLambdaFunction"] |= {"ses"}
# Who may mail (from FROM_EMAIL only): residents' notifications, finance's alerts.
SES_SENDERS = {"NotificationsLambdaFunction", "FinanceJobsLambdaFunction",
               "ScheduleProjectionLambdaFunction"}
# S3 beyond reading: the API presigns evidence uploads (PutObject) and lists evidence and
# reports; financeJobs writes the reports.
S3_ACTIONS = {"ApiLambdaFunction": {"s3:GetObject", "s3:PutObject", "s3:ListBucket"},
              "FinanceJobsLambdaFunction": {"s3:PutObject"}}

# Issue 15: the payment-health read model, written by the stream processor, read by the API.
HEALTH = ("PaymentHealthTable", "Arn")
OWN["ApiLambdaFunction"] |= {HEALTH}
OWN["StreamProcessorLambdaFunction"] |= {HEALTH}

# Issue 13: payment retries and recovery (resources/retries.yml). The webhook parks what it
# cannot process on its retry queue; the payment jobs read and write the watch table.
WATCH = ("PaymentWatchTable", "Arn")
OWN["StripeWebhookLambdaFunction"] |= {("WebhookRetryQueue", "Arn")}
SERVICES["StripeWebhookLambdaFunction"] |= {"sqs"}
OWN["StripeWebhookRetryLambdaFunction"] = LEDGER_READ | IDEMPOTENCY | {
    ("WebhookRetryQueue", "Arn"), ("WebhookRetryDLQ", "Arn")}  # refused messages: to the DLQ
SERVICES["StripeWebhookRetryLambdaFunction"] = {"logs", "xray", "dynamodb", "sqs"}
OWN["PaymentJobsSchedulerLambdaFunction"] = {("PaymentWatchTable", "Arn/index/due"),
                                             ("PaymentJobsQueue", "Arn"),
                                             ("PaymentJobsDLQ", "Arn")}
SERVICES["PaymentJobsSchedulerLambdaFunction"] = {"logs", "xray", "dynamodb", "sqs"}
OWN["PaymentJobsWorkerLambdaFunction"] = LEDGER_READ | {WATCH, ("PaymentJobsQueue", "Arn")}
SERVICES["PaymentJobsWorkerLambdaFunction"] = {"logs", "xray", "dynamodb", "sqs"}
OWN["PaymentAlertsLambdaFunction"] = IDEMPOTENCY | {
    ("RetryDLQ", "Arn"), ("NotificationsDLQ", "Arn"), ("PropertyManagerAlertsTopic", "Ref")}
SERVICES["PaymentAlertsLambdaFunction"] = {"logs", "xray", "dynamodb", "sqs", "sns", "ses"}
SES_SENDERS = SES_SENDERS | {"PaymentAlertsLambdaFunction"}
OWN["ScheduleProjectionLambdaFunction"] |= {WATCH}  # it keeps the payment watch too

XRAY = {"xray:PutTraceSegments", "xray:PutTelemetryRecords"}
WRITE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
ARN = "arn:${AWS::Partition}"
ACCOUNT = "${AWS::Region}:${AWS::AccountId}"
STRIPE_PARAMETERS = {
    f"{ARN}:ssm:{ACCOUNT}:parameter/sfr3/{STAGE}/STRIPE_SECRET_KEY",
    f"{ARN}:ssm:{ACCOUNT}:parameter/sfr3/{STAGE}/STRIPE_WEBHOOK_SECRET",
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _statements(package: Package, function: str) -> list[dict[str, Any]]:
    role = package.resources[function]["Properties"]["Role"]["Fn::GetAtt"][0]
    policies = package.resources[role]["Properties"]["Policies"]
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def _reference(resource: Any) -> tuple[str, str] | str:
    """(logical id, attribute) for a reference to a template resource, else the literal."""
    if isinstance(resource, str):
        return resource
    if "Fn::GetAtt" in resource:
        logical, attribute = resource["Fn::GetAtt"]
        return (logical, attribute)
    if "Ref" in resource:
        return (resource["Ref"], "Ref")
    if "Fn::Sub" in resource:
        text = resource["Fn::Sub"]
        match = re.fullmatch(r"\$\{(\w+)\.(\w+)\}(.*)", text)
        if match and not match.group(1).startswith("AWS"):
            return (match.group(1), match.group(2) + match.group(3))
        return str(text)
    raise AssertionError(f"unexpected resource form {resource!r}")


def _function_name(package: Package, function: str) -> str:
    return str(package.resources[function]["Properties"]["FunctionName"])


def test_every_function_has_a_role_of_its_own(package: Package) -> None:
    functions = package.functions()
    assert set(functions) == set(OWN)
    roles = [f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()]
    assert len(set(roles)) == len(roles)
    # No provider-wide role holding the union of every function's grants.
    assert "IamRoleLambdaExecution" not in package.resources
    for role in roles:
        assert not package.resources[role]["Properties"].get("ManagedPolicyArns")


@pytest.mark.parametrize("function", sorted(OWN))
def test_statements_name_only_the_functions_own_resources(package: Package, function: str) -> None:
    own_log_group = (
        f"{ARN}:logs:{ACCOUNT}:log-group:/aws/lambda/{_function_name(package, function)}:*:*"
    )
    for statement in _statements(package, function):
        assert statement["Effect"] == "Allow"
        actions = set(_as_list(statement["Action"]))
        assert not any(a == "*" or a.endswith(":*") for a in actions), statement
        assert {a.split(":")[0] for a in actions} <= SERVICES[function], statement
        for resource in _as_list(statement["Resource"]):
            ref = _reference(resource)
            if isinstance(ref, tuple):
                assert ref in OWN[function], (function, statement)
            elif ref == "*":
                assert actions <= XRAY, statement
            elif ref == own_log_group:
                assert actions <= {
                    "logs:CreateLogStream",
                    "logs:CreateLogGroup",
                    "logs:PutLogEvents",
                }
            elif ref in STRIPE_PARAMETERS:
                assert function == "StripeServiceLambdaFunction"
                assert actions <= {"ssm:GetParameter", "ssm:GetParameters"}
            elif ref == f"{ARN}:kms:{ACCOUNT}:key/*":
                assert function == "StripeServiceLambdaFunction"
                assert actions == {"kms:Decrypt"}
                condition = statement["Condition"]
                via = condition["StringEquals"]["kms:ViaService"]
                assert via == {"Fn::Sub": "ssm.${AWS::Region}.amazonaws.com"}
                context = condition["StringLike"]["kms:EncryptionContext:PARAMETER_ARN"]
                assert {c["Fn::Sub"] for c in context} == STRIPE_PARAMETERS
            elif ref.startswith(f"{ARN}:ses:{ACCOUNT}:identity/"):
                assert function in SES_SENDERS
                sender = ref.rsplit("/", 1)[1]
                assert statement["Condition"]["StringEquals"]["ses:FromAddress"] == sender
                env = package.resources[function]["Properties"]["Environment"]["Variables"]
                assert sender == env["FROM_EMAIL"]
            else:
                raise AssertionError(f"{function} names a foreign resource: {ref!r}")


def _actions_of(package: Package, function: str) -> set[str]:
    return {a for s in _statements(package, function) for a in _as_list(s["Action"])}


def test_only_stripe_service_reads_stripe_secrets(package: Package) -> None:
    for function in OWN:
        touches_ssm = any(a.startswith(("ssm:", "kms:")) for a in _actions_of(package, function))
        assert touches_ssm == (function == "StripeServiceLambdaFunction"), function


def test_only_the_stream_processor_publishes_events(package: Package) -> None:
    for function in OWN:
        publishes = any(
            a.startswith(("events:", "firehose:")) for a in _actions_of(package, function)
        )
        assert publishes == (function == "StreamProcessorLambdaFunction"), function


def test_only_the_receipts_worker_writes_receipts(package: Package) -> None:
    for function in OWN:
        s3_actions = {a for a in _actions_of(package, function) if a.startswith("s3:")}
        if function == "ReceiptsLambdaFunction":
            assert s3_actions == {"s3:PutObject"}
        else:
            assert s3_actions <= S3_ACTIONS.get(function, {"s3:GetObject"}), function


def test_only_the_ledger_writers_write_the_ledger(package: Package) -> None:
    writers = {"ApiLambdaFunction", "StripeWebhookLambdaFunction", "JobsWorkerLambdaFunction",
               "FinanceJobsLambdaFunction"}
    writers |= {"StripeWebhookRetryLambdaFunction", "PaymentJobsWorkerLambdaFunction"}  # 13
    for function in OWN:
        ledger_writes = {
            a
            for s in _statements(package, function)
            for a in _as_list(s["Action"])
            if a in WRITE_ACTIONS
            and any(_reference(r) in LEDGER_READ for r in _as_list(s["Resource"]))
        }
        assert bool(ledger_writes) == (function in writers), function
        assert "dynamodb:DeleteItem" not in ledger_writes  # the ledger is append-only


def test_log_group_names_follow_the_service(package: Package) -> None:
    for function in OWN:
        assert _function_name(package, function).startswith(f"{SERVICE}-{STAGE}-")


def test_only_the_projection_and_the_jobs_write_the_schedule_table(package: Package) -> None:
    expected = {
        "ScheduleProjectionLambdaFunction": {"dynamodb:PutItem", "dynamodb:UpdateItem",
                                             "dynamodb:DeleteItem"},
        # record_run, and the autopay sweep's plan in its run tally (put + update)
        "JobsSchedulerLambdaFunction": {"dynamodb:UpdateItem", "dynamodb:PutItem"},
        # decided candidates, and a sweep item's outcome in the run tally
        "JobsWorkerLambdaFunction": {"dynamodb:DeleteItem", "dynamodb:UpdateItem"},
    }
    for function in OWN:
        writes = {
            a
            for s in _statements(package, function)
            for a in _as_list(s["Action"])
            if a in WRITE_ACTIONS and SCHEDULE in [_reference(r) for r in _as_list(s["Resource"])]
        }
        assert writes == expected.get(function, set()), function


def test_scheduler_role_only_starts_job_runs(package: Package) -> None:
    role = package.resources["JobsSchedulerInvokeRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {"Ref": "AWS::AccountId"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"]["Fn::Sub"].endswith(
        f":schedule/sfr3-{STAGE}-jobs/*")
    granted = {
        (a, _reference(r))
        for p in role["Policies"]
        for s in p["PolicyDocument"]["Statement"]
        for a in _as_list(s["Action"])
        for r in _as_list(s["Resource"])
    }
    assert granted == {
        ("lambda:InvokeFunction", ("JobsSchedulerLambdaFunction", "Arn")),
        ("sqs:SendMessage", ("JobsSchedulerDLQ", "Arn")),
    }
