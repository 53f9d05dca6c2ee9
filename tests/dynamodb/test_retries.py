"""Which failures the recorder retries: transient cancellations yes, conflicts never.

DynamoDB Local serialises transactions, so it never answers TransactionConflict or
throttles; these two cases are driven through a client that answers what the real
service can answer (error shapes as the service documents them).
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest
from botocore.exceptions import ClientError
from eventsourcing.persistence import IntegrityError, OperationalError

from sfr3_adapters.dynamodb import base, recorders
from sfr3_adapters.dynamodb.client import dynamodb_client
from sfr3_adapters.dynamodb.recorders import DynamoDBAggregateRecorder, DynamoDBDatastore
from tests.dynamodb.test_recorder_edges import events


def cancelled(*codes: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "TransactionCanceledException", "Message": "cancelled"},
            "CancellationReasons": [{"Code": c} for c in codes],
        },
        "TransactWriteItems",
    )


class ScriptedClient:
    def __init__(self, *answers: ClientError | None) -> None:
        self.answers = list(answers)
        self.calls: list[dict[str, Any]] = []

    def transact_write_items(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        answer = self.answers.pop(0)
        if answer is not None:
            raise answer
        return {}


def recorder_with(client: ScriptedClient) -> DynamoDBAggregateRecorder:
    return DynamoDBAggregateRecorder(DynamoDBDatastore(client, "t", "ns"))


def test_transaction_conflicts_and_throttling_are_retried_with_fresh_tokens() -> None:
    client = ScriptedClient(
        cancelled("TransactionConflict", "None"), cancelled("None", "ThrottlingError"), None
    )
    recorder_with(client).insert_events(events(uuid4(), range(1, 3)))
    assert len(client.calls) == 3
    tokens = {call["ClientRequestToken"] for call in client.calls}
    assert len(tokens) == 3


def test_a_failed_condition_is_an_integrity_error_at_once() -> None:
    client = ScriptedClient(cancelled("ConditionalCheckFailed", "None"), None)
    with pytest.raises(IntegrityError):
        recorder_with(client).insert_events(events(uuid4(), range(1, 3)))
    assert len(client.calls) == 1


def test_endless_conflicts_back_off_then_give_up(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[int] = []
    monkeypatch.setattr(base, "_backoff", waits.append)
    client = ScriptedClient(*[cancelled("TransactionConflict", "None")] * 20)
    with pytest.raises(OperationalError):
        recorder_with(client).insert_events(events(uuid4(), range(1, 3)))
    assert len(client.calls) == recorders.MAX_TRANSIENT_ATTEMPTS
    assert waits == list(range(recorders.MAX_TRANSIENT_ATTEMPTS))  # growing backoff


def test_the_real_client_retries_throttling_in_standard_mode() -> None:
    client = dynamodb_client("http://127.0.0.1:9", "us-east-1")
    assert client.meta.config.retries["mode"] == "standard"
    assert client.meta.config.retries["total_max_attempts"] >= 5
