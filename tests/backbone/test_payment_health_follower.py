"""The payment-health read model on a real ledger: follows the log once, rebuilds to the
same figures, and agrees with the finance queries on the lake (`sfr3 analytics`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfr3_dev.analytics import run_named
from sfr3_dev.backbone import LocalBackbone
from sfr3_dev.payment_health import PaymentHealthFollower
from sfr3_ledger import LedgerApplication
from sfr3_ledger.read_models.payment_health import report
from tests.backbone.scenario import pay_and_refund


@pytest.fixture
def app(tmp_path: Path) -> LedgerApplication:
    return LedgerApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "l.db")})


def portfolio(app: LedgerApplication) -> None:
    pay_and_refund(app, "res-h-1")  # TX: 2,100 settled, 500 refunded, 500 failed
    for n, (state, reason) in enumerate([("GA", None), ("GA", "insufficient_funds"),
                                         ("CA", "card_declined")]):
        rid = f"res-h-{n + 2}"
        method = app.enroll_payment_method(rid, provider_id=f"pm_{rid}", method_type="ACH",
                                           last4="6789", actor=rid)
        app.post_charge(rid, amount=150_000 + n, charge_type="RENT", description="Rent",
                        actor="pm-1", property_id=f"p-{n}", us_state=state)
        pid = app.initiate_payment(rid, amount=100_000, method_id=method.method_id,
                                   actor=rid).payment.payment_id
        if reason is None:
            app.settle_payment(rid, pid, stripe_ref=f"pi_{rid}")
        else:
            app.fail_payment(rid, pid, reason=reason, stripe_ref=f"pi_{rid}")


def test_follow_rebuild_and_agree_with_the_lake(app: LedgerApplication, tmp_path: Path) -> None:
    home = tmp_path / "home"
    portfolio(app)
    today = datetime.now(UTC).date()
    follower = PaymentHealthFollower(app, home, batch_size=7)  # several batches
    assert follower.catch_up() > 0
    live = report(follower.store, today, 15.0)
    assert follower.catch_up() == 0  # caught up: nothing twice
    assert report(follower.store, today, 15.0) == live
    follower.rebuild()
    assert report(follower.store, today, 15.0) == live
    follower.stop()
    # A new follower on the same file resumes at the stored position (no repeat).
    again = PaymentHealthFollower(app, home)
    assert again.catch_up() == 0
    assert report(again.store, today, 15.0) == live
    again.stop()

    assert live["trailing30Days"] | {"overThreshold": None} == {
        "initiated": 5, "settled": 2, "failed": 3, "settledCents": 310_000,
        "failedCents": 250_000, "successRatePct": 40.0, "failureRatePct": 60.0,
        "overThreshold": None}
    assert live["overThreshold"] is True
    # The finance queries on the lake the backbone writes say the same.
    LocalBackbone(app, home, files_dir=home).run_until_caught_up()
    lake = run_named(home, today)
    names, rows = lake["success_rate_by_day"]
    assert [dict(zip(names, r, strict=True)) for r in rows] == [
        {"day": d["day"], "settled": d["settled"], "failed": d["failed"],
         "success_pct": d["successPct"], "settled_cents": d["settledCents"]}
        for d in live["byDay"]]
    names, rows = lake["failures_by_reason"]
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (f["reason"], f["failures"], f["failedCents"]) for f in live["failuresByReason"]]
    names, rows = lake["collected_vs_outstanding_by_state"]
    assert [tuple(r) for r in rows] == [
        (s["state"], s["collectedCents"], s["outstandingCents"]) for s in live["byState"]]
