"""The payment jobs as `make run` runs them (sfr3_dev/payment_jobs.py): the watch follows the
log from a stored position, the scheduler's tick runs both jobs, and a permanently failed
payment lands in the local retry DLQ and the property manager's mailbox, once."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from pathlib import Path

import pytest

from sfr3_dev.payment_jobs import LocalPaymentJobs, LocalPaymentScheduler, PaymentWatchFollower
from sfr3_ledger import PaymentStatus
from sfr3_ledger.payment_errors import PaymentDeclined
from tests.flows.retry_harness import Harness, retry_harness  # noqa: F401 (fixture)

R = "res-local-jobs"


def test_the_local_scheduler_retries_to_exhaustion_and_alerts_once(
        retry_harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    h = retry_harness
    monkeypatch.setenv("PROPERTY_MANAGER_EMAIL", "pm@homes.localhost")
    home = tmp_path / "home"
    follower = PaymentWatchFollower(h.app, home)
    scheduler = LocalPaymentScheduler(LocalPaymentJobs(follower, h.service), every=3600)
    method = h.resident(R, "pm_card_chargeDeclinedInsufficientFunds")
    h.charge(R, 64_000)
    with pytest.raises(PaymentDeclined):
        h.service.pay(R, amount=64_000, method_id=method, actor=R, payment_id="pay_loc")
    ticks = []
    for _ in range(3):
        at = h.app.payment(R, "pay_loc").retry_at or h.app.payment(R, "pay_loc").failed_at
        assert at is not None
        ticks.append(scheduler.tick(at + timedelta(seconds=1)))
    assert [t["payment-retries"] for t in ticks] == [{"declined": 1}, {"declined": 1}, {}]
    payment = h.app.payment(R, "pay_loc")
    assert (payment.status, payment.retry_status) == (PaymentStatus.FAILED, "EXHAUSTED")

    [dead] = follower.dead_letters.messages()
    assert dead["eventType"] == "payment.permanently_failed"
    assert dead["data"]["paymentId"] == "pay_loc"
    mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
             for p in (home / "mail").glob("*.eml")]
    assert [m["To"] for m in mails] == ["pm@homes.localhost"]
    assert str(mails[0]["Subject"]).startswith("Payment permanently failed: $640.00")

    # A restart replays nothing it has done (the position is stored), and a rebuild of the
    # watch from the log leaves nothing due.
    again = PaymentWatchFollower(h.app, home)
    assert again.catch_up() == 0
    assert again.rebuild() > 0
    assert LocalPaymentScheduler(LocalPaymentJobs(again, h.service)).tick(
        payment.failed_at + timedelta(days=30)) == {"payment-retries": {},
                                                     "payment-recovery": {}}
    assert len(again.dead_letters.messages()) == 1
