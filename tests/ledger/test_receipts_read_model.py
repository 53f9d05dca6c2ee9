"""The receipts worker reads an archived payment from the payments read model: a backlog of
old receipts costs no history replay (issue 17)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sfr3_adapters.local_sinks import LocalReceiptStore
from sfr3_adapters.payments_index_sqlite import SQLitePaymentsIndex
from sfr3_adapters.reactions import ReceiptWriter
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import ResidentResolver, envelopes_for
from sfr3_ledger.laws_fact_ids import Clock
from sfr3_ledger.read_models.payments import PaymentsProjection

R = "res-receipts"


def test_an_old_receipt_needs_no_replay(tmp_path: Path, clock: Clock) -> None:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                 "SQLITE_DBNAME": str(tmp_path / "ledger.db")})
    index = SQLitePaymentsIndex(tmp_path / "rm.db")
    app.payments_index = index
    projection = PaymentsProjection(index, app.ledger, app.full_history)
    method = app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD",
                                       last4="4242", actor=R).method_id
    settled: list[Any] = []
    for month in range(30):
        app.post_charge(R, amount=2100, charge_type="RENT", description=f"Rent {month}",
                        actor="pm")
        pid = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment.payment_id
        app.settle_payment(R, pid, stripe_ref=f"pi_{month}")
        clock.advance(days=30)
    notes = app.recorder.select_notifications(start=None, limit=10_000)
    events = [app.mapper.to_domain_event(n) for n in notes]
    projection.process(events)  # a backlog: the oldest were archived before it ran
    settled = [e for e in envelopes_for(events, ResidentResolver())
               if e["eventType"] == "payment.settled"]
    first = settled[0]["data"]["paymentId"]
    assert first not in app.ledger(R).payments, "the first payment is archived"

    def no_replay(_: str) -> Any:
        raise AssertionError("a receipt replayed the resident's history")

    app.full_history = no_replay  # type: ignore[method-assign]
    writer = ReceiptWriter(app, LocalReceiptStore(tmp_path))
    for envelope in settled:
        assert writer.handle(envelope)
    data = writer.receipt_data(settled[0])
    assert (data.payment_id, data.amount, data.method) == (first, 2100, "Card ending 4242")
    assert data.initiated_at < data.settled_at + timedelta(seconds=1)
