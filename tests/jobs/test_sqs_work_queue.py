"""SQSWorkQueue on moto's SQS: work items round-trip in batches of ten, only rejected
entries are sent again, and entries rejected to the end raise."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import boto3
import pytest

from sfr3_adapters.sqs import QueueSendFailed, SQSWorkQueue
from sfr3_ledger.jobs import WorkItem
from tests.jobs.sqs_support import CHI, drain, item

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]


def test_work_items_round_trip_through_sqs_in_batches_of_ten(queue_url: str) -> None:
    calls: list[int] = []
    sqs = boto3.session.Session().client("sqs", region_name="us-east-1")
    sqs.meta.events.register(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **_: calls.append(len(params["Entries"])))
    items = [item(n) for n in range(25)] + [
        WorkItem("late-fees", "res-x", CHI, date(2025, 3, 8), date(2025, 3, 8),
                 charge_id="L-1:rent:2025-03", assess_on=date(2025, 3, 8))]
    SQSWorkQueue(queue_url, sqs).send(items)
    assert sorted(calls) == [6, 10, 10]
    received = [WorkItem.from_json(json.loads(r["body"])) for r in drain(queue_url)]
    assert sorted(received, key=lambda i: i.resident_id) == sorted(
        items, key=lambda i: i.resident_id)


class FlakyClient:
    """SendMessageBatch that rejects chosen entries a number of times."""

    def __init__(self, reject: dict[str, int]) -> None:
        self.reject = reject  # residentId -> how many more times to reject it
        self.sent: list[list[str]] = []

    def send_message_batch(
        self, QueueUrl: str, Entries: list[dict[str, str]]  # boto3 keyword names
    ) -> dict[str, Any]:
        residents = [json.loads(e["MessageBody"])["residentId"] for e in Entries]
        self.sent.append(residents)
        failed = []
        for entry, resident in zip(Entries, residents, strict=True):
            if self.reject.get(resident, 0) > 0:
                self.reject[resident] -= 1
                failed.append({"Id": entry["Id"], "Code": "InternalError", "SenderFault": False})
        return {"Successful": [], "Failed": failed}


def test_only_rejected_entries_are_sent_again() -> None:
    client = FlakyClient({"res-003": 2, "res-007": 1})
    SQSWorkQueue("url", client, sleep=lambda _: None, parallel=1).send(
        [item(n) for n in range(10)])
    assert client.sent[0] == [f"res-{n:03d}" for n in range(10)]
    assert client.sent[1:] == [["res-003", "res-007"], ["res-003"]]


def test_entries_rejected_to_the_end_raise() -> None:
    client = FlakyClient({"res-004": 99})
    with pytest.raises(QueueSendFailed, match="1 of 12"):
        SQSWorkQueue("url", client, sleep=lambda _: None, max_attempts=3).send(
            [item(n) for n in range(12)])
    assert sum(r.count("res-004") for r in client.sent) == 3
