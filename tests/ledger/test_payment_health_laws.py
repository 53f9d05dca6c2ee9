"""The payment-health read model's laws on each store: in memory, SQLite (`make run`) and
DynamoDB Local (deployed)."""

from __future__ import annotations

import itertools
import uuid
from pathlib import Path

import pytest

from sfr3_adapters.payment_health_sqlite import SQLitePaymentHealthStore
from sfr3_ledger.laws_payment_health import check_payment_health_laws
from sfr3_ledger.read_models.payment_health import InMemoryPaymentHealthStore


def test_laws_in_memory() -> None:
    check_payment_health_laws(InMemoryPaymentHealthStore, max_examples=150)


def test_laws_on_sqlite(tmp_path: Path) -> None:
    counter = itertools.count()
    check_payment_health_laws(
        lambda: SQLitePaymentHealthStore(tmp_path / f"health-{next(counter)}.db"),
        max_examples=40)


@pytest.mark.dynamodb
def test_laws_on_dynamodb_local(dynamodb_local: str) -> None:
    from sfr3_adapters.dynamodb.payment_health import DynamoDBPaymentHealthStore

    pool = [DynamoDBPaymentHealthStore(f"health-{uuid.uuid4().hex[:8]}-{i}",
                                       endpoint_url=dynamodb_local, region_name="us-east-1",
                                       create=True) for i in range(2)]
    turn = itertools.count()

    def make() -> DynamoDBPaymentHealthStore:
        store = pool[next(turn) % 2]
        store.clear()
        return store

    check_payment_health_laws(make, max_examples=10)
