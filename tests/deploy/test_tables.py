"""The deployed tables are the recorder's tables (sfr3_adapters.dynamodb.schema), plus
what only the deployment decides: PITR, encryption, retention TTL, deletion protection."""

from __future__ import annotations

import json
from typing import Any

from tests.deploy.conftest import Package

RETENTION_TTL_ATTRIBUTE = "expires_at"


def _tables(resources: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """TableName -> resource, for every DynamoDB table in a template."""
    return {
        r["Properties"]["TableName"]: r
        for r in resources.values()
        if r["Type"] == "AWS::DynamoDB::Table"
    }


def _ledger_tables(package: Package) -> dict[str, dict[str, Any]]:
    tables = _tables(package.resources)
    base = _base_name(package)
    return {name: r for name, r in tables.items() if name == base or name.startswith(base + "-")}


def _base_name(package: Package) -> str:
    (api,) = [f for k, f in package.functions().items() if k == "ApiLambdaFunction"]
    return str(api["Properties"]["Environment"]["Variables"]["DYNAMODB_TABLE"])


def _as_create_table(resource: dict[str, Any]) -> dict[str, Any]:
    """The CloudFormation table in boto3 create_table terms (the fields the schema sets)."""
    props = resource["Properties"]
    out: dict[str, Any] = {
        "TableName": props["TableName"],
        "KeySchema": props["KeySchema"],
        "AttributeDefinitions": sorted(
            props["AttributeDefinitions"], key=lambda a: a["AttributeName"]
        ),
        "BillingMode": props.get("BillingMode", "PROVISIONED"),
    }
    if "StreamSpecification" in props:
        out["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": props["StreamSpecification"]["StreamViewType"],
        }
    for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "ProvisionedThroughput"):
        if key in props:
            out[key] = props[key]
    return out


def _normalise(definition: dict[str, Any]) -> dict[str, Any]:
    out = dict(definition)
    out["AttributeDefinitions"] = sorted(
        definition["AttributeDefinitions"], key=lambda a: a["AttributeName"]
    )
    out.setdefault("BillingMode", "PROVISIONED")
    return out


def test_ledger_tables_match_the_recorder_schema(package: Package) -> None:
    from sfr3_adapters.dynamodb.schema import table_definitions

    expected = {d["TableName"]: _normalise(d) for d in table_definitions(_base_name(package))}
    actual = {name: _as_create_table(r) for name, r in _ledger_tables(package).items()}
    assert actual == expected


def test_ledger_tables_are_recoverable_encrypted_and_expire_by_retention(
    package: Package,
) -> None:
    tables = _ledger_tables(package)
    assert tables
    for name, resource in tables.items():
        props = resource["Properties"]
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"]["SSEEnabled"] is True, name
        assert props["TimeToLiveSpecification"] == {
            "AttributeName": RETENTION_TTL_ATTRIBUTE,
            "Enabled": True,
        }
        # dev: deletable; prod: see the next test.
        assert props["DeletionProtectionEnabled"] is False
        assert resource["DeletionPolicy"] == "Delete"


def test_the_events_table_stream_feeds_the_stream_processor(package: Package) -> None:
    base = _base_name(package)
    mappings = {
        r["Properties"]["FunctionName"]["Fn::GetAtt"][0]: r["Properties"]
        for r in package.resources.values()
        if r["Type"] == "AWS::Lambda::EventSourceMapping"
        and "StreamArn" in str(r["Properties"]["EventSourceArn"])
    }
    # Two consumers of the stream (DynamoDB's advice: at most two per shard).
    assert set(mappings) == {"StreamProcessorLambdaFunction", "ScheduleProjectionLambdaFunction"}
    (events,) = [
        k
        for k, r in package.resources.items()
        if r["Type"] == "AWS::DynamoDB::Table" and r["Properties"]["TableName"] == base
    ]
    dlqs = {"StreamProcessorLambdaFunction": "StreamProcessorDLQ",
            "ScheduleProjectionLambdaFunction": "ScheduleProjectionDLQ"}
    for function, mapping in mappings.items():
        assert mapping["EventSourceArn"] == {"Fn::GetAtt": [events, "StreamArn"]}
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert mapping["BisectBatchOnFunctionError"] is True
        assert mapping["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": [dlqs[function], "Arn"]
        }
        # Only notification-log items carry events.
        (pattern,) = mapping["FilterCriteria"]["Filters"]
        assert json.loads(pattern["Pattern"]) == {"dynamodb": {"NewImage": {"k": {"S": ["log"]}}}}


def test_the_idempotency_table_is_powertools_shaped(package: Package) -> None:
    env = package.functions()["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    props = _tables(package.resources)[env["IDEMPOTENCY_TABLE"]]["Properties"]
    assert props["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiration", "Enabled": True}


def test_prod_protects_the_ledger(prod_config: dict[str, Any]) -> None:
    tables = _tables(prod_config["resources"]["Resources"])
    ledger = {n: r for n, r in tables.items() if n.startswith("sfr3-prod-ledger")}
    assert len(ledger) >= 2
    for name, resource in ledger.items():
        assert resource["Properties"]["DeletionProtectionEnabled"] is True, name
        assert resource["DeletionPolicy"] == "Retain", name
        assert resource["UpdateReplacePolicy"] == "Retain", name
    schedule = prod_config["resources"]["Resources"]["ScheduleTable"]
    assert schedule["Properties"]["DeletionProtectionEnabled"] is True
    assert schedule["DeletionPolicy"] == "Retain"
    for bucket in ("LakeBucket", "ReceiptsBucket", "UserPool"):
        assert prod_config["resources"]["Resources"][bucket]["DeletionPolicy"] == "Retain"


def test_the_schedule_table_is_the_read_models_table(package: Package) -> None:
    from sfr3_adapters.dynamodb.read_models import table_definition

    env = package.functions()["JobsSchedulerLambdaFunction"]["Properties"]["Environment"]
    name = env["Variables"]["SCHEDULE_TABLE"]
    resource = _tables(package.resources)[name]
    assert _as_create_table(resource) == _normalise(table_definition(name))
    props = resource["Properties"]
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True
    for function in ("JobsWorkerLambdaFunction", "ScheduleProjectionLambdaFunction"):
        variables = package.functions()[function]["Properties"]["Environment"]["Variables"]
        assert variables["SCHEDULE_TABLE"] == name
