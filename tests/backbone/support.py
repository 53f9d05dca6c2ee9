"""Helpers for the backbone tests: AWS resources on moto, the events table's stream read
with boto3 `dynamodbstreams` and re-shaped exactly as Lambda delivers it."""

from __future__ import annotations

import base64
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3

REGION = "us-east-1"


@dataclass
class Backbone:
    """The AWS side of the backbone on moto: bus, rule -> SQS, Firehose -> S3, SES, receipts."""

    bus: str = "sfr3-test-events"
    queue_url: str = ""
    lake_bucket: str = "sfr3-test-lake"
    stream: str = "sfr3-test-events-lake"
    receipts_bucket: str = "sfr3-test-receipts"
    from_email: str = "payments@example.com"

    @classmethod
    def create(cls) -> Backbone:
        b = cls()
        events, sqs, s3 = (boto3.client(n, region_name=REGION) for n in ("events", "sqs", "s3"))
        events.create_event_bus(Name=b.bus)
        b.queue_url = sqs.create_queue(QueueName="backbone-proof")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=b.queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        # moto cannot deliver to Firehose or Lambda targets (SPEC §5): SQS proves delivery.
        events.put_rule(
            Name="all-envelopes",
            EventBusName=b.bus,
            EventPattern=json.dumps({"source": ["sfr3.payments", "sfr3.ledger"]}),
        )
        events.put_targets(
            Rule="all-envelopes", EventBusName=b.bus, Targets=[{"Id": "proof", "Arn": queue_arn}]
        )
        s3.create_bucket(Bucket=b.lake_bucket)
        s3.create_bucket(Bucket=b.receipts_bucket)
        boto3.client("firehose", region_name=REGION).create_delivery_stream(
            DeliveryStreamName=b.stream,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "BucketARN": f"arn:aws:s3:::{b.lake_bucket}",
                "RoleARN": "arn:aws:iam::123456789012:role/firehose",
                "Prefix": "events/",
            },
        )
        boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=b.from_email)
        return b

    def drain_queue(self) -> list[dict[str, Any]]:
        """Every EventBridge event the rule delivered so far (and deletes them)."""
        sqs = boto3.client("sqs", region_name=REGION)
        out: list[dict[str, Any]] = []
        while True:
            got = sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not got:
                return out
            for message in got:
                out.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])

    def lake_lines(self) -> list[dict[str, Any]]:
        s3 = boto3.client("s3", region_name=REGION)
        lines: list[dict[str, Any]] = []
        for obj in s3.list_objects_v2(Bucket=self.lake_bucket).get("Contents", []):
            body = s3.get_object(Bucket=self.lake_bucket, Key=obj["Key"])["Body"].read()
            lines += [json.loads(line) for line in body.decode().splitlines() if line.strip()]
        return lines


def _lambda_shape(value: Any) -> Any:
    """boto3 gives binary attributes as bytes and times as datetimes; Lambda, as JSON."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, dict):
        return {k: _lambda_shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lambda_shape(v) for v in value]
    return value


@dataclass
class StreamReader:
    """Reads the events table's stream from the start, returning only records not yet read."""

    table: str
    iterators: dict[str, str | None] = field(default_factory=dict)

    def read(self) -> list[dict[str, Any]]:
        ddb = boto3.client("dynamodb", region_name=REGION)
        # boto3 reads AWS_ENDPOINT_URL_DYNAMODB_STREAMS for this service; pass it explicitly.
        streams = boto3.client(
            "dynamodbstreams",
            region_name=REGION,
            endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
        )
        arn = ddb.describe_table(TableName=self.table)["Table"]["LatestStreamArn"]
        shards = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]
        records: list[dict[str, Any]] = []
        for shard in shards:
            sid = shard["ShardId"]
            if sid not in self.iterators:
                self.iterators[sid] = streams.get_shard_iterator(
                    StreamArn=arn, ShardId=sid, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            while self.iterators[sid]:
                page = streams.get_records(ShardIterator=self.iterators[sid], Limit=1000)
                self.iterators[sid] = page.get("NextShardIterator")
                if not page["Records"]:
                    break
                records += [{**_lambda_shape(r), "eventSourceARN": arn} for r in page["Records"]]
        return records


def log_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the deployed event-source filter passes on: notification-log items only."""
    return [r for r in records if r["dynamodb"].get("NewImage", {}).get("k", {}).get("S") == "log"]


def poisoned(record: dict[str, Any]) -> dict[str, Any]:
    bad = json.loads(json.dumps(record))
    bad["dynamodb"]["NewImage"]["b"] = {"B": base64.b64encode(b"\x00not an event").decode()}
    bad["dynamodb"]["SequenceNumber"] = str(uuid.uuid4().int)[:21]
    bad["eventID"] = uuid.uuid4().hex
    return bad


class FakeContext:
    function_name = "sfr3-test"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sfr3-test"
    aws_request_id = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def create_dedup_table(name: str) -> None:
    """The Powertools-shaped idempotency table (resources/dynamodb.yml), on DynamoDB Local."""
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
