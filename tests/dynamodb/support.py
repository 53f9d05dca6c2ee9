"""Shared helpers: a fresh namespace per test in one table (cheaper than a table each)."""

from __future__ import annotations

import os
import uuid

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
