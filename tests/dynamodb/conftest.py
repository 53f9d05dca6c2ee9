"""Every test here talks to DynamoDB Local over HTTP (started once per session)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex
from sfr3_adapters.read_models_sqlite import SQLiteScheduleIndex
from sfr3_ledger.read_models.schedule import ScheduleIndex
from tests.dynamodb.schedule_support import client


@pytest.fixture(autouse=True)
def _dynamodb_local_running(dynamodb_local: str) -> str:
    """Also for the library's unittest cases, which read the endpoint from the
    environment (AWS_ENDPOINT_URL_DYNAMODB, exported by the harness)."""
    return dynamodb_local


@pytest.fixture(params=["sqlite", "dynamodb"])
def index(request: pytest.FixtureRequest, tmp_path: Path,
          dynamodb_local: str) -> Iterator[ScheduleIndex]:
    """The schedule index port on SQLite and on DynamoDB Local (test_schedule_*.py): the
    DynamoDB one must behave exactly as the SQLite one. A small page size makes the
    DynamoDB queries page."""
    if request.param == "sqlite":
        sqlite = SQLiteScheduleIndex(tmp_path / "read-models.db")
        yield sqlite
        sqlite.close()
        return
    dynamo = DynamoDBScheduleIndex(f"schedule-{uuid.uuid4().hex[:12]}",
                                   client=client(dynamodb_local), page_size=7)
    dynamo.create_table()
    yield dynamo
    dynamo.client.delete_table(TableName=dynamo.table_name)
