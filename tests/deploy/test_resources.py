"""The rest of what deploy creates: environment, event backbone, lake, buckets, alarms."""

from __future__ import annotations

from typing import Any

from tests.deploy.conftest import STAGE, Package

COMMON_ENV = {
    "STAGE",
    "PERSISTENCE_MODULE",
    "DYNAMODB_TABLE",
    "IDEMPOTENCY_TABLE",
    "EVENT_BUS_NAME",
    "FIREHOSE_STREAM_NAME",
    "LAKE_BUCKET",
    "RECEIPTS_BUCKET",
    "FROM_EMAIL",
    "POWERTOOLS_SERVICE_NAME",
    "POWERTOOLS_METRICS_NAMESPACE",
    "LOG_LEVEL",
}
STRIPE_CLIENTS = {"ApiLambdaFunction", "StripeWebhookLambdaFunction", "StripeServiceLambdaFunction",
                  "JobsWorkerLambdaFunction"}  # the autopay sweep pays through PaymentService
STRIPE_CLIENTS |= {"FinanceJobsLambdaFunction"}  # reconciliation reads Stripe's balance
# Issue 13: retries pay, recovery asks Stripe, queued webhooks may look an intent up.
STRIPE_CLIENTS |= {"PaymentJobsWorkerLambdaFunction", "StripeWebhookRetryLambdaFunction"}


def _of_type(package: Package, kind: str) -> dict[str, dict[str, Any]]:
    return {k: r for k, r in package.resources.items() if r["Type"] == kind}


def test_environment_comes_from_one_place(package: Package) -> None:
    for logical, function in package.functions().items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert set(variables) >= COMMON_ENV, logical
        assert variables["STAGE"] == STAGE
        assert variables["PERSISTENCE_MODULE"] == "sfr3_adapters.dynamodb"
        has_stripe_client = {"STRIPE_SERVICE_URL", "STRIPE_SERVICE_API_KEY"} <= set(variables)
        assert has_stripe_client == (logical in STRIPE_CLIENTS), logical
        if has_stripe_client:
            url = variables["STRIPE_SERVICE_URL"]["Fn::Sub"]
            assert "${ApiGatewayRestApi}" in url
            # The API's base URL: StripeServiceClient appends /internal/stripe itself.
            assert url.endswith(f"/{STAGE}")
            from sfr3_adapters.stripe_service_client import PATH

            assert PATH == "/internal/stripe"


def test_event_rules_route_the_envelopes(package: Package) -> None:
    rules = {
        r["Properties"]["Targets"][0]["Arn"]["Fn::GetAtt"][0]: r["Properties"]
        for r in _of_type(package, "AWS::Events::Rule").values()
    }
    assert set(rules) == {"NotificationsLambdaFunction", "ReceiptsLambdaFunction",
                          "PaymentAlertsLambdaFunction"}  # issue 13: exhaustion alerts
    assert rules["PaymentAlertsLambdaFunction"]["EventPattern"]["detail-type"] == [
        "payment.permanently_failed"]
    notifications = rules["NotificationsLambdaFunction"]["EventPattern"]
    assert set(notifications["detail-type"]) == {
        "charge.posted",
        "late_fee.applied",
        "payment.settled",
        "payment.failed",
        "payment.refunded",
        # Autopay's mails (issue 12); its charges are mailed as payment.settled / failed.
        "autopay.enrolled",
        "autopay.paused",
        "autopay.cancelled",
        "autopay.reminder_sent",
    }
    # The rule delivers exactly the events the notifier mails about.
    from sfr3_adapters.reactions import EMAIL_TYPES

    assert set(notifications["detail-type"]) == EMAIL_TYPES
    assert set(notifications["source"]) == {"sfr3.payments", "sfr3.ledger"}
    assert rules["ReceiptsLambdaFunction"]["EventPattern"]["detail-type"] == ["payment.settled"]
    for rule in rules.values():
        assert rule["EventBusName"] == {"Fn::GetAtt": ["EventBus", "Name"]}
        assert rule["Targets"][0]["DeadLetterConfig"]["Arn"] == {
            "Fn::GetAtt": ["EventRuleDLQ", "Arn"]
        }
    invoke = {
        r["Properties"]["FunctionName"]["Ref"]: r["Properties"]
        for r in _of_type(package, "AWS::Lambda::EventInvokeConfig").values()
    }
    # Async invocations with a failure destination: the rules' targets, and jobsScheduler
    # (EventBridge Scheduler invokes asynchronously; tests/deploy/test_jobs.py).
    assert set(invoke) == set(rules) | {"JobsSchedulerLambdaFunction",
                                        "FinanceJobsLambdaFunction",
                                        "PaymentJobsSchedulerLambdaFunction"}


