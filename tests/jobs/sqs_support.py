"""What the deployed-jobs tests share: `drain` (a queue's messages as the records of
Lambda's SQS event), `item` (a work item) and `project` (the stream's records through the
schedule projection). Their fixtures (the moto queues, the `deployed` environment) are in
tests/jobs/conftest.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from sfr3_adapters import aws_clients
from sfr3_lambdas.jobs import projection
from sfr3_ledger.jobs import WorkItem
from tests.backbone.support import FakeContext, StreamReader, log_records

CHI = "America/Chicago"


def item(n: int, job: str = "recurring-charges") -> WorkItem:
    return WorkItem(job, f"res-{n:03d}", CHI, date(2025, 3, 1), date(2025, 3, 3))  # type: ignore[arg-type]


def drain(url: str) -> list[dict[str, Any]]:
    """Every message on the queue, as the records of Lambda's SQS event (then deleted)."""
    sqs = aws_clients.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    records: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            return records
        for m in messages:
            records.append({
                "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"], "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "us-east-1",
            })
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def project(reader: StreamReader) -> list[str]:
    records = log_records(reader.read())
    # The schedule read model's step of the stream's second reader (read_models.handler, its
    # Lambda entry point, is run with a context in tests/jobs/test_finance_lambdas.py).
    response = projection.handle({"Records": records}, FakeContext())
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]
