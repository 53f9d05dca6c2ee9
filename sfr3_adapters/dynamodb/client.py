"""The boto3 client and table creation.

Transient failures (throttling, 5xx, connection resets) are retried by botocore's
"standard" retry mode with exponential backoff and jitter. A write the recorder sends
is never ambiguous on retry: every `TransactWriteItems` carries a `ClientRequestToken`,
so a retried request that had in fact succeeded is answered as a success, not as a
conflict with itself.
"""

from __future__ import annotations

import threading
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError

from sfr3_adapters import aws_clients
from sfr3_adapters.dynamodb import schema

RETRY_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 10},
    # The recorder builds its requests itself; botocore re-walking a 1,000-event
    # request to validate it costs more than the request.
    parameter_validation=False,
    max_pool_connections=32,
    connect_timeout=5,
    read_timeout=30,
)

_clients: dict[tuple[str | None, str | None], Any] = {}
_known_tables: set[tuple[str | None, str]] = set()
_lock = threading.Lock()


def dynamodb_client(endpoint_url: str | None, region_name: str | None) -> Any:
    """One client per endpoint and region for the process (clients are thread-safe and
    slow to build), from the process's one boto3 session (`aws_clients.new_client`).
    Without an explicit endpoint boto3 still honours the environment
    (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL)."""
    key = (endpoint_url, region_name)
    with _lock:
        client = _clients.get(key)
        if client is None:
            client = aws_clients.new_client(
                "dynamodb",
                endpoint_url=endpoint_url or None,
                region_name=region_name or None,
                config=RETRY_CONFIG,
            )
            _clients[key] = client
        return client


def ensure_table(client: Any, definition: dict[str, Any]) -> None:
    """Create the table if it is missing and wait until it is ACTIVE."""
    name = definition["TableName"]
    key = (client.meta.endpoint_url, name)
    if key in _known_tables:
        return
    try:
        client.create_table(**definition)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
            raise
    client.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
    )
    with _lock:
        _known_tables.add(key)


def ensure_tables(client: Any, base_name: str) -> None:
    for definition in schema.table_definitions(base_name):
        ensure_table(client, definition)
