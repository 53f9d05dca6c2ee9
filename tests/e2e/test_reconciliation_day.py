"""A simulated day on the local stack (what `make run` serves), reconciled (issue 14).

Residents pay through HTTP; Stripe (the sandbox) and the ledger then drift as they do in
life: one webhook never arrives, Stripe's books show another amount for one payment, the
ledger holds a payment Stripe never saw, a refund is made in Stripe's dashboard only.
The job for the day (`sfr3 reconcile`'s code, against the running stack) must put each
in its class exactly once, heal the lost payment once, and finance reads the report
through the API; a re-run gives the same report.
"""

from __future__ import annotations

import csv
import io
import os
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe

from sfr3_dev.finance import reconcile
from sfr3_lambdas import wiring
from tests.e2e.stack import Client, Stack, charge, enroll


@pytest.fixture
def real_clock(stack: Stack) -> Any:
    """Stripe's clock and the ledger's agree, as in life: earlier tests of the session may
    have moved the sandbox's clock ahead (ACH settlement); put it back for this day."""
    store = stack.sandbox.store
    with store.transaction():
        saved, store.clock_offset = store.clock_offset, 0
    yield
    with store.transaction():
        store.clock_offset = saved


def pay(stack: Stack, resident: Client, manager: Client, rid: str, amount: int,
        *, drop_webhooks: bool = False) -> dict[str, Any]:
    method = enroll(resident, rid)
    charge(manager, rid, amount)
    stack.drain()
    if drop_webhooks:
        stack.control("webhooks", {"hold": True})
    r = resident.post(f"/residents/{rid}/payments", {"amount": amount, "paymentMethodId": method})
    assert r.status_code == 202, r.text
    if drop_webhooks:
        stack.control("webhooks/release", {"order": "drop"})
        stack.control("webhooks", {"hold": False})
    stack.drain()
    payment = r.json()
    payment["stripeRef"] = wiring.ledger().payment(rid, payment["paymentId"]).stripe_ref
    return payment


@pytest.mark.usefixtures("real_clock")
def test_a_day_with_drift_on_the_local_stack(stack: Stack, manager: Client, finance: Client,
                                             rid: str) -> None:
    def resident(suffix: str) -> tuple[str, Client]:
        who = f"{rid}-{suffix}"
        return who, Client(stack, stack.token(resident=who))

    ok_id, ok = resident("ok")
    lost_id, lost = resident("lost")
    changed_id, changed = resident("changed")
    dash_id, dash = resident("dash")
    matched = pay(stack, ok, manager, ok_id, 2100)
    dropped = pay(stack, lost, manager, lost_id, 1800, drop_webhooks=True)
    assert lost.get(f"/residents/{lost_id}/payments").json()["payments"][0]["status"] == "PENDING"
    moved = pay(stack, changed, manager, changed_id, 2500)
    refunded = pay(stack, dash, manager, dash_id, 3000)
    # Stripe's books show another amount for one payment.
    store = stack.sandbox.store
    txn = store.objects[store.objects[moved["stripeRef"]]["latest_charge"]]["balance_transaction"]
    stack.control(f"balance_transactions/{txn}/amount", {"amount": 2450})
    # A refund made in Stripe's dashboard: its webhooks never reach us.
    stack.control("webhooks", {"hold": True})
    # (the stack's own sandbox key, as the dashboard would act with the account's key)
    client = stripe.StripeClient(os.environ["STRIPE_SECRET_KEY"],
                                 base_addresses={"api": stack.sandbox.url})
    dashboard_refund = client.v1.refunds.create(params={"payment_intent": refunded["stripeRef"],
                                                        "amount": 700})
    stack.control("webhooks/release", {"order": "drop"})
    stack.control("webhooks", {"hold": False})
    # A payment the ledger settled that Stripe never saw.
    ghost = f"{rid}-ghost"
    app = wiring.ledger()
    app.post_charge(ghost, amount=999, charge_type="RENT", description="Rent", actor="pm")
    method = app.enroll_payment_method(ghost, provider_id="pm_nowhere", method_type="CARD",
                                       last4="4242", actor=ghost).method_id
    ghost_pid = app.initiate_payment(ghost, amount=999, method_id=method,
                                     actor=ghost).payment.payment_id
    app.settle_payment(ghost, ghost_pid, stripe_ref=f"pi_ghost_{rid}")

    day = datetime.now(UTC).date()
    service = wiring.payment_service()
    first = reconcile(app, service, service.provider, stack.local.finance, day)
    mine = {(i.kind, i.key): i for i in first.items
            if i.key in {matched["stripeRef"], dropped["stripeRef"], moved["stripeRef"],
                         refunded["stripeRef"], dashboard_refund.id, f"pi_ghost_{rid}"}}
    assert {k: (v.status, v.healed) for k, v in mine.items()} == {
        ("payment", matched["stripeRef"]): ("matched", False),
        ("payment", dropped["stripeRef"]): ("missing_in_ledger", True),
        ("payment", moved["stripeRef"]): ("amount_mismatch", False),
        ("payment", refunded["stripeRef"]): ("matched", False),
        ("refund", dashboard_refund.id): ("missing_in_ledger", False),
        ("payment", f"pi_ghost_{rid}"): ("missing_in_stripe", False),
    }
    assert mine[("payment", moved["stripeRef"])].difference == -50
    # The healed payment settled once, and the resident sees it.
    history = lost.get(f"/residents/{lost_id}/payments").json()["payments"]
    assert history[0]["status"] == "SETTLED"
    settled = [e for e in app.events.get(app.ledger(lost_id).id)
               if type(e).__name__ == "PaymentSettled"]
    assert len(settled) == 1

    # Finance reads the report through the API; a re-run writes the same one.
    listed = finance.get("/reports/reconciliation").json()["reports"]
    assert listed[0]["day"] == day.isoformat() and listed[0]["mismatches"] >= 4
    summary = finance.get(f"/reports/reconciliation/{day}").json()
    report = finance.get(f"/reports/reconciliation/{day}?format=csv")
    assert report.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert {r["key"] for r in rows} >= {dropped["stripeRef"], dashboard_refund.id}
    assert manager.get(f"/reports/reconciliation/{day}").status_code == 403
    stack.drain()
    again = reconcile(app, service, service.provider, stack.local.finance, day)
    assert again.healed == [] and again.newly_reconciled == 0
    assert finance.get(f"/reports/reconciliation/{day}?format=csv").text == report.text
    assert finance.get(f"/reports/reconciliation/{day}").json() == summary
    assert len([e for e in app.events.get(app.ledger(lost_id).id)
                if type(e).__name__ == "PaymentSettled"]) == 1
