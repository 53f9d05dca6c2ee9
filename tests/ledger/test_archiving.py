"""Bounded state: finished facts older than the archive window leave the aggregate.

Loads then cost the same after 10 or 5,000 events, while every event stays in the store:
old payments are still found, listed and summed through a full replay.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfr3_ledger import LedgerApplication, PaymentNotFound, PaymentStatus, ResidentLedger
from sfr3_ledger.laws_fact_ids import Clock

R = "res-long"


def snapshot_size(app: LedgerApplication) -> int:
    assert app.snapshots is not None
    ledger_id = ResidentLedger.create_id(R)
    stored = app.snapshots.recorder.select_events(ledger_id, desc=True, limit=1)
    return len(stored[0].state)


def live_months(app: LedgerApplication, clock: Clock, months: int, method: str) -> list[str]:
    paid = []
    for month in range(months):
        app.post_charge(R, amount=2100, charge_type="RENT", description=f"Rent {month}", actor="pm")
        clock.now += timedelta(days=3)
        pid = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment.payment_id
        app.settle_payment(R, pid, stripe_ref=f"pi_{month}")
        paid.append(pid)
        clock.now += timedelta(days=27)
    return paid


def test_state_stays_bounded_while_history_is_complete(
    app: LedgerApplication, clock: Clock
) -> None:
    method = app.enroll_payment_method(
        R, provider_id="pm_1", method_type="CARD", last4="4242", actor=R
    ).method_id
    first_year = live_months(app, clock, 12, method)
    app.apply_refund(R, first_year[1], refund_id="re_old", amount=100, actor="fin")
    later = live_months(app, clock, 12, method)
    size_24 = snapshot_size(app)
    later += live_months(app, clock, 36, method)
    size_60 = snapshot_size(app)

    ledger = app.ledger(R)
    assert ledger.balance == 100, "the refunded 100 is owed again, once"
    assert len(ledger.payments) <= 20 and len(ledger.charges) <= 21
    assert size_60 <= size_24 * 1.2, "snapshot grows with history length"

    old = app.payment(R, first_year[0])
    assert old.status == PaymentStatus.SETTLED and old.amount == 2100
    assert app.payment(R, first_year[1]).refunded == 100
    history = app.payment_history(R)
    assert len(history) == 60 and history[-1].payment_id == first_year[0]
    recent = app.payment_history(R, start=clock.now - timedelta(days=90))
    assert [p.payment_id for p in recent] == list(reversed(later[-3:]))
    # A duplicate settlement of an archived payment is refused, never re-applied.
    with pytest.raises(PaymentNotFound):
        app.settle_payment(R, first_year[0])
    assert app.balance(R) == 100
    assert app.balance_as_of(R, datetime(2020, 6, 10, tzinfo=UTC)) == 0
    assert app.balance_as_of(R, datetime(2020, 5, 31, tzinfo=UTC)) == 2100


def test_overpayment_waits_for_the_next_charge_and_refunds_reinstate_it(
    app: LedgerApplication, clock: Clock
) -> None:
    method = app.enroll_payment_method(
        R, provider_id="pm_1", method_type="CARD", last4="4242", actor=R
    ).method_id
    app.post_charge(
        R, amount=1000, charge_type="RENT", description="Rent", actor="pm", charge_id="rent-1"
    )
    app.apply_credit(R, amount=1500, reason="move-in credit", actor="fin", credit_id="crd-1")
    ledger = app.ledger(R)
    assert ledger.balance == -500 and ledger.unallocated == {"crd-1": 500}
    app.post_charge(
        R, amount=2000, charge_type="RENT", description="Rent", actor="pm", charge_id="rent-2"
    )
    assert [(a.source, a.charge_id, a.amount) for a in app.allocations(R)] == [
        ("crd-1", "rent-1", 1000),
        ("crd-1", "rent-2", 500),
    ]
    pid = app.initiate_payment(R, amount=1500, method_id=method, actor=R).payment.payment_id
    app.settle_payment(R, pid)
    assert app.outstanding_charges(R) == []
    app.apply_refund(R, pid, refund_id="re_1", amount=400, actor="fin")
    outstanding = app.outstanding_charges(R)
    assert [(o.charge.charge_id, o.remaining) for o in outstanding] == [("rent-2", 400)]
    assert app.balance(R) == 400