def test_firehose_partitions_the_lake_by_day(package: Package) -> None:
    (stream,) = _of_type(package, "AWS::KinesisFirehose::DeliveryStream").values()
    s3 = stream["Properties"]["ExtendedS3DestinationConfiguration"]
    assert s3["BucketARN"] == {"Fn::GetAtt": ["LakeBucket", "Arn"]}
    assert s3["Prefix"].endswith(
        "year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
    )
    assert "!{firehose:error-output-type}" in s3["ErrorOutputPrefix"]
    assert s3["ErrorOutputPrefix"].split("/")[0] != s3["Prefix"].split("/")[0]


def test_glue_table_describes_the_envelope(package: Package) -> None:
    (database,) = _of_type(package, "AWS::Glue::Database").values()
    assert database["Properties"]["DatabaseInput"]["Name"] == f"sfr3_events_{STAGE}"
    (table,) = _of_type(package, "AWS::Glue::Table").values()
    spec = table["Properties"]["TableInput"]
    assert spec["Name"] == "events"
    columns = {c["Name"]: c["Type"] for c in spec["StorageDescriptor"]["Columns"]}
    assert columns == {
        "eventId": "string",
        "eventType": "string",
        "source": "string",
        "timestamp": "string",
        "version": "int",
        "data": columns["data"],
    }
    # Every key an envelope's `data` can carry is a column of the struct, typed.
    from sfr3_adapters.lake_schema import DATA_FIELDS
    from sfr3_ledger import integration_events as ie

    struct = dict(DATA_FIELDS)
    assert columns["data"] == "struct<" + ",".join(f"{k}:{v}" for k, v in DATA_FIELDS) + ">"
    keys = {
        "residentId", "propertyId", "state", "amount", "currency", "paymentMethod",
        "failureReason", "stripeRef", "balanceEffect", *ie._EXTRA_FIELDS,
    }
    assert set(struct) == keys
    # Whole numbers: cents, autopay's charge day (issue 12), retry attempts (issue 13) and
    # reconciliation's mismatch count (issue 14).
    assert {k for k, v in struct.items() if v == "bigint"} == {
        "amount", "balanceEffect", "chargeDay", "maxAmount", "attempt", "attempts", "mismatches"}
    assert [p["Name"] for p in spec["PartitionKeys"]] == ["year", "month", "day"]
    serde = spec["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]
    assert serde == "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"  # issue 15


def test_buckets_are_private_encrypted_and_tiered(package: Package) -> None:
    buckets = _of_type(package, "AWS::S3::Bucket")
    for logical in ("LakeBucket", "ReceiptsBucket"):
        props = buckets[logical]["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values()), logical
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert props["LifecycleConfiguration"]["Rules"]
    lake_rules = buckets["LakeBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    assert {"StorageClass": "GLACIER", "TransitionInDays": 365} in [
        t for rule in lake_rules for t in rule.get("Transitions", [])
    ]


def test_every_function_and_dead_letter_queue_is_alarmed(package: Package) -> None:
    alarms = [a["Properties"] for a in _of_type(package, "AWS::CloudWatch::Alarm").values()]
    errors = {
        a["Dimensions"][0]["Value"]["Ref"] for a in alarms if a.get("MetricName") == "Errors"
    }
    assert errors == set(package.functions())
    depth = {
        a["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for a in alarms
        if a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
    }
    # Every queue but the jobs' work queues is a dead-letter queue (their backlogs' age is
    # alarmed).
    work_queues = {"JobsQueue", "JobsPaymentsQueue"}
    work_queues |= {"PaymentJobsQueue", "WebhookRetryQueue"}  # issue 13
    assert depth == set(_of_type(package, "AWS::SQS::Queue")) - work_queues
    age = {
        a["Dimensions"][0]["Value"]["Fn::GetAtt"][0]
        for a in alarms
        if a.get("MetricName") == "ApproximateAgeOfOldestMessage"
    }
    assert age == work_queues
    # Engineering hears every one of these; payment-health alarms go to finance or property
    # managers as well or instead (tests/deploy/test_alarms.py).
    engineering = [a for a in alarms if a.get("MetricName") in
                   ("Errors", "ApproximateNumberOfMessagesVisible", "Throttles")]
    assert all({"Ref": "AlarmTopic"} in a["AlarmActions"] for a in engineering)


def test_sender_identity_is_from_email(package: Package) -> None:
    (identity,) = _of_type(package, "AWS::SES::EmailIdentity").values()
    env = package.functions()["NotificationsLambdaFunction"]["Properties"]["Environment"]
    assert identity["Properties"]["EmailIdentity"] == env["Variables"]["FROM_EMAIL"]
