"""The finance read models on both stores (SQLite locally, DynamoDB Local as deployed):
the same behaviour, and "rebuild from events equals the live projection"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from sfr3_adapters.finance_read_models_sqlite import SQLiteDisputes, SQLiteSettledFacts
from sfr3_ledger import LedgerApplication
from sfr3_ledger.read_models import disputes as disputes_rm
from sfr3_ledger.read_models import settled_by_day as settled_rm
from sfr3_ledger.read_models.disputes import DisputeQuery, DisputesProjection
from sfr3_ledger.read_models.settled_by_day import SettledFact, SettledFactsProjection
from sfr3_ledger.reconciliation_runs import ReconciliationDay

DAY = date(2026, 5, 1)
AT = datetime(2026, 5, 1, 12, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "dynamodb"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    if request.param == "sqlite":
        yield SQLiteSettledFacts(tmp_path / "f.db"), SQLiteDisputes(tmp_path / "f.db")
        return
    endpoint = request.getfixturevalue("dynamodb_local")
    from sfr3_adapters.dynamodb.finance_tables import DynamoDBDisputes, DynamoDBSettledFacts

    table = f"finance-{uuid.uuid4().hex[:10]}"
    settled = DynamoDBSettledFacts(table, endpoint_url=endpoint, region_name="us-east-1")
    settled.create_table()
    yield settled, DynamoDBDisputes(table, endpoint_url=endpoint, region_name="us-east-1")


def fact(kind: str, key: str, amount: int, day: date = DAY) -> SettledFact:
    return SettledFact(day=day, kind=kind, key=key, resident_id="r1",  # type: ignore[arg-type]
                       payment_id="pay_1", amount=amount, at=AT, fact_id=key)


def test_settled_facts_heal_and_reconcile_marks(stores: tuple[Any, Any]) -> None:
    settled, _ = stores
    settled.put_fact(fact("payment", "pi_1", 2100))
    settled.put_fact(fact("refund", "re_1", -300))
    settled.put_fact(fact("payment", "pi_1", 2100))  # a redelivery: the same row
    assert [f.key for f in settled.facts_on(DAY)] == ["pi_1", "re_1"]
    # A payment healed for the day before: moved there, whichever comes first.
    settled.mark_healed("pi_late", DAY - timedelta(days=1), "recon_1")
    settled.put_fact(fact("payment", "pi_late", 900))
    settled.put_fact(fact("payment", "pi_2", 500))
    settled.mark_healed("pi_2", DAY - timedelta(days=1), "recon_1")
    before = settled.facts_on(DAY - timedelta(days=1))
    assert [(f.key, f.healed_by) for f in before] == [("pi_2", "recon_1"),
                                                      ("pi_late", "recon_1")]
    assert [f.key for f in settled.facts_on(DAY)] == ["pi_1", "re_1"]
    settled.mark_reconciled([("payment", "pi_1"), ("refund", "re_1")], "recon_2", AT)
    settled.mark_reconciled([("payment", "pi_1"), ("payment", "pi_nope")], "recon_3", AT)
    marks = {f.key: f.reconciled_run for f in settled.facts_on(DAY)}
    assert marks == {"pi_1": "recon_2", "re_1": "recon_2"}
    # A re-put (the projection replaying) keeps the marks.
    settled.put_fact(fact("payment", "pi_1", 2100))
    assert settled.fact("payment", "pi_1").reconciled_run == "recon_2"
    assert settled.fact("payment", "pi_nope") is None


def test_dispute_listing_filters_and_pages(stores: tuple[Any, Any]) -> None:
    _, index = stores
    for n in range(7):
        index.put(disputes_rm.DisputeRow(
            dispute_id=f"dp_{n}", resident_id=f"r{n % 2}", payment_id=f"pay_{n}",
            amount=100 * n + 50, reason="fraudulent", status="OPEN" if n % 3 else "LOST",
            opened_at=AT + timedelta(hours=n), version=1))
    stale = index.get("dp_1")
    index.put(attrs.evolve(stale, status="UNDER_REVIEW", version=3))
    older = attrs.evolve(stale, status="OPEN", version=2)
    index.put(older)  # an older version arrives late: ignored
    assert index.get("dp_1").status == "UNDER_REVIEW"
    everything = index.query(DisputeQuery(limit=100))
    assert [r.dispute_id for r in everything] == [f"dp_{n}" for n in range(6, -1, -1)]
    assert [r.dispute_id for r in index.query(DisputeQuery(status="LOST"))] == ["dp_6", "dp_3",
                                                                               "dp_0"]
    assert [r.dispute_id for r in index.query(DisputeQuery(resident_id="r1"))] == [
        "dp_5", "dp_3", "dp_1"]
    window = DisputeQuery(opened_from=AT + timedelta(hours=2), opened_to=AT + timedelta(hours=5))
    assert [r.dispute_id for r in index.query(window)] == ["dp_4", "dp_3", "dp_2"]
    seen, after = [], None
    while True:
        page = index.query(DisputeQuery(limit=3, after=after))
        seen += [r.dispute_id for r in page]
        if len(page) < 3:
            break
        after = (page[-1].opened_at, page[-1].dispute_id)
    assert seen == [f"dp_{n}" for n in range(6, -1, -1)]


def test_rebuild_from_events_equals_the_live_projections(stores: tuple[Any, Any],
                                                          tmp_path: Path) -> None:
    settled, index = stores
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    opened: list[str] = []
    live = [SettledFactsProjection(settled), DisputesProjection(index, lambda r: opened.append(
        r.dispute_id))]
    position = 0

    def follow() -> None:
        nonlocal position
        notes = app.recorder.select_notifications(start=position + 1, limit=1000)
        events = [app.mapper.to_domain_event(n) for n in notes]
        for projection in live:
            projection.process(events)
        if notes:
            position = notes[-1].id

    for n, rid in enumerate(["r-a", "r-b", "r-c"]):
        method = app.enroll_payment_method(rid, provider_id=f"pm_{n}", method_type="CARD",
                                           last4="4242", actor=rid).method_id
        app.post_charge(rid, amount=5000, charge_type="RENT", description="Rent", actor="pm")
        pid = app.initiate_payment(rid, amount=5000, method_id=method, actor=rid).payment.payment_id
        app.settle_payment(rid, pid, stripe_ref=f"pi_{n}")
        follow()
        if n == 0:
            app.apply_refund(rid, pid, refund_id="re_0", amount=700, actor="fin",
                             stripe_ref="re_0")
        if n >= 1:
            app.open_dispute(rid, dispute_id=f"dp_{n}", payment_id=pid, amount=5000,
                             reason="fraudulent")
            app.submit_dispute_evidence(rid, f"dp_{n}", actor="fin")
            app.close_dispute(rid, f"dp_{n}", won=n == 1)
        follow()
    run_day = ReconciliationDay(day=date.today())
    run_day.heal(run_id="recon_x", stripe_ref="pi_2", resident_id="r-c", payment_id="p",
                 amount=5000)
    run_day.reconcile(run_id="recon_x", keys=["payment|pi_0", "refund|re_0"])
    app.save(run_day)
    follow()
    follow()  # a redelivery of nothing changes nothing
    assert sorted(opened) == ["dp_1", "dp_2"]
    days = {date.today(), date.today() - timedelta(days=1), date.today() + timedelta(days=1)}
    live_facts = {d: settled.facts_on(d) for d in days}
    live_disputes = index.query(DisputeQuery(limit=100))
    assert {f.kind for facts in live_facts.values() for f in facts} == {
        "payment", "refund", "chargeback", "reinstatement"}
    assert [d.status for d in live_disputes] == ["LOST", "WON"]

    def batches() -> Iterator[list[Any]]:
        notes = app.recorder.select_notifications(start=1, limit=10_000)
        yield [app.mapper.to_domain_event(n) for n in notes]

    settled_rm.rebuild(settled, SettledFactsProjection(settled), batches())
    disputes_rm.rebuild(index, DisputesProjection(index), batches())
    assert {d: settled.facts_on(d) for d in days} == live_facts
    assert index.query(DisputeQuery(limit=100)) == live_disputes
