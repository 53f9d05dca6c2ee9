"""The schedules' laws (sfr3_ledger/laws_schedules.py) on every backend in `ledger_env`."""

from __future__ import annotations

import os

from sfr3_adapters.read_models_sqlite import SQLiteScheduleIndex
from sfr3_ledger.laws_schedules import check_schedule_laws

EXAMPLES = int(os.environ.get("SFR3_SCHEDULE_LAW_EXAMPLES", "120"))


def test_recurring_charges_and_late_fees_obey_their_laws(ledger_env: dict[str, str]) -> None:
    examples = EXAMPLES if ledger_env["PERSISTENCE_MODULE"] != "sfr3_adapters.dynamodb" else 6
    check_schedule_laws(ledger_env, lambda: SQLiteScheduleIndex(":memory:"),
                        max_examples=examples, steps=30)
