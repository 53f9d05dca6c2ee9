"""`sfr3 reconcile rebuild` (FinanceProjections.rebuild) while the ledger keeps writing:
the stored position is the last notification the rebuild read, so a payment settled
while it ran is projected by the next catch-up instead of being skipped for good."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sfr3_dev.finance import FinanceProjections
from sfr3_ledger import LedgerApplication


def settle(app: LedgerApplication, rid: str, amount: int) -> None:
    app.post_charge(rid, amount=amount, charge_type="RENT", description="Rent", actor="pm")
    method = app.enroll_payment_method(rid, provider_id=f"pm_{rid}", method_type="CARD",
                                       last4="4242", actor=rid).method_id
    pid = app.initiate_payment(rid, amount=amount, method_id=method,
                               actor=rid).payment.payment_id
    app.settle_payment(rid, pid, stripe_ref=f"pi_{rid}")


def settled_residents(projections: FinanceProjections) -> set[str]:
    from datetime import UTC, datetime

    return {f.resident_id for f in projections.settled.facts_on(datetime.now(UTC).date())}


def test_a_payment_settled_during_a_rebuild_is_projected_by_the_next_catch_up(
        tmp_path: Path) -> None:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                 "SQLITE_DBNAME": str(tmp_path / "ledger.db")})
    settle(app, "res-before", 1_000)
    projections = FinanceProjections(app, tmp_path)
    read = projections._batches
    passes = 0

    def batches(start: int | None) -> Iterator[tuple[list[Any], int]]:
        nonlocal passes
        yield from read(start)
        passes += 1
        if passes == 2:  # the rebuild's last pass has read the log to its end
            settle(app, "res-during", 2_000)

    projections._batches = batches  # type: ignore[method-assign]
    projections.rebuild()
    projections._batches = read  # type: ignore[method-assign]
    assert settled_residents(projections) == {"res-before"}
    projections.catch_up()
    assert settled_residents(projections) == {"res-before", "res-during"}
    app.close()
