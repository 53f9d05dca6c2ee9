"""The payment-health read model's laws on each store: in memory and SQLite (`make run`)."""

from __future__ import annotations

import itertools
from pathlib import Path

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
