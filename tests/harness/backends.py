"""Persistence backends the ledger laws run against, as eventsourcing environments.

Every ledger test takes the `ledger_env` fixture, so the same laws run on each backend
without editing the tests. A backend is added here once its recorder passes the
library's own recorder test cases.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.dynamodb_local import tables_without_stream

BACKENDS = ["popo", "sqlite", "dynamodb"]


def backend_env(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    if name == "popo":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if name == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(tmp_path / f"ledger-{uuid.uuid4().hex}.db"),
        }
    if name == "dynamodb":
        endpoint = request.getfixturevalue("dynamodb_local")
        table = f"ledger-{uuid.uuid4().hex[:12]}"
        tables_without_stream(endpoint, table)  # nothing here reads the stream
        return {
            "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
            "DYNAMODB_TABLE": table,
            "DYNAMODB_ENDPOINT_URL": endpoint,
            "CREATE_TABLE": "y",
        }
    raise ValueError(name)


@pytest.fixture(params=BACKENDS)
def ledger_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    yield backend_env(request.param, request, tmp_path)
