"""The ledger's laws on generated histories, on every backend in `ledger_env`.

`SFR3_LAW_EXAMPLES` sets the number of histories per backend (CI: 200).
"""

from __future__ import annotations

import os

from sfr3_ledger.laws import check_ledger_laws

EXAMPLES = int(os.environ.get("SFR3_LAW_EXAMPLES", "200"))


def test_ledger_laws_hold_on_generated_histories(ledger_env: dict[str, str]) -> None:
    check_ledger_laws(ledger_env, max_examples=EXAMPLES)


def test_ledger_laws_hold_without_snapshots(ledger_env: dict[str, str]) -> None:
    check_ledger_laws({**ledger_env, "SFR3_SNAPSHOT_INTERVAL": "0"}, max_examples=EXAMPLES // 4)


def test_ledger_laws_hold_with_a_snapshot_every_other_event(ledger_env: dict[str, str]) -> None:
    check_ledger_laws({**ledger_env, "SFR3_SNAPSHOT_INTERVAL": "2"}, max_examples=EXAMPLES // 4)
