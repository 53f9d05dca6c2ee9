"""Refund requests, the minimum payment and free text: the ledger's own rules (issue 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfr3_ledger import (
    DuplicateRefund,
    InvalidAmount,
    InvalidCommand,
    LedgerApplication,
    RefundExceedsPayment,
    ResidentLedger,
)
from sfr3_ledger.ledger import REFUND_DUPLICATE_WINDOW
from sfr3_ledger.values import MIN_PAYMENT_CENTS

R = "res-refunds"


@pytest.fixture
def app(ledger_env: dict[str, str]) -> LedgerApplication:
    return LedgerApplication(env=ledger_env)


def settled(app: LedgerApplication, amount: int = 1000) -> str:
    method = app.enroll_payment_method(
        R, provider_id="pm_card_visa", method_type="CARD", last4="4242", actor=R
    ).method_id
    app.post_charge(R, amount=amount, charge_type="RENT", description="Rent", actor="pm")
    pid = app.initiate_payment(R, amount=amount, method_id=method, actor=R).payment.payment_id
    app.settle_payment(R, pid, stripe_ref="pi_1")
    return pid


def test_requests_reserve_what_they_ask_so_they_never_overlap(app: LedgerApplication) -> None:
    pid = settled(app)
    _, a = app.request_refund(R, pid, amount=600, actor="fin", request_id="rfq_a")
    with pytest.raises(RefundExceedsPayment) as info:
        app.request_refund(R, pid, amount=401, actor="fin", request_id="rfq_b")
    assert info.value.refundable == 400
    _, rest = app.request_refund(R, pid, amount=None, actor="fin", request_id="rfq_c")
    assert (a.amount, rest.amount) == (600, 400)
    # A failed request gives its reservation back; a refund fact may use a reservation.
    app.fail_refund_request(R, pid, "rfq_c", reason="declined")
    assert app.payment(R, pid).refundable == 400
    app.apply_refund(R, pid, refund_id="re_a", amount=600, actor="fin", request_id="rfq_a")
    payment = app.payment(R, pid)
    assert (payment.refunded, payment.refund_pending, payment.refundable) == (600, 0, 400)


def test_a_keyless_request_redrives_one_in_flight_and_refuses_a_double_click() -> None:
    ledger = ResidentLedger(resident_id=R, property_id="", us_state="")
    ledger.post_charge(charge_id="c", amount=1000, charge_type="RENT", description="Rent",
                       actor="pm", due_date=None)
    ledger.initiate_payment(payment_id="p", amount=1000, method_id="m", actor=R)
    ledger.settle_payment(payment_id="p", stripe_ref="pi_1")
    t0 = datetime.now(UTC)
    first = ledger.request_refund(payment_id="p", request_id=None, amount=100, actor="fin",
                                  new_request_id="rfq_1", now=t0)
    again = ledger.request_refund(payment_id="p", request_id=None, amount=100, actor="fin",
                                  new_request_id="rfq_2", now=t0)
    assert again is first, "an identical request in flight is re-driven, not doubled"
    ledger.apply_refund(refund_id="re_1", payment_id="p", amount=100, actor="fin",
                        request_id="rfq_1")
    with pytest.raises(DuplicateRefund):
        ledger.request_refund(payment_id="p", request_id=None, amount=100, actor="fin",
                              new_request_id="rfq_3", now=t0 + timedelta(minutes=1))
    later = ledger.request_refund(payment_id="p", request_id=None, amount=100, actor="fin",
                                  new_request_id="rfq_4",
                                  now=t0 + REFUND_DUPLICATE_WINDOW + timedelta(seconds=1))
    assert later.request_id == "rfq_4"


def test_a_payment_below_the_providers_minimum_is_bad_input(app: LedgerApplication) -> None:
    method = app.enroll_payment_method(
        R, provider_id="pm_card_visa", method_type="CARD", last4="4242", actor=R
    ).method_id
    app.post_charge(R, amount=2100, charge_type="RENT", description="Rent", actor="pm")
    before = app.ledger(R).version
    with pytest.raises(InvalidAmount):
        app.initiate_payment(R, amount=MIN_PAYMENT_CENTS - 1, method_id=method, actor=R)
    assert app.ledger(R).version == before and not app.ledger(R).payments
    app.initiate_payment(R, amount=MIN_PAYMENT_CENTS, method_id=method, actor=R)


@pytest.mark.parametrize("text", ["Rent\r\nBcc: x@evil", "Rent\x00", "Rent\u2028more", "\x1b[31m"])
def test_free_text_with_control_characters_is_refused(app: LedgerApplication, text: str) -> None:
    with pytest.raises(InvalidCommand):
        app.post_charge(R, amount=100, charge_type="OTHER", description=text, actor="pm")
    assert app.balance(R) == 0
