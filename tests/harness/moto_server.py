"""moto in server mode (real HTTP) for every AWS service except DynamoDB.

DynamoDB goes to DynamoDB Local instead: moto's DynamoDB loses updates under concurrent
transactions (SPEC §5).
"""

from __future__ import annotations

import os
import sys
import urllib.request
from collections.abc import Iterator

import pytest

from tests.harness.procs import free_port, running

FAKE_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """The moto server's base URL; also exported as AWS_ENDPOINT_URL for boto3."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    os.environ.update(FAKE_AWS_ENV)
    # The running interpreter's moto, in its own process (not sharing the tests' GIL).
    cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    with running(cmd, f"{url}/moto-api/", log_name="moto"):
        previous = os.environ.get("AWS_ENDPOINT_URL")
        os.environ["AWS_ENDPOINT_URL"] = url
        try:
            yield url
        finally:
            if previous is None:
                os.environ.pop("AWS_ENDPOINT_URL", None)
            else:
                os.environ["AWS_ENDPOINT_URL"] = previous


@pytest.fixture
def moto(moto_server: str) -> str:
    """A moto server with all state cleared before the test."""
    req = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(req, timeout=10).close()
    return moto_server
