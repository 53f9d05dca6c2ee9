"""The recovery job never charges without consent, nor twice after Stripe's 24 h key
window: a PENDING payment whose PaymentIntent was never recorded is looked up by listing
the customer's intents (a read) instead of re-sent when autopay's consent was withdrawn
since, or when its reservation is older than the margin inside Stripe's window. Against
the local Stripe server, on SQLite and on DynamoDB Local (the fixtures of
test_recovery.py).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfr3_ledger import PaymentStatus
from sfr3_ledger.autopay import AUTOPAY_ACTOR
from sfr3_ledger.payment_errors import ProviderUnavailableError
from sfr3_ledger.recovery import CONSENT_WITHDRAWN
from tests.flows.retry_harness import Harness
from tests.jobs.test_recovery import LATER, R, _rent, backend, h, watch  # noqa: F401

AMOUNT = 120_000


def _autopay(h: Harness) -> str:  # noqa: F811 (the imported fixture's name)
    method = _rent(h)
    h.app.enroll_autopay(R, enrollment_id="apay_consent", method_id=method, charge_day=1,
                         actor=R)
    return method


def _lost_answer(h: Harness, method: str, pid: str, actor: str) -> None:  # noqa: F811
    """Stripe creates the intent (and charges), the answer and its webhook are lost."""
    h.sandbox.control("fail", {"mode": "drop_response", "count": 1,
                               "path": "/v1/payment_intents"})
    with pytest.raises(ProviderUnavailableError):
        h.service.pay(R, amount=AMOUNT, method_id=method, actor=actor, payment_id=pid)
    h.deliver(drop=True)
    assert h.app.payment(R, pid).stripe_ref is None
    assert len(h.intents_for(pid)) == 1


def _recovered(h: Harness, pid: str) -> list[tuple[str, str]]:  # noqa: F811
    return [(e["data"]["action"], e["data"]["outcome"]) for e in h.envelopes(R)
            if e["eventType"] == "payment.recovered" and e["data"]["paymentId"] == pid]


def test_autopay_cancelled_after_stripe_charged_is_found_and_applied(
        h: Harness) -> None:  # noqa: F811
    method = _autopay(h)
    _lost_answer(h, method, "pay_cons1", AUTOPAY_ACTOR)
    h.app.cancel_autopay(R, actor=R)
    assert h.run("payment-recovery", datetime.now(UTC) + LATER) == ["settled"]
    payment = h.app.payment(R, "pay_cons1")
    assert payment.status == PaymentStatus.SETTLED
    assert [i["id"] for i in h.intents_for("pay_cons1")] == [payment.stripe_ref], \
        "exactly one intent: the one Stripe made under the consent given then"
    assert _recovered(h, "pay_cons1") == [("found", "settled")]
    assert h.app.balance(R) == 0


def test_autopay_cancelled_before_anything_reached_stripe_is_released(
        h: Harness) -> None:  # noqa: F811
    method = _autopay(h)
    h.app.initiate_payment(R, amount=AMOUNT, method_id=method, actor=AUTOPAY_ACTOR,
                           payment_id="pay_cons2")  # reserved, then the process died
    h.app.cancel_autopay(R, actor=R)
    assert h.run("payment-recovery", datetime.now(UTC) + LATER) == ["failed"]
    payment = h.app.payment(R, "pay_cons2")
    assert (payment.status, payment.failure_reason, payment.retry_status) == (
        PaymentStatus.FAILED, CONSENT_WITHDRAWN, None)
    assert h.intents_for("pay_cons2") == [], "nothing created: the resident is not charged"
    assert h.app.ledger(R).payable == AMOUNT and h.app.balance(R) == AMOUNT
    assert _recovered(h, "pay_cons2") == [("released", "failed")]
    assert h.run("payment-recovery", datetime.now(UTC) + 2 * LATER) == []
    assert h.run("payment-retries", datetime.now(UTC) + timedelta(days=2)) == [], \
        "no retry follows"


def test_a_reservation_older_than_the_key_window_is_found_not_made_twice(
        h: Harness) -> None:  # noqa: F811
    method = _rent(h)
    _lost_answer(h, method, "pay_day", R)
    # A day passes (we or Stripe were down): Stripe forgets the key.
    h.sandbox.advance(86_400 + 60)
    assert h.sandbox.control("idempotency/expire", {})["forgotten"] >= 1
    later = datetime.now(UTC) + timedelta(hours=24, minutes=1)
    assert h.run("payment-recovery", later) == ["settled"]
    payment = h.app.payment(R, "pay_day")
    assert [i["id"] for i in h.intents_for("pay_day")] == [payment.stripe_ref], \
        "no second intent: the first was found, not re-created"
    assert _recovered(h, "pay_day") == [("found", "settled")]
    assert h.app.balance(R) == 0


def test_stripe_down_during_the_lookup_leaves_it_pending(h: Harness) -> None:  # noqa: F811
    method = _autopay(h)
    h.app.initiate_payment(R, amount=AMOUNT, method_id=method, actor=AUTOPAY_ACTOR,
                           payment_id="pay_cons3")
    h.app.cancel_autopay(R, actor=R)
    h.sandbox.control("fail", {"status": 500, "count": 1})
    now = datetime.now(UTC)
    assert h.run("payment-recovery", now + LATER) == ["provider unavailable"]
    assert h.app.payment(R, "pay_cons3").status == PaymentStatus.PENDING
    assert _recovered(h, "pay_cons3") == []
    assert h.run("payment-recovery", now + timedelta(hours=1)) == ["failed"]
    assert h.intents_for("pay_cons3") == [], "looked up again, and still nothing sent"
    assert h.app.ledger(R).payable == AMOUNT
