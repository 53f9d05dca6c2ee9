"""Failed payments retried (issue 13): the policy table, attempts on the ledger, the payable
balance re-checked before each retry, exhaustion; against the local Stripe server's decline
tokens through the official SDK, with the payment-watch read model fed from the log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfr3_ledger import PaymentStatus
from sfr3_ledger.autopay import AUTOPAY_ACTOR
from sfr3_ledger.integration_events import ResidentResolver, envelopes_for
from sfr3_ledger.payment_errors import PaymentDeclined
from sfr3_ledger.provider_events import named_attempt
from sfr3_ledger.retries import RetryPolicy, is_retryable, parse_delays
from tests.flows.retry_harness import Harness, retry_harness  # noqa: F401 (fixture)

R = "res-retry"


@pytest.fixture
def h(retry_harness: Harness) -> Harness:  # noqa: F811 (the imported fixture)
    return retry_harness


def test_the_policy_table() -> None:
    for code in ("insufficient_funds", "R01", "processing_error", "generic_decline"):
        assert is_retryable(code), code
    for code in ("stolen_card", "lost_card", "authentication_required", "account_closed",
                 "R02", "debit_not_authorized", "payment_method_removed", "whatever", None):
        assert not is_retryable(code), code
    policy = RetryPolicy.from_env({"SFR3_RETRY_MAX_ATTEMPTS": "4", "SFR3_RETRY_DELAYS": "30m,2h"})
    assert policy.max_attempts == 4
    assert [policy.delay_after(n) for n in (1, 2, 3)] == [
        timedelta(minutes=30), timedelta(hours=2), timedelta(hours=2)]
    with pytest.raises(ValueError):
        parse_delays("4x")
    t0 = datetime(2027, 1, 1, tzinfo=UTC)
    assert RetryPolicy().decide("insufficient_funds", 3, t0).exhausted
    assert RetryPolicy().decide("insufficient_funds", 2, t0).retry_at == t0 + timedelta(hours=8)
    assert RetryPolicy().decide("lost_card", 1, t0).retry_at is None


def test_insufficient_funds_then_success_on_the_second_attempt(h: Harness) -> None:
    method = h.resident(R, "pm_card_chargeDeclinedInsufficientFunds")
    h.charge(R, 150_000)
    with pytest.raises(PaymentDeclined) as declined:
        h.service.pay(R, amount=150_000, method_id=method, actor=R, payment_id="pay_r1")
    assert declined.value.retry_at is not None
    assert "nextAttemptAt" in declined.value.details()
    failed = h.app.payment(R, "pay_r1")
    assert (failed.status, failed.retry_status, failed.attempt) == (
        PaymentStatus.FAILED, "SCHEDULED", 1)
    assert failed.retry_at is not None
    assert h.app.ledger(R).payable == 150_000, "nothing is held between attempts"

    # Not due yet: nothing happens.
    assert h.run("payment-retries", failed.retry_at - timedelta(minutes=1)) == []
    h.funds_arrive(R, method)
    assert h.run("payment-retries", failed.retry_at + timedelta(minutes=1)) == ["retried"]
    retried = h.app.payment(R, "pay_r1")
    assert (retried.status, retried.attempt, retried.amount) == (PaymentStatus.PENDING, 2, 150_000)
    assert retried.stripe_ref and retried.stripe_ref != failed.stripe_ref
    h.deliver()
    settled = h.app.payment(R, "pay_r1")
    assert settled.status == PaymentStatus.SETTLED and h.app.balance(R) == 0
    assert [(a.number, a.reason) for a in settled.attempts] == [(1, "insufficient_funds")]
    # Each attempt is its own PaymentIntent, with its own idempotency key and attempt number.
    intents = h.intents_for("pay_r1")
    # (The first carries no `attempt`: its parameters are those of before retries.)
    assert sorted(named_attempt(i["metadata"]) for i in intents) == [1, 2]
    # A second run changes nothing.
    assert h.run("payment-retries", failed.retry_at + timedelta(days=3)) == []
    types = [e["eventType"] for e in h.envelopes(R)]
    assert types.count("payment.failed") == 1 and types.count("payment.retry_started") == 1
    assert "payment.permanently_failed" not in types


def test_three_failures_exhaust_the_attempts(h: Harness) -> None:
    method = h.resident(R, "pm_card_chargeDeclinedInsufficientFunds")
    h.charge(R, 90_000)
    with pytest.raises(PaymentDeclined):
        h.service.pay(R, amount=90_000, method_id=method, actor=R, payment_id="pay_r3")
    at = h.app.payment(R, "pay_r3").retry_at
    assert at is not None
    assert h.run("payment-retries", at + timedelta(seconds=1)) == ["declined"]
    second = h.app.payment(R, "pay_r3")
    assert second.attempt == 2 and second.retry_at is not None
    # 8 h after the second failure (4 h after the first).
    assert second.retry_at - second.attempts[-1].failed_at == timedelta(hours=8)
    assert at - second.attempts[0].failed_at == timedelta(hours=4)
    assert h.run("payment-retries", second.retry_at + timedelta(seconds=1)) == ["declined"]
    final = h.app.payment(R, "pay_r3")
    assert (final.status, final.retry_status, final.attempt) == (
        PaymentStatus.FAILED, "EXHAUSTED", 3)
    assert [a.number for a in final.attempts] == [1, 2, 3]
    assert h.run("payment-retries", second.retry_at + timedelta(days=30)) == []
    envelopes = h.envelopes(R)
    permanent = [e for e in envelopes if e["eventType"] == "payment.permanently_failed"]
    assert len(permanent) == 1
    assert permanent[0]["data"]["failureReason"] == "insufficient_funds"
    assert permanent[0]["data"]["attempts"] == 3
    assert len(h.intents_for("pay_r3")) == 3


def test_a_non_retryable_decline_is_not_retried(h: Harness) -> None:
    method = h.resident(R, "pm_card_chargeDeclinedLostCard")
    h.charge(R, 50_000)
    with pytest.raises(PaymentDeclined) as declined:
        h.service.pay(R, amount=50_000, method_id=method, actor=R, payment_id="pay_lost")
    assert declined.value.retry_at is None
    payment = h.app.payment(R, "pay_lost")
    assert payment.retry_status is None and payment.retry_at is None
    assert h.run("payment-retries", datetime.now(UTC) + timedelta(days=5)) == []
    [failed] = [e for e in h.envelopes(R) if e["eventType"] == "payment.failed"]
    assert failed["data"]["retryable"] is False and "retryAt" not in failed["data"]


def test_a_manual_payment_between_attempts_shrinks_or_cancels_the_retry(h: Harness) -> None:
    bad = h.resident(R, "pm_card_chargeDeclinedInsufficientFunds")
    good = h.service.enroll_payment_method(R, method_type="card",
                                           provider_method_id="pm_card_visa", actor=R).method_id
    h.charge(R, 100_000)
    with pytest.raises(PaymentDeclined):
        h.service.pay(R, amount=100_000, method_id=bad, actor=R, payment_id="pay_m1")
    # The resident pays 60,000 by hand meanwhile (settled): 40,000 is still owed.
    h.service.pay(R, amount=60_000, method_id=good, actor=R, payment_id="pay_manual")
    h.deliver()
    assert h.app.balance(R) == 40_000
    h.funds_arrive(R, bad)
    at = h.app.payment(R, "pay_m1").retry_at
    assert at is not None
    assert h.run("payment-retries", at + timedelta(seconds=1)) == ["retried"]
    assert h.app.payment(R, "pay_m1").amount == 40_000, "only what is still owed"
    h.deliver()
    assert h.app.balance(R) == 0

    # A second failed payment, then the rest is paid by hand while a payment is in
    # flight: the retry finds nothing payable and is cancelled.
    h.charge(R, 30_000)
    h.behave(R, bad, "pm_card_chargeDeclinedInsufficientFunds")
    with pytest.raises(PaymentDeclined):
        h.service.pay(R, amount=30_000, method_id=bad, actor=R, payment_id="pay_m2")
    h.service.pay(R, amount=30_000, method_id=good, actor=R, payment_id="pay_manual2")
    at = h.app.payment(R, "pay_m2").retry_at
    assert at is not None
    assert h.run("payment-retries", at + timedelta(seconds=1)) == ["cancelled"]
    cancelled = h.app.payment(R, "pay_m2")
    assert cancelled.retry_status == "CANCELLED: nothing payable"
    assert cancelled.status == PaymentStatus.FAILED
    h.deliver()
    assert h.app.balance(R) == 0 and len(h.intents_for("pay_m2")) == 1


def test_a_removed_method_is_never_retried(h: Harness) -> None:
    method = h.resident(R, "pm_card_chargeDeclinedInsufficientFunds")
    h.charge(R, 70_000)
    with pytest.raises(PaymentDeclined):
        h.service.pay(R, amount=70_000, method_id=method, actor=R, payment_id="pay_rm")
    h.service.remove_payment_method(R, method, actor=R)
    at = h.app.payment(R, "pay_rm").retry_at
    assert at is not None
    assert h.run("payment-retries", at + timedelta(seconds=1)) == ["cancelled"]
    assert h.app.payment(R, "pay_rm").retry_status == "CANCELLED: payment method removed"
    assert len(h.intents_for("pay_rm")) == 1


@pytest.mark.parametrize("withdraw", ["cancel", "pause"])
def test_an_autopay_debit_is_not_retried_once_autopay_is_withdrawn(
        h: Harness, withdraw: str) -> None:
    """The retry of an autopay debit rests on the enrollment's consent: paused or
    cancelled autopay cancels the retry, and no further PaymentIntent is made."""
    rid = f"{R}-ap-{withdraw}"
    method = h.resident(rid, "pm_card_chargeDeclinedInsufficientFunds")
    h.app.enroll_autopay(rid, enrollment_id=f"apay_{rid}", method_id=method, charge_day=1,
                         actor=rid)
    h.charge(rid, 80_000)
    with pytest.raises(PaymentDeclined):
        h.service.pay(rid, amount=80_000, method_id=method, actor=AUTOPAY_ACTOR,
                      payment_id="pay_ap_w")
    at = h.app.payment(rid, "pay_ap_w").retry_at
    assert at is not None
    if withdraw == "cancel":
        h.app.cancel_autopay(rid, actor=rid)
    else:
        h.app.pause_autopay(rid, actor=rid)
    h.funds_arrive(rid, method)
    assert h.run("payment-retries", at + timedelta(seconds=1)) == ["cancelled"]
    assert h.app.payment(rid, "pay_ap_w").retry_status.startswith("CANCELLED: autopay")
    assert len(h.intents_for("pay_ap_w")) == 1
    assert h.app.ledger(rid).payable == 80_000, "nothing reserved, nothing charged"


def test_an_active_autopay_debit_is_still_retried(h: Harness) -> None:
    rid = f"{R}-ap-active"
    method = h.resident(rid, "pm_card_chargeDeclinedInsufficientFunds")
    h.app.enroll_autopay(rid, enrollment_id=f"apay_{rid}", method_id=method, charge_day=1,
                         actor=rid)
    h.charge(rid, 80_000)
    with pytest.raises(PaymentDeclined):
        h.service.pay(rid, amount=80_000, method_id=method, actor=AUTOPAY_ACTOR,
                      payment_id="pay_ap_a")
    at = h.app.payment(rid, "pay_ap_a").retry_at
    assert at is not None
    h.funds_arrive(rid, method)
    assert h.run("payment-retries", at + timedelta(seconds=1)) == ["retried"]
    assert len(h.intents_for("pay_ap_a")) == 2


def test_envelopes_of_retries_are_mapped(h: Harness) -> None:
    method = h.resident(R, "pm_card_chargeDeclinedInsufficientFunds")
    h.charge(R, 60_000)
    with pytest.raises(PaymentDeclined):
        h.service.pay(R, amount=60_000, method_id=method, actor=R, payment_id="pay_env")
    events = list(h.app.events.get(h.app.ledger(R).id))
    envelopes = envelopes_for(events, ResidentResolver.for_application(h.app))
    [failed] = [e for e in envelopes if e["eventType"] == "payment.failed"]
    assert failed["data"]["attempt"] == 1 and failed["data"]["retryable"] is True
    assert failed["data"]["retryAt"].endswith("Z")
