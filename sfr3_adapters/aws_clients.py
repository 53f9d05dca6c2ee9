"""boto3 clients for the backbone's AWS services, one per service and process, all from
one boto3 session.

Endpoints come from the environment (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`),
which boto3 reads itself: tests and local runs point them at moto or DynamoDB Local,
deployed Lambdas leave them unset.

Why one session: a boto3 session caches the service models, endpoint rules and
credentials it has loaded. A client from a new session parses them all again (about
90-140 ms for a second DynamoDB client on our 2-core machine; 5 ms from the same session),
and that lands in a cold Lambda's first request: the webhook's first verified event builds
the idempotency store's client and then the ledger's. Sessions are not safe to share
between threads while building clients, so every client is built under one lock; the
clients themselves are thread-safe.
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

_session: boto3.session.Session | None = None
_clients: dict[str, Any] = {}
_lock = threading.RLock()


def new_client(service_name: str, **kwargs: Any) -> Any:
    """A new client from the process's session (the DynamoDB recorder's, with its own
    config; Powertools' stores). Callers cache it: building one still costs a few ms."""
    global _session
    with _lock:
        if _session is None:
            _session = boto3.session.Session()
        return _session.client(service_name, **kwargs)


def client(service_name: str) -> Any:
    """The process's client for `service_name`, with standard retries."""
    with _lock:
        found = _clients.get(service_name)
        if found is None:
            found = new_client(service_name, config=RETRIES)
            _clients[service_name] = found
        return found


def reset() -> None:
    """Forget the session and cached clients (tests change endpoints between sessions)."""
    global _session
    with _lock:
        _clients.clear()
        _session = None
