"""Every boto3 client of a process comes from one session (see sfr3_adapters.aws_clients):
a client from a session of its own loads the service's model again, and in a cold webhook
that is the idempotency store's client and then the ledger's, both in the first request."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from sfr3_adapters import aws_clients
from sfr3_adapters.dynamodb import client as dynamodb_client_module
from sfr3_lambdas import wiring


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[boto3.session.Session]]:
    """Every boto3 session built while the test runs, in a process with no clients yet."""
    built: list[boto3.session.Session] = []
    original = boto3.session.Session

    class Counted(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)
            built.append(self)

    monkeypatch.setattr(boto3.session, "Session", Counted)
    monkeypatch.setattr(dynamodb_client_module, "_clients", {})
    monkeypatch.setenv("IDEMPOTENCY_TABLE", "sfr3-test-idempotency")
    monkeypatch.setenv("BACKBONE_DEDUP_TABLE", "sfr3-test-dedup")
    monkeypatch.setattr(wiring, "_built", {})
    aws_clients.reset()
    yield built
    aws_clients.reset()


def test_the_idempotency_stores_and_the_ledger_share_one_session(
        sessions: list[boto3.session.Session]) -> None:
    store = wiring.idempotency_store("aws-clients-test")
    wiring.once_per_event(lambda envelope: envelope)
    ledger_client = dynamodb_client_module.dynamodb_client(None, "us-east-1")
    queue = aws_clients.client("sqs")

    assert len(sessions) == 1
    # Each store has a client of its own (Powertools registers a user-agent feature on
    # it), and the recorder keeps its own config (more retries, a bigger pool).
    assert store.client is not aws_clients.client("dynamodb")  # type: ignore[attr-defined]
    assert ledger_client is not store.client  # type: ignore[attr-defined]
    assert ledger_client.meta.config.retries["total_max_attempts"] == 11
    assert ledger_client.meta.config.max_pool_connections == 32
    assert queue.meta.service_model.service_name == "sqs"


def test_reset_forgets_the_session(sessions: list[boto3.session.Session]) -> None:
    first = aws_clients.client("sqs")
    aws_clients.reset()
    assert aws_clients.client("sqs") is not first
    assert len(sessions) == 2
