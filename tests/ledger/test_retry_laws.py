"""The retry and recovery laws (sfr3_ledger/laws_retries.py) on every backend in `ledger_env`."""

from __future__ import annotations

import os

from sfr3_adapters.payment_watch_sqlite import SQLitePaymentWatch
from sfr3_ledger.laws_retries import check_retry_laws

EXAMPLES = int(os.environ.get("SFR3_RETRY_LAW_EXAMPLES", "60"))


def test_retries_and_recovery_obey_their_laws(ledger_env: dict[str, str]) -> None:
    remote = ledger_env["PERSISTENCE_MODULE"] == "sfr3_adapters.dynamodb"
    check_retry_laws(ledger_env, lambda: SQLitePaymentWatch(":memory:"),
                     max_examples=2 if remote else EXAMPLES, steps=20 if remote else 30)
