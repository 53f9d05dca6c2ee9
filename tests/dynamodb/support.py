"""Shared helpers: a fresh namespace per test in one table (cheaper than a table each)."""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

from sfr3_adapters.dynamodb.client import dynamodb_client
from sfr3_adapters.dynamodb.recorders import COUNTER, DynamoDBDatastore

TABLE = "sfr3-recorder-tests"


def endpoint() -> str:
    return os.environ["AWS_ENDPOINT_URL_DYNAMODB"]


def fresh_datastore(table: str = TABLE, notifications: str = COUNTER) -> DynamoDBDatastore:
    datastore = DynamoDBDatastore(
        client=dynamodb_client(endpoint(), "us-east-1"),
        base_table=table,
        namespace=f"t{uuid.uuid4().hex[:12]}",
        notifications=notifications,
    )
    datastore.ensure("events")
    datastore.ensure("snapshots")
    return datastore


def requests_in_this_thread(client: Any) -> list[str]:
    """The names of the API calls `client` makes from now on, in the calling thread only:
    the client is the process's for its endpoint, and another test's live stack (its
    followers) may poll through it meanwhile."""
    calls: list[str] = []
    me = threading.get_ident()

    def record(model: Any, **_: Any) -> None:
        if threading.get_ident() == me:
            calls.append(model.name)

    client.meta.events.register("before-call.dynamodb", record)
    return calls
