"""Finance as deployed (issue 14; resources/reconciliation.yml): its table, buckets,
schedules, the role Scheduler uses, and who reads the stream."""

from __future__ import annotations

import json
from typing import Any

from tests.deploy.conftest import STAGE, Package


def _props(package: Package, logical: str) -> dict[str, Any]:
    return dict(package.resources[logical]["Properties"])


def test_the_finance_table_is_the_read_models_table(package: Package) -> None:
    from sfr3_adapters.dynamodb.finance_tables import table_definition

    props = _props(package, "FinanceTable")
    name = props["TableName"]
    assert name == f"sfr3-{STAGE}-finance"
    wanted = table_definition(name)
    assert props["KeySchema"] == wanted["KeySchema"]
    assert props["AttributeDefinitions"] == wanted["AttributeDefinitions"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    for function in ("ApiLambdaFunction", "FinanceJobsLambdaFunction",
                     "ScheduleProjectionLambdaFunction"):
        env = package.functions()[function]["Properties"]["Environment"]["Variables"]
        assert env["FINANCE_TABLE"] == name
        assert env["REPORTS_BUCKET"] == {"Ref": "ReportsBucket"}
        assert env["EVIDENCE_BUCKET"] == {"Ref": "EvidenceBucket"}
        assert env["FINANCE_EMAIL"]


def test_reports_and_evidence_buckets_are_private_encrypted_and_kept(package: Package) -> None:
    for logical in ("ReportsBucket", "EvidenceBucket"):
        resource = package.resources[logical]
        props = resource["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values()), logical
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        policy = _props(package, f"{logical}Policy")["PolicyDocument"]["Statement"]
        assert any(s["Sid"] == "DenyInsecureTransport" for s in policy)


def test_reconciliation_at_two_and_reminders_at_nine_utc(package: Package) -> None:
    schedules = {p["Name"]: p for p in (r["Properties"] for r in package.resources.values()
                                       if r["Type"] == "AWS::Scheduler::Schedule")
                 if p["GroupName"] == {"Ref": "FinanceScheduleGroup"}}
    assert {n: (p["ScheduleExpression"], p["ScheduleExpressionTimezone"],
                json.loads(p["Target"]["Input"])) for n, p in schedules.items()} == {
        f"sfr3-{STAGE}-reconciliation": ("cron(0 2 * * ? *)", "UTC", {"job": "reconciliation"}),
        f"sfr3-{STAGE}-dispute-reminders": ("cron(0 9 * * ? *)", "UTC",
                                            {"job": "dispute-reminders"}),
    }
    for props in schedules.values():
        target = props["Target"]
        assert target["Arn"] == {"Fn::GetAtt": ["FinanceJobsLambdaFunction", "Arn"]}
        assert target["RoleArn"] == {"Fn::GetAtt": ["FinanceSchedulerInvokeRole", "Arn"]}
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": ["FinanceJobsDLQ", "Arn"]}}
        assert target["RetryPolicy"]["MaximumRetryAttempts"] > 0
    role = _props(package, "FinanceSchedulerInvokeRole")
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "scheduler.amazonaws.com"}
    granted = {(s["Action"], json.dumps(s["Resource"])) for p in role["Policies"]
               for s in p["PolicyDocument"]["Statement"]}
    assert granted == {
        ("lambda:InvokeFunction", json.dumps({"Fn::GetAtt": ["FinanceJobsLambdaFunction",
                                                             "Arn"]})),
        ("sqs:SendMessage", json.dumps({"Fn::GetAtt": ["FinanceJobsDLQ", "Arn"]})),
    }
    function = package.functions()["FinanceJobsLambdaFunction"]["Properties"]
    assert function["Handler"] == "sfr3_lambdas/jobs/finance.handler"
    assert function["Timeout"] == 900


def test_the_stream_has_two_readers_the_second_feeding_every_read_model(
        package: Package) -> None:
    readers = {r["Properties"]["FunctionName"]["Fn::GetAtt"][0]
               for r in package.resources.values()
               if r["Type"] == "AWS::Lambda::EventSourceMapping"
               and "StreamArn" in str(r["Properties"]["EventSourceArn"])}
    assert readers == {"StreamProcessorLambdaFunction", "ScheduleProjectionLambdaFunction"}
    handler = package.functions()["ScheduleProjectionLambdaFunction"]["Properties"]["Handler"]
    assert handler == "sfr3_lambdas/jobs/read_models.handler"
