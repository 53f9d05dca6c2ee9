"""The reconciliation and dispute envelopes feed the payment-health metrics (issue 15's
sink): `ReconciliationMismatch` by type from a run's `reconciliation.completed`,
`ChargebackReceived` from `dispute.opened`, and `dispute.resolved` next to the close."""

from __future__ import annotations

from datetime import date

from sfr3_adapters.payment_metrics import PaymentMetrics
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import ResidentResolver, envelopes_for
from sfr3_ledger.reconciliation_runs import ReconciliationDay


def envelopes(app: LedgerApplication) -> list[dict]:  # type: ignore[type-arg]
    notes = app.recorder.select_notifications(start=1, limit=1000)
    return envelopes_for([app.mapper.to_domain_event(n) for n in notes],
                         ResidentResolver.for_application(app))


def test_a_runs_counts_become_mismatch_metrics_by_type() -> None:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    run = ReconciliationDay(day=date(2026, 3, 1))
    run.complete(run_id="recon_1", counts={"matched": 9, "amount_mismatch": 2,
                                           "missing_in_ledger": 1, "missing_in_stripe": 0,
                                           "other": 3}, mismatches=3, report_key="k")
    app.save(run)
    [completed] = [e for e in envelopes(app) if e["eventType"] == "reconciliation.completed"]
    points = {(name, tuple(sorted(dims.items())), value)
              for name, dims, value in PaymentMetrics().data_points(completed)}
    assert points == {
        ("ReconciliationMismatch", (("MismatchType", "amount_mismatch"),), 2),
        ("ReconciliationMismatch", (("MismatchType", "missing_in_ledger"),), 1),
        ("ReconciliationRun", (), 1)}


def test_a_dispute_counts_as_a_chargeback_and_resolves_once() -> None:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    rid = "res-m"
    method = app.enroll_payment_method(rid, provider_id="pm_1", method_type="CARD",
                                       last4="4242", actor=rid).method_id
    app.post_charge(rid, amount=2000, charge_type="RENT", description="Rent", actor="pm")
    pid = app.initiate_payment(rid, amount=2000, method_id=method, actor=rid).payment.payment_id
    app.settle_payment(rid, pid, stripe_ref="pi_1")
    app.open_dispute(rid, dispute_id="dp_1", payment_id=pid, amount=2000, reason="fraudulent")
    app.close_dispute(rid, "dp_1", won=False)
    found = envelopes(app)
    [opened] = [e for e in found if e["eventType"] == "dispute.opened"]
    assert PaymentMetrics().data_points(opened)[0][0] == "ChargebackReceived"
    [resolved] = [e for e in found if e["eventType"] == "dispute.resolved"]
    [applied] = [e for e in found if e["eventType"] == "chargeback.applied"]
    assert resolved["data"]["outcome"] == "LOST" and resolved["data"]["disputeId"] == "dp_1"
    assert resolved["eventId"] != applied["eventId"]
    assert [e["eventId"] for e in envelopes(app)] == [e["eventId"] for e in found]
