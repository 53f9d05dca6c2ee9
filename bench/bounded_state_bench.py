"""Aggregate state against recent facts (issue 17's "bounded state" target).

    .venv/bin/python bench/bounded_state_bench.py [--reads 200]

Two residents on SQLite with snapshots every 10 events, histories made on a simulated
clock within the 540-day archive window, so nothing has been archived:

  small   20 charges over ~500 days, paid by monthly payments
  large   2,000 charges over the same ~500 days (four a day), paid the same way

Both end with everything paid and one new charge open, and both made about 17 monthly
payments: what can still change (open charges, payments still refundable or disputable)
is the same size for both. Prints, per resident:
the median in-process balance read (a snapshot load plus at most 9 events), the latest
snapshot's bytes, the events' bytes, what the state holds (charges, open charges,
payments), and the large/small ratios the issue sets targets for (balance read within 2x;
snapshot bytes growing at most linearly with open items), and the statement's read (open
charges from the state, paid ones from the book of paid charges, sfr3_ledger/
paid_charges.py). docs/architecture.md ("Bounded state") has the design and figures.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import eventsourcing.domain

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sfr3_ledger import LedgerApplication, ResidentLedger

REAL_CLOCK = eventsourcing.domain.datetime_now_with_tzinfo
DAYS = 500


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


def build(app: LedgerApplication, resident: str, charges: int) -> None:
    """`charges` charges spread over DAYS days; every 30 days a payment of the balance.
    Through the application's commands, as production makes them (each command loads
    the ledger and saves its events with their id records and book events)."""
    start = datetime.now(UTC) - timedelta(days=DAYS + 5)
    clock = Clock(start)
    eventsourcing.domain.datetime_now_with_tzinfo = clock  # type: ignore[assignment]
    try:
        method = app.enroll_payment_method(resident, provider_id="pm_b", method_type="CARD",
                                           last4="4242", actor=resident).method_id

        def pay(pid: str) -> None:
            payable = app.ledger(resident).payable
            app.initiate_payment(resident, payment_id=pid, amount=payable, method_id=method,
                                 actor=resident)
            app.settle_payment(resident, pid, stripe_ref=f"pi_{pid}")

        app.post_charge(resident, amount=1000, charge_type="OTHER", description="Fee 0",
                        actor="pm", charge_id="c0")
        step = timedelta(days=DAYS) / charges
        next_payment = start + timedelta(days=30)
        month = 0
        for n in range(1, charges):
            clock.now += step
            app.post_charge(resident, amount=1000, charge_type="OTHER", description=f"Fee {n}",
                            actor="pm", charge_id=f"c{n}")
            if clock.now >= next_payment:
                pay(f"pay_{month}")
                next_payment += timedelta(days=30)
                month += 1
        # Settle what is owed, then post one last charge: one open charge for either.
        pay("pay_last")
        clock.now += step
        app.post_charge(resident, amount=1000, charge_type="OTHER", description="Fee last",
                        actor="pm", charge_id="c_last")
        app.take_snapshot(ResidentLedger.create_id(resident))
    finally:
        eventsourcing.domain.datetime_now_with_tzinfo = REAL_CLOCK


def figures(app: LedgerApplication, resident: str, reads: int) -> dict[str, float]:
    oid = ResidentLedger.create_id(resident)
    samples = []
    for _ in range(reads):
        began = time.perf_counter()
        app.balance(resident)
        samples.append((time.perf_counter() - began) * 1000)
    statement_samples = []
    for _ in range(max(reads // 10, 5)):
        began = time.perf_counter()
        listed = app.statement(resident)[1]
        statement_samples.append((time.perf_counter() - began) * 1000)
    snapshots = app.snapshots
    assert snapshots is not None
    snapshot = snapshots.recorder.select_events(oid, desc=True, limit=1)[0]
    events = app.recorder.select_events(oid)
    ledger = app.ledger(resident)
    return {
        "read_ms": statistics.median(samples),
        "statement_ms": statistics.median(statement_samples),
        "listed": len(listed),
        "snapshot_bytes": len(snapshot.state),
        "event_bytes": sum(len(e.state) for e in events),
        "events": len(events),
        "charges": len(ledger.charges),
        "open": sum(1 for c in ledger.charges.values() if c.remaining > 0),
        "payments": len(ledger.payments),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
               "SQLITE_DBNAME": str(Path(tmp) / "bounded.db"), "SFR3_SNAPSHOT_INTERVAL": "10"}
        app = LedgerApplication(env=env)
        build(app, "res-small", 20)
        build(app, "res-large", 2000)
        small = figures(app, "res-small", args.reads)
        large = figures(app, "res-large", args.reads)
    print(f"SQLite, snapshots every 10 events, histories within the archive window "
          f"({DAYS} days); medians of {args.reads} balance reads\n")
    print(f"{'':10}{'events':>8}{'charges in state':>18}{'open':>6}{'payments':>10}"
          f"{'balance read':>14}{'snapshot':>12}{'events bytes':>14}")
    for name, f in (("small", small), ("large", large)):
        print(f"{name:10}{f['events']:>8.0f}{f['charges']:>18.0f}{f['open']:>6.0f}"
              f"{f['payments']:>10.0f}{f['read_ms']:>11.2f} ms{f['snapshot_bytes'] / 1024:>9.1f} KB"
              f"{f['event_bytes'] / 1024:>11.1f} KB")
    print(f"\nstatement (open charges from the state, paid ones from the book): "
          f"small {small['statement_ms']:.2f} ms ({small['listed']:.0f} charges), "
          f"large {large['statement_ms']:.2f} ms ({large['listed']:.0f} charges)")
    print(f"balance read large/small: {large['read_ms'] / small['read_ms']:.1f}x "
          "(target <= 2x)")
    per_open_small = small["snapshot_bytes"] / max(small["open"], 1)
    per_open_large = large["snapshot_bytes"] / max(large["open"], 1)
    print(f"snapshot bytes per open charge, large/small: {per_open_large / per_open_small:.1f}x "
          "(target: ~1x, i.e. linear in open items)")
    print(f"snapshot / events bytes, large: {large['snapshot_bytes'] / large['event_bytes']:.2f}"
          " (one snapshot; the store keeps one every 10 events)")


if __name__ == "__main__":
    main()
