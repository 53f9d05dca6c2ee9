"""The stream decoder on real DynamoDB Local stream records, and the table definitions."""

from __future__ import annotations

import base64
import copy
import time
from typing import Any
from uuid import uuid4

import boto3

from sfr3_adapters.dynamodb import schema
from sfr3_adapters.dynamodb.recorders import DynamoDBApplicationRecorder, DynamoDBProcessRecorder
from sfr3_adapters.dynamodb.stream import (
    notifications_from_stream_record,
    stored_events_from_stream_record,
)
from tests.dynamodb.support import fresh_datastore
from tests.dynamodb.test_recorder_edges import events


def stream_records(table: str) -> list[dict[str, Any]]:
    """Every record of the table's stream so far (DynamoDB Local serves the Streams API)."""
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    streams = boto3.client("dynamodbstreams", region_name="us-east-1")
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
    return records


def as_lambda_receives(record: dict[str, Any]) -> dict[str, Any]:
    """Lambda's event has binary attributes base64-encoded, boto3's client has bytes."""
    out = copy.deepcopy(record)
    for value in out["dynamodb"].get("NewImage", {}).values():
        if "B" in value:
            value["B"] = base64.b64encode(value["B"]).decode()
    return out


def test_stream_records_decode_to_the_notification_log() -> None:
    table = f"stream-{uuid4().hex[:8]}"
    recorder = DynamoDBProcessRecorder(fresh_datastore(table))
    a, b = uuid4(), uuid4()
    recorder.insert_events(events(a, range(1, 4), topic="A"))
    recorder.insert_events([*events(b, range(1, 2), topic="B"), *events(a, range(4, 5))])
    big = events(b, range(2, 5), size=200_000)  # split over several log items
    recorder.insert_events(big)
    expected = recorder.select_notifications(None, 100)
    assert len(expected) == 8

    decoded: list[Any] = []
    for _ in range(50):  # the stream is written asynchronously
        records = stream_records(table)
        decoded = [n for r in records for n in notifications_from_stream_record(r)]
        if len(decoded) >= len(expected):
            break
        time.sleep(0.1)
    assert sorted(decoded, key=lambda n: n.id) == list(expected)
    # Heads, chunks, sequence and tracking items decode to nothing.
    assert any(not notifications_from_stream_record(r) for r in records)
    lambda_shaped = [
        e for r in records for e in stored_events_from_stream_record(as_lambda_receives(r))
    ]
    assert sorted(lambda_shaped, key=lambda n: n.id) == list(expected)  # type: ignore[attr-defined]


def test_table_definitions_are_what_the_recorder_creates() -> None:
    definitions = {d["TableName"]: d for d in schema.table_definitions("base")}
    assert set(definitions) == {"base", "base-snapshots"}
    events_table = definitions["base"]
    assert events_table["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_IMAGE",
    }
    assert "StreamSpecification" not in definitions["base-snapshots"]
    for definition in definitions.values():
        assert definition["BillingMode"] == "PAY_PER_REQUEST"
        assert [k["AttributeName"] for k in definition["KeySchema"]] == ["pk", "sk"]

    table = f"schema-{uuid4().hex[:8]}"
    DynamoDBApplicationRecorder(fresh_datastore(table))
    ddb = boto3.client("dynamodb", region_name="us-east-1")
    for expected in schema.table_definitions(table):
        actual = ddb.describe_table(TableName=expected["TableName"])["Table"]
        assert actual["KeySchema"] == expected["KeySchema"]
        assert sorted(actual["AttributeDefinitions"], key=str) == sorted(
            expected["AttributeDefinitions"], key=str
        )
        assert actual.get("StreamSpecification") == expected.get("StreamSpecification")
