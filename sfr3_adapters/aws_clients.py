"""boto3 clients for the backbone's AWS services, one per service and process.

Endpoints come from the environment (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`),
which boto3 reads itself: tests and local runs point them at moto or DynamoDB Local,
deployed Lambdas leave them unset.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

RETRIES = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=5,
    read_timeout=20,
)

_clients: dict[str, Any] = {}
_lock = threading.Lock()


def client(service_name: str) -> Any:
    with _lock:
        found = _clients.get(service_name)
        if found is None:
            found = boto3.session.Session().client(service_name, config=RETRIES)
            _clients[service_name] = found
        return found


def reset() -> None:
    """Forget cached clients (tests change endpoints between sessions)."""
    with _lock:
        _clients.clear()
