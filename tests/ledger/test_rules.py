"""The ledger's business rules, one behaviour per test, on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sfr3_ledger import (
    AmountExceedsBalance,
    ConflictingFact,
    InvalidAmount,
    InvalidCommand,
    LedgerApplication,
    NoBalanceDue,
    PaymentMethodNotFound,
    PaymentNotFound,
    PaymentNotRefundable,
    PaymentStatus,
    RefundExceedsPayment,
)

R = "res-1"


@pytest.fixture
def app(ledger_env: dict[str, str]) -> LedgerApplication:
    return LedgerApplication(env=ledger_env)


@pytest.fixture
def method(app: LedgerApplication) -> str:
    return app.enroll_payment_method(
        R, provider_id="pm_card_visa", method_type="CARD", last4="4242", brand="visa", actor=R
    ).method_id


def charge(app: LedgerApplication, amount: int = 2100, **kw: object) -> str:
    return app.post_charge(
        R, amount=amount, charge_type="RENT", description="Rent", actor="pm-1", **kw
    ).charge_id


def test_balance_is_charges_minus_settled_payments(app: LedgerApplication, method: str) -> None:
    charge(app, 2100)
    charge(app, 500)
    started = app.initiate_payment(R, amount=1000, method_id=method, actor=R)
    assert (started.current_balance, started.balance_after_payment) == (2600, 1600)
    assert app.balance(R) == 2600, "a PENDING payment does not change the balance"
    app.settle_payment(R, started.payment.payment_id, stripe_ref="pi_1")
    assert app.balance(R) == 1600


@pytest.mark.parametrize("amount", [0, -1, 1.5, "100", True, None, 10**12])
def test_payment_amount_must_be_positive_integer_cents(
    app: LedgerApplication, method: str, amount: object
) -> None:
    charge(app)
    with pytest.raises(InvalidAmount):
        app.initiate_payment(R, amount=amount, method_id=method, actor=R)  # type: ignore[arg-type]
    assert app.ledger(R).payments == {}


def test_no_balance_due_when_balance_is_zero_or_negative(
    app: LedgerApplication, method: str
) -> None:
    with pytest.raises(NoBalanceDue) as info:
        app.initiate_payment(R, amount=100, method_id=method, actor=R)
    assert str(info.value) == "No balance due"
    charge(app, 100)
    app.apply_credit(R, amount=300, reason="goodwill", actor="fin-1")
    assert app.balance(R) == -200
    with pytest.raises(NoBalanceDue):
        app.initiate_payment(R, amount=100, method_id=method, actor=R)


def test_amount_exceeding_balance_carries_the_balance(app: LedgerApplication, method: str) -> None:
    charge(app, 2100)
    with pytest.raises(AmountExceedsBalance) as info:
        app.initiate_payment(R, amount=2101, method_id=method, actor=R)
    assert str(info.value) == "Amount exceeds current balance"
    assert info.value.details() == {"balance": 2100}


def test_pending_payments_count_against_the_payable_balance(
    app: LedgerApplication, method: str
) -> None:
    charge(app, 2100)
    app.initiate_payment(R, amount=1500, method_id=method, actor=R)
    with pytest.raises(AmountExceedsBalance) as info:
        app.initiate_payment(R, amount=700, method_id=method, actor=R)
    assert info.value.balance == 600
    second = app.initiate_payment(R, amount=600, method_id=method, actor=R)
    assert second.balance_after_payment == 0


def test_failed_payment_releases_its_reservation(app: LedgerApplication, method: str) -> None:
    charge(app, 2100)
    first = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment
    app.fail_payment(R, first.payment_id, reason="card_declined", stripe_ref="pi_1")
    assert app.payment(R, first.payment_id).status == PaymentStatus.FAILED
    assert app.payment(R, first.payment_id).failure_reason == "card_declined"
    retry = app.initiate_payment(R, amount=2100, method_id=method, actor=R)
    assert retry.payment.payment_id != first.payment_id


def test_settlement_and_failure_are_idempotent_and_failure_never_unsettles(
    app: LedgerApplication, method: str
) -> None:
    charge(app, 2100)
    pid = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment.payment_id
    app.settle_payment(R, pid, stripe_ref="pi_1")
    version = app.ledger(R).version
    app.settle_payment(R, pid, stripe_ref="pi_1")
    app.fail_payment(R, pid, reason="late failure")
    assert app.ledger(R).version == version
    assert app.payment(R, pid).status == PaymentStatus.SETTLED
    assert app.balance(R) == 0


def test_late_success_after_failure_settles_because_money_moved(
    app: LedgerApplication, method: str
) -> None:
    charge(app, 2100)
    pid = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment.payment_id
    app.fail_payment(R, pid, reason="processing_error")
    app.settle_payment(R, pid)
    assert app.payment(R, pid).status == PaymentStatus.SETTLED
    assert app.ledger(R).pending_total == 0
    assert app.balance(R) == 0


def test_unknown_or_removed_method_is_refused(app: LedgerApplication, method: str) -> None:
    charge(app, 2100)
    with pytest.raises(PaymentMethodNotFound):
        app.initiate_payment(R, amount=100, method_id="meth_nope", actor=R)
    app.remove_payment_method(R, method, actor=R)
    with pytest.raises(PaymentMethodNotFound):
        app.initiate_payment(R, amount=100, method_id=method, actor=R)
    assert app.ledger(R).payments == {}


def test_refunds_only_of_settled_payments_and_never_more_than_paid(
    app: LedgerApplication, method: str
) -> None:
    charge(app, 2100)
    pid = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment.payment_id
    with pytest.raises(PaymentNotRefundable):
        app.apply_refund(R, pid, refund_id="re_0", amount=100, actor="fin")
    app.settle_payment(R, pid)
    app.apply_refund(R, pid, refund_id="re_1", amount=600, actor="fin")
    assert app.payment(R, pid).status == PaymentStatus.PARTIALLY_REFUNDED
    assert app.balance(R) == 600
    with pytest.raises(RefundExceedsPayment) as info:
        app.apply_refund(R, pid, refund_id="re_2", amount=1501, actor="fin")
    assert info.value.refundable == 1500
    app.apply_refund(R, pid, refund_id="re_1", amount=600, actor="fin")  # replayed: no-op
    assert app.balance(R) == 600
    app.apply_refund(R, pid, refund_id="re_3", amount=1500, actor="fin")
    assert app.payment(R, pid).status == PaymentStatus.REFUNDED
    assert app.balance(R) == 2100
    with pytest.raises(PaymentNotRefundable):
        app.ledger(R).refundable_amount(pid)


def test_replayed_refund_id_with_other_details_is_a_conflict(
    app: LedgerApplication, method: str
) -> None:
    charge(app, 2100)
    pid = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment.payment_id
    app.settle_payment(R, pid)
    app.apply_refund(R, pid, refund_id="re_1", amount=600, actor="fin")
    with pytest.raises(ConflictingFact):
        app.apply_refund(R, pid, refund_id="re_1", amount=700, actor="fin")


def test_lost_dispute_reinstates_the_amount_won_dispute_does_not(
    app: LedgerApplication, method: str
) -> None:
    charge(app, 4200)
    pids = []
    for _ in range(2):
        pid = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment.payment_id
        app.settle_payment(R, pid)
        pids.append(pid)
    assert app.balance(R) == 0
    app.open_dispute(R, dispute_id="dp_1", payment_id=pids[0], amount=2100, reason="fraudulent")
    app.open_dispute(R, dispute_id="dp_1", payment_id=pids[0], amount=2100, reason="fraudulent")
    app.submit_dispute_evidence(R, "dp_1", actor="fin")
    assert app.ledger(R).disputes["dp_1"].status == "UNDER_REVIEW"
    app.close_dispute(R, "dp_1", won=False)
    app.close_dispute(R, "dp_1", won=False)
    assert app.balance(R) == 2100
    app.open_dispute(R, dispute_id="dp_2", payment_id=pids[1], amount=2100, reason="duplicate")
    app.close_dispute(R, "dp_2", won=True)
    assert app.balance(R) == 2100
    assert app.ledger(R).disputes["dp_2"].status == "WON"


def test_charges_validate_type_description_state_and_amount(app: LedgerApplication) -> None:
    with pytest.raises(InvalidCommand, match="chargeType"):
        app.post_charge(R, amount=100, charge_type="PIZZA", description="x", actor="pm")
    with pytest.raises(InvalidCommand, match="description"):
        app.post_charge(R, amount=100, charge_type="RENT", description=" ", actor="pm")
    with pytest.raises(InvalidCommand, match="state"):
        app.post_charge(
            R, amount=100, charge_type="RENT", description="x", actor="pm", us_state="ZZ"
        )
    with pytest.raises(InvalidAmount):
        app.post_charge(R, amount=0, charge_type="RENT", description="x", actor="pm")
    assert app.balance(R) == 0


def test_charge_records_property_state_and_actor(app: LedgerApplication) -> None:
    app.post_charge(
        R,
        amount=2100,
        charge_type="RENT",
        description="Rent",
        actor="pm-9",
        charge_id="chg_a",
        due_date=date(2026, 12, 1),
        property_id="prop-7",
        us_state="GA",
    )
    c = app.ledger(R).charges["chg_a"]
    assert (c.posted_by, c.property_id, c.us_state, c.due_date) == (
        "pm-9",
        "prop-7",
        "GA",
        date(2026, 12, 1),
    )
    # Reposting the same charge id is a no-op; with other details a conflict.
    app.post_charge(
        R, amount=2100, charge_type="RENT", description="Rent", actor="pm-9", charge_id="chg_a"
    )
    assert app.balance(R) == 2100
    with pytest.raises(ConflictingFact):
        app.post_charge(
            R, amount=999, charge_type="RENT", description="Rent", actor="pm-9", charge_id="chg_a"
        )


def test_outstanding_charges_are_paid_oldest_due_first(app: LedgerApplication, method: str) -> None:
    app.post_charge(
        R,
        amount=500,
        charge_type="UTILITY",
        description="Water",
        actor="pm",
        due_date=date(2026, 12, 15),
        charge_id="water",
    )
    app.post_charge(
        R,
        amount=2100,
        charge_type="RENT",
        description="Rent",
        actor="pm",
        due_date=date(2026, 12, 1),
        charge_id="rent",
    )
    pid = app.initiate_payment(R, amount=2300, method_id=method, actor=R).payment.payment_id
    app.settle_payment(R, pid)
    outstanding = app.outstanding_charges(R)
    assert [(o.charge.charge_id, o.remaining) for o in outstanding] == [("water", 300)]
    assert [(a.source, a.charge_id, a.amount) for a in app.allocations(R)] == [
        (pid, "rent", 2100),
        (pid, "water", 200),
    ]


def test_payment_history_filters_by_date_range_and_method(
    app: LedgerApplication, method: str
) -> None:
    other = app.enroll_payment_method(
        R, provider_id="pm_bank", method_type="ACH", last4="6789", actor=R
    ).method_id
    charge(app, 5000)
    p1 = app.initiate_payment(R, amount=100, method_id=method, actor=R).payment
    p2 = app.initiate_payment(R, amount=200, method_id=other, actor=R).payment
    history = app.payment_history(R)
    assert [p.payment_id for p in history] == [p2.payment_id, p1.payment_id]
    assert [p.payment_id for p in app.payment_history(R, method_id=other)] == [p2.payment_id]
    assert app.payment_history(R, start=p2.initiated_at) == [app.payment(R, p2.payment_id)]
    assert app.payment_history(R, end=p1.initiated_at) == []
    with pytest.raises(PaymentNotFound):
        app.payment(R, "pay_missing")


def test_balance_as_of_any_past_instant(app: LedgerApplication, method: str) -> None:
    before = datetime.now(UTC)
    charge(app, 2100)
    after_charge = app.ledger(R).modified_on
    pid = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment.payment_id
    app.settle_payment(R, pid)
    assert app.balance_as_of(R, before) == 0
    assert app.balance_as_of(R, after_charge) == 2100
    assert app.balance_as_of(R, datetime.now(UTC)) == 0
    with pytest.raises(InvalidCommand):
        app.balance_as_of(R, datetime(2026, 1, 1))  # naive datetimes are refused


def test_payment_methods_enroll_default_remove(app: LedgerApplication) -> None:
    card = app.enroll_payment_method(
        R, provider_id="pm_1", method_type="CARD", last4="4242", brand="visa", actor=R
    )
    again = app.enroll_payment_method(
        R, provider_id="pm_1", method_type="CARD", last4="4242", brand="visa", actor=R
    )
    assert again.method_id == card.method_id, "the same token enrolled twice is one method"
    bank = app.enroll_payment_method(
        R,
        provider_id="pm_2",
        method_type="ACH",
        last4="6789",
        label="Chase",
        actor=R,
        make_default=True,
    )
    methods = app.payment_methods(R)
    assert methods.default is not None and methods.default.method_id == bank.method_id
    assert methods.methods[card.method_id].label == "visa ••4242"
    app.remove_payment_method(R, bank.method_id, actor=R)
    app.remove_payment_method(R, bank.method_id, actor=R)  # retried DELETE is fine
    assert [m.method_id for m in app.payment_methods(R).active] == [card.method_id]
    with pytest.raises(PaymentMethodNotFound):
        app.remove_payment_method(R, "meth_unknown", actor=R)
    with pytest.raises(InvalidCommand):
        app.enroll_payment_method(R, provider_id="pm_3", method_type="CASH", last4="1", actor=R)


def test_late_fees_once_per_charge(app: LedgerApplication) -> None:
    from sfr3_ledger import LateFeePolicy, late_fees_due

    app.post_charge(
        R,
        amount=2000,
        charge_type="RENT",
        description="Rent",
        actor="pm",
        due_date=date(2026, 11, 1),
        charge_id="rent-nov",
    )
    policy = LateFeePolicy(grace_days=5, percent_bps=500)
    ledger = app.ledger(R)
    assert late_fees_due(ledger, policy, date(2026, 11, 6)) == []
    assert late_fees_due(ledger, policy, date(2026, 11, 7)) == [("rent-nov", 100)]
    app.apply_late_fee(R, "rent-nov", amount=100)
    app.apply_late_fee(R, "rent-nov", amount=100)
    assert app.balance(R) == 2100
    assert late_fees_due(app.ledger(R), policy, date(2026, 11, 30)) == []
    assert LateFeePolicy(flat_cents=7500).fee_for(2000) == 7500
    assert LateFeePolicy(percent_bps=1000, cap_cents=150).fee_for(2000) == 150
    with pytest.raises(InvalidCommand):
        LateFeePolicy()
