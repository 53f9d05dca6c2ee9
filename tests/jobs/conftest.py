"""Fixtures of the deployed-jobs tests (tests/jobs/test_jobs_lambdas.py,
test_autopay_sweep_lambdas.py, test_notifications_lambda.py, test_sqs_work_queue.py): the
work queues on moto's SQS, and `deployed`, the jobs Lambdas' environment (the ledger and
the schedule table on DynamoDB Local, the queues on moto). A module's own fixture of the
same name wins over these."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sfr3_adapters import aws_clients
from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex
from sfr3_lambdas import wiring
from sfr3_lambdas.jobs import projection


@pytest.fixture
def queue_url(moto: str) -> str:
    aws_clients.reset()
    return str(aws_clients.client("sqs").create_queue(
        QueueName=f"jobs-{uuid.uuid4().hex[:8]}")["QueueUrl"])


@pytest.fixture
def payments_queue_url(queue_url: str) -> str:
    return str(aws_clients.client("sqs").create_queue(
        QueueName=f"jobs-payments-{uuid.uuid4().hex[:8]}")["QueueUrl"])


@pytest.fixture
def deployed(queue_url: str, payments_queue_url: str, dynamodb_local: str,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:10]
    env = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": f"jobs-ledger-{suffix}",
        "CREATE_TABLE": "y",
        "SCHEDULE_TABLE": f"jobs-schedule-{suffix}",
        "JOBS_QUEUE_URL": queue_url,
        "JOBS_PAYMENTS_QUEUE_URL": payments_queue_url,
        "SCHEDULED_TIME_ZONES": "America/New_York,America/Chicago",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    DynamoDBScheduleIndex(env["SCHEDULE_TABLE"]).create_table()
    wiring.reset()
    projection.reset()
    yield env
    projection.reset()
    wiring.reset()
