"""Every test here talks to DynamoDB Local over HTTP (started once per session)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _dynamodb_local_running(dynamodb_local: str) -> str:
    """Also for the library's unittest cases, which read the endpoint from the
    environment (AWS_ENDPOINT_URL_DYNAMODB, exported by the harness)."""
    return dynamodb_local
