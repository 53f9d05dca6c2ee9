"""A repeat of a retry whose attempt was reserved but never reached Stripe (the provider
was down), after the consent it rested on was withdrawn: the retry job never sends it
again itself; the reservation waits for the recovery job, which sends nothing either:
it lists what Stripe made for the attempt and applies it, or releases the reservation
(tests/jobs/test_recovery_consent.py). Against the local Stripe server.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sfr3_ledger import PaymentStatus
from sfr3_ledger.autopay import AUTOPAY_ACTOR
from sfr3_ledger.recovery import CONSENT_WITHDRAWN
from tests.flows.retry_harness import Harness, retry_harness  # noqa: F401 (fixture)


@pytest.fixture
def h(retry_harness: Harness) -> Harness:  # noqa: F811 (the imported fixture)
    return retry_harness


def _reserved_retry(h: Harness, rid: str) -> tuple[str, str, datetime]:
    """An autopay card payment declined, its retry reserved while Stripe was down."""
    method = h.resident(rid, "pm_card_chargeDeclinedInsufficientFunds")
    h.app.enroll_autopay(rid, enrollment_id=f"apay_{rid}", method_id=method, charge_day=1,
                         actor=rid)
    h.charge(rid, 80_000)
    pid = f"pay_{rid}"
    with pytest.raises(Exception):  # noqa: B017 (declined: PaymentDeclined)
        h.service.pay(rid, amount=80_000, method_id=method, actor=AUTOPAY_ACTOR,
                      payment_id=pid)
    failed = h.app.payment(rid, pid)
    assert (failed.status, failed.retry_status) == (PaymentStatus.FAILED, "SCHEDULED")
    assert failed.retry_at is not None
    h.funds_arrive(rid, method)
    at = failed.retry_at + timedelta(seconds=1)
    h.sandbox.control("fail", {"status": 500, "count": 1})
    assert h.service.retry_payment(rid, pid, now=at) == "pending"
    reserved = h.app.payment(rid, pid)
    assert (reserved.status, reserved.attempt, reserved.stripe_ref) == \
        (PaymentStatus.PENDING, 2, None)
    return method, pid, at


def test_a_repeat_after_autopay_is_cancelled_sends_nothing(h: Harness) -> None:
    rid = "res-rrepeat-cancel"
    _, pid, at = _reserved_retry(h, rid)
    h.app.cancel_autopay(rid, actor=rid)
    before = len(h.intents_for(pid))
    assert h.service.retry_payment(rid, pid, now=at) == "pending"
    assert len(h.intents_for(pid)) == before, "no request made for a withdrawn retry"
    assert h.app.payment(rid, pid).status == PaymentStatus.PENDING


def test_a_repeat_after_the_method_is_removed_leaves_it_to_recovery(h: Harness) -> None:
    rid = "res-rrepeat-removed"
    method, pid, at = _reserved_retry(h, rid)
    h.service.remove_payment_method(rid, method, actor=rid)
    assert h.service.retry_payment(rid, pid, now=at) == "pending"
    assert h.app.payment(rid, pid).status == PaymentStatus.PENDING
    assert h.service.recover_payment(rid, pid) == "failed"
    assert h.app.ledger(rid).payable == 80_000, "the reservation is released"


def test_recovery_of_that_repeat_sends_nothing_and_releases_it(h: Harness) -> None:
    """Attempt 1's declined intent is the same customer's and payment's: it is not attempt
    2's, so nothing is found, nothing is created, and the reservation is released."""
    rid = "res-rrepeat-recover"
    _, pid, _ = _reserved_retry(h, rid)
    h.app.cancel_autopay(rid, actor=rid)
    before = [i["id"] for i in h.intents_for(pid)]
    assert len(before) == 1, "attempt 1's declined intent"
    assert h.service.recover_payment(rid, pid) == "failed"
    assert [i["id"] for i in h.intents_for(pid)] == before, "the resident is not charged"
    payment = h.app.payment(rid, pid)
    assert (payment.status, payment.failure_reason, payment.retry_status) == (
        PaymentStatus.FAILED, CONSENT_WITHDRAWN, None)
    assert h.app.ledger(rid).payable == 80_000
