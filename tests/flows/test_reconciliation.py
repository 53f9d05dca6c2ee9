"""The daily reconciliation over the real sandbox: a simulated day with injected drift.

Ledger + Stripe adapter + local Stripe over HTTP; webhooks are applied by hand
(`deliver`), so a dropped webhook is one we do not deliver. Each discrepancy must appear
exactly once, in its class; the healed payment settles once; a re-run gives the same
report and marks nothing twice; a clean day is all matched.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfr3_adapters.stripe_adapter import StripeAdapter
from sfr3_dev.finance import FinanceProjections, reconcile, reports_store
from sfr3_dev.stripe_sandbox.finance import set_balance_transaction_amount
from sfr3_ledger import LedgerApplication, PaymentStatus
from sfr3_ledger.payment_service import PaymentService
from sfr3_ledger.reconciliation_job import report_prefix
from sfr3_ledger.reconciliation_runs import ReconciliationDay
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver


@pytest.fixture
def world(stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver,
          tmp_path: Path) -> Iterator[tuple[PaymentService, FinanceProjections]]:
    secret = stripe_sandbox.register_webhook(webhook_receiver.url)
    adapter = StripeAdapter("sk_test_recon", secret, api_base=stripe_sandbox.url, timeout=10,
                            max_network_retries=0)
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                 "SQLITE_DBNAME": str(tmp_path / "ledger.db")})
    yield PaymentService(app, adapter), FinanceProjections(app, tmp_path)


def deliver(service: PaymentService, receiver: WebhookReceiver, sandbox: SandboxHandle,
            *, drop: set[str] | None = None) -> list[str]:
    """Apply the webhooks received so far, except those about an id in `drop`."""
    sandbox.drain()
    with receiver.lock:
        received, receiver.received[:] = list(receiver.received), []
    outcomes = []
    for r in received:
        body = json.loads(r.body)
        obj = body["data"]["object"]
        if drop and (obj.get("id") in drop or obj.get("payment_intent") in drop):
            continue
        header = {k.lower(): v for k, v in r.headers.items()}["stripe-signature"]
        outcomes.append(service.handle_provider_event(service.verify_webhook(r.body, header)))
    return outcomes


def pay(service: PaymentService, rid: str, amount: int) -> tuple[str, str]:
    method = service.enroll_payment_method(rid, method_type="card",
                                           provider_method_id="pm_card_visa", actor=rid).method_id
    service.ledger.post_charge(rid, amount=amount, charge_type="RENT", description="Rent",
                               actor="pm")
    payment = service.pay(rid, amount=amount, method_id=method, actor=rid).payment
    ref = service.ledger.payment(rid, payment.payment_id).stripe_ref
    assert ref is not None
    return payment.payment_id, ref


def today() -> datetime:
    return datetime.now(UTC)


def test_a_day_with_every_kind_of_drift_reports_each_once_and_heals_once(
    world: tuple[PaymentService, FinanceProjections], webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> None:
    service, projections = world
    adapter = service.provider
    _, ok_ref = pay(service, "res-ok", 2100)
    lost_pid, lost_ref = pay(service, "res-lost", 1800)
    _, changed_ref = pay(service, "res-changed", 2500)
    _, refunded_ref = pay(service, "res-dash", 3000)
    deliver(service, webhook_receiver, stripe_sandbox, drop={lost_ref})
    assert service.ledger.payment("res-lost", lost_pid).status == PaymentStatus.PENDING
    # A refund made in Stripe's dashboard only: its webhooks never reach us.
    dashboard = adapter.refund(payment_intent_id=refunded_ref, amount=500,
                               idempotency_key="dash-1")
    deliver(service, webhook_receiver, stripe_sandbox, drop={dashboard.id, refunded_ref})
    # Stripe's side of one payment changed (e.g. a partial capture adjustment).
    store = stripe_sandbox.sandbox.store
    charge_txn = store.objects[store.objects[changed_ref]["latest_charge"]]["balance_transaction"]
    set_balance_transaction_amount(store, charge_txn, 2400)
    # A payment the ledger settled that Stripe never saw.
    ghost = "res-ghost"
    service.ledger.post_charge(ghost, amount=999, charge_type="RENT", description="Rent",
                               actor="pm")
    method = service.ledger.enroll_payment_method(
        ghost, provider_id="pm_x", method_type="CARD", last4="4242", actor=ghost).method_id
    ghost_pid = service.ledger.initiate_payment(ghost, amount=999, method_id=method,
                                                actor=ghost).payment.payment_id
    service.ledger.settle_payment(ghost, ghost_pid, stripe_ref="pi_never_seen_by_stripe")

    day = today().date()
    first = reconcile(service.ledger, service, adapter, projections, day)
    by_key = {(i.kind, i.key): i for i in first.items}
    assert by_key[("payment", ok_ref)].status == "matched"
    assert by_key[("payment", lost_ref)].status == "missing_in_ledger"
    assert by_key[("payment", lost_ref)].healed
    assert by_key[("payment", changed_ref)].status == "amount_mismatch"
    assert by_key[("payment", changed_ref)].difference == -100
    assert by_key[("refund", dashboard.id)].status == "missing_in_ledger"
    assert by_key[("payment", "pi_never_seen_by_stripe")].status == "missing_in_stripe"
    assert by_key[("payment", refunded_ref)].status == "matched"
    assert first.counts == {"matched": 2, "amount_mismatch": 1, "missing_in_ledger": 2,
                            "missing_in_stripe": 1, "other": 0}
    assert [k for k, i in by_key.items() if i.status != "matched"] == [
        ("payment", changed_ref), ("payment", lost_ref), ("refund", dashboard.id),
        ("payment", "pi_never_seen_by_stripe")]
    assert first.healed == [lost_ref]
    # Fees and net per item and in total, as Stripe reported them.
    ok = by_key[("payment", ok_ref)]
    assert (ok.fee, ok.net) == (round(2100 * 0.029) + 30, 2100 - round(2100 * 0.029) - 30)

    healed = service.ledger.payment("res-lost", lost_pid)
    assert healed.status == PaymentStatus.SETTLED
    settled = [e for e in service.ledger.events.get(service.ledger.ledger("res-lost").id)
               if type(e).__name__ == "PaymentSettled"]
    assert len(settled) == 1

    reports = reports_store(projections.home)
    csv_first = reports.get(report_prefix(day) + "report.csv")
    summary_first = reports.get(report_prefix(day) + "summary.json")
    assert csv_first and summary_first
    summary = json.loads(summary_first)
    assert summary["mismatches"] == 4 and summary["healed"] == 1
    assert summary["stripeTotals"]["fee"] == sum(i.fee for i in first.items)

    # The webhook arrives late after all, and the job runs again: nothing changes.
    deliver(service, webhook_receiver, stripe_sandbox)
    again = reconcile(service.ledger, service, adapter, projections, day)
    assert again.newly_reconciled == 0 and again.healed == []
    assert reports.get(report_prefix(day) + "report.csv") == csv_first
    assert reports.get(report_prefix(day) + "summary.json") == summary_first
    settled = [e for e in service.ledger.events.get(service.ledger.ledger("res-lost").id)
               if type(e).__name__ == "PaymentSettled"]
    assert len(settled) == 1
    run_day = service.ledger.repository.get(ReconciliationDay.create_id(day))
    assert len(run_day.healed) == 1 and len(run_day.runs) == 2
    marked = [k for k in run_day.reconciled]
    assert sorted(marked) == sorted([f"payment|{ok_ref}", f"payment|{refunded_ref}",
                                     f"payment|{lost_ref}"])
    # The read model rebuilt from events alone equals the live one.
    live = projections.settled.facts_on(day)
    projections.rebuild()
    assert projections.settled.facts_on(day) == live


def test_a_clean_day_is_all_matched_with_refunds_and_dispute_lines(
    world: tuple[PaymentService, FinanceProjections], webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> None:
    service, projections = world
    refs = [pay(service, f"res-clean-{n}", 1000 + n) for n in range(3)]
    deliver(service, webhook_receiver, stripe_sandbox)
    service.refund("res-clean-0", refs[0][0], amount=400, actor="fin")
    stripe_sandbox.control("disputes", {"payment_intent": refs[1][1]})
    deliver(service, webhook_receiver, stripe_sandbox)
    dispute = next(iter(service.ledger.ledger("res-clean-1").disputes))
    stripe_sandbox.control(f"disputes/{dispute}/close", {"outcome": "won"})
    deliver(service, webhook_receiver, stripe_sandbox)
    result = reconcile(service.ledger, service, service.provider, projections, today().date())
    # 3 payments, a refund, a dispute withdrawal and its reinstatement
    assert result.counts["matched"] == 6, result.items
    assert result.mismatches == 0
    kinds = sorted(i.kind for i in result.items)
    assert kinds == ["chargeback", "payment", "payment", "payment", "refund", "reinstatement"]


def test_a_payment_whose_submission_and_webhook_were_both_lost_is_healed_once(
    world: tuple[PaymentService, FinanceProjections], webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sfr3_ledger.payment_errors import ProviderUnavailableError

    service, projections = world
    rid = "res-crash"
    method = service.enroll_payment_method(rid, method_type="card",
                                           provider_method_id="pm_card_visa", actor=rid).method_id
    service.ledger.post_charge(rid, amount=4100, charge_type="RENT", description="Rent",
                               actor="pm")
    # Stripe charges the card, but its answer never reaches us, nor does any webhook.
    stripe_sandbox.control("fail", {"mode": "drop_response", "count": 1,
                                    "path": "/v1/payment_intents"})
    with pytest.raises(ProviderUnavailableError):
        service.pay(rid, amount=4100, method_id=method, actor=rid)
    stripe_sandbox.drain()
    with webhook_receiver.lock:
        webhook_receiver.received.clear()
    [payment] = service.ledger.ledger(rid).payments.values()
    assert (payment.status, payment.stripe_ref) == (PaymentStatus.PENDING, None)

    # The next day Stripe may have forgotten the idempotency key: a resubmission would
    # make a second intent and charge again. Healing must apply Stripe's intent instead.
    def no_new_intent(**_: object) -> object:
        raise AssertionError("reconciliation must never create a PaymentIntent")

    monkeypatch.setattr(service.provider, "create_payment_intent", no_new_intent)
    result = reconcile(service.ledger, service, service.provider, projections, today().date())
    assert len(result.healed) == 1
    healed = service.ledger.payment(rid, payment.payment_id)
    assert healed.status == PaymentStatus.SETTLED and healed.stripe_ref == result.healed[0]
    assert service.ledger.balance(rid) == 0
    again = reconcile(service.ledger, service, service.provider, projections, today().date())
    assert again.healed == []
    intents = stripe_sandbox.sandbox.store._all("payment_intent")
    assert len([pi for pi in intents if pi["metadata"].get("resident_id") == rid]) == 1


def test_make_runs_finance_schedule_reconciles_once_at_two_and_reminds_at_nine(
    world: tuple[PaymentService, FinanceProjections], webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> None:
    from datetime import time, timedelta

    from sfr3_dev.finance import FinanceScheduler

    service, projections = world
    pay(service, "res-sched", 1500)
    deliver(service, webhook_receiver, stripe_sandbox)
    scheduler = FinanceScheduler(projections, service)
    tomorrow = datetime.combine(today().date() + timedelta(days=1), time(1, 59), tzinfo=UTC)
    assert scheduler.tick(tomorrow) == []
    assert scheduler.tick(tomorrow + timedelta(minutes=2)) == ["reconciliation"]
    assert scheduler.tick(tomorrow + timedelta(hours=1)) == []
    assert scheduler.tick(tomorrow + timedelta(hours=7, minutes=2)) == ["reminders"]
    assert scheduler.tick(tomorrow + timedelta(hours=8)) == []
    summary = json.loads(reports_store(projections.home).get(
        report_prefix(today().date()) + "summary.json") or b"{}")
    assert summary["counts"]["matched"] == 1


def test_an_inquiry_moved_no_money_and_is_no_mismatch(
    world: tuple[PaymentService, FinanceProjections], webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> None:
    service, projections = world
    rid = "res-inquiry"
    method = service.enroll_payment_method(
        rid, method_type="card", provider_method_id="pm_card_createDisputeInquiry",
        actor=rid).method_id
    service.ledger.post_charge(rid, amount=2600, charge_type="RENT", description="Rent",
                               actor="pm")
    service.pay(rid, amount=2600, method_id=method, actor=rid)
    deliver(service, webhook_receiver, stripe_sandbox)
    [dispute] = service.ledger.ledger(rid).disputes
    stripe_sandbox.control(f"disputes/{dispute}/close", {"outcome": "won"})
    deliver(service, webhook_receiver, stripe_sandbox)  # warning_closed: a win, no money
    result = reconcile(service.ledger, service, service.provider, projections, today().date())
    assert result.mismatches == 0, result.items
    inquiry = sorted((i.kind, i.status) for i in result.items if i.key == dispute)
    assert inquiry == [("inquiry", "other"), ("inquiry", "other")]
