"""Two payments racing on one resident can never together overpay.

The payable balance (balance less pending payments) lives in the one ResidentLedger
aggregate, so both racers read the same version; the store lets only one of them append
the next version, and the loser's retry sees the winner's PENDING payment.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from sfr3_ledger import AmountExceedsBalance, LedgerApplication, ResidentLedger

R = "res-race"


@pytest.fixture
def app(ledger_env: dict[str, str]) -> LedgerApplication:
    app = LedgerApplication(env=ledger_env)
    app.post_charge(R, amount=2100, charge_type="RENT", description="Rent", actor="pm")
    return app


@pytest.fixture
def method(app: LedgerApplication) -> str:
    return app.enroll_payment_method(
        R, provider_id="pm_card_visa", method_type="CARD", last4="4242", actor=R
    ).method_id


def test_second_writer_of_the_same_version_is_refused(app: LedgerApplication) -> None:
    ledger_id = ResidentLedger.create_id(R)
    first = app.repository.get(ledger_id)
    second = app.repository.get(ledger_id)
    assert first.version == second.version
    first.initiate_payment(payment_id="pay_a", amount=2100, method_id="m", actor=R)
    second.initiate_payment(payment_id="pay_b", amount=2100, method_id="m", actor=R)
    app.save(first)
    with pytest.raises(IntegrityError):
        app.save(second)
    stored = app.ledger(R)
    assert list(stored.payments) == ["pay_a"]
    assert stored.payable == 0


def test_two_concurrent_full_payments_one_wins_one_is_refused(
    app: LedgerApplication, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both commands decide on the same stored state before either saves."""
    barrier = threading.Barrier(2, timeout=10)
    seen = threading.local()
    original = ResidentLedger.initiate_payment

    def racing(self: ResidentLedger, **kwargs: Any) -> Any:
        result = original(self, **kwargs)
        if not getattr(seen, "waited", False):
            seen.waited = True
            barrier.wait()  # both have decided against the same version now
        return result

    monkeypatch.setattr(ResidentLedger, "initiate_payment", racing)
    outcomes: list[object] = []

    def pay() -> None:
        try:
            outcomes.append(app.initiate_payment(R, amount=2100, method_id=method, actor=R))
        except AmountExceedsBalance as exc:
            outcomes.append(exc)

    threads = [threading.Thread(target=pay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    refused = [o for o in outcomes if isinstance(o, AmountExceedsBalance)]
    assert len(outcomes) == 2 and len(refused) == 1
    assert refused[0].balance == 0 and refused[0].pending == 2100
    ledger = app.ledger(R)
    assert len(ledger.payments) == 1
    assert ledger.pending_total == 2100 and ledger.payable == 0


def test_many_concurrent_partial_payments_never_exceed_the_balance(
    app: LedgerApplication, method: str
) -> None:
    accepted: list[int] = []
    lock = threading.Lock()

    def pay(amount: int) -> None:
        try:
            app.initiate_payment(R, amount=amount, method_id=method, actor=R)
        except AmountExceedsBalance:
            return
        with lock:
            accepted.append(amount)

    threads = [threading.Thread(target=pay, args=(700,)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(accepted) == 2100 == app.ledger(R).pending_total
