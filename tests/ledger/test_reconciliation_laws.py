"""The reconciliation's matching laws (sfr3_ledger/laws_reconciliation.py)."""

from __future__ import annotations

from sfr3_ledger.laws_reconciliation import check_reconciliation_laws


def test_every_line_of_a_drifted_day_is_reported_once_in_its_class() -> None:
    check_reconciliation_laws()
