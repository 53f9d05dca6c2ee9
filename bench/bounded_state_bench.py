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
snapshot bytes growing at most linearly with open items). docs/architecture.md ("Bounded
state") explains why a paid charge stays in the state today.

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
    """`charges` charges spread over DAYS days; every 30 days a payment of the balance."""
    start = datetime.now(UTC) - timedelta(days=DAYS + 5)
    clock = Clock(start)
    eventsourcing.domain.datetime_now_with_tzinfo = clock  # type: ignore[assignment]
    try:
        method = app.enroll_payment_method(resident, provider_id="pm_b", method_type="CARD",
                                           last4="4242", actor=resident).method_id
        app.post_charge(resident, amount=1000, charge_type="OTHER", description="Fee 0",
                        actor="pm")
        ledger = app.repository.get(ResidentLedger.create_id(resident))
        step = timedelta(days=DAYS) / charges
        next_payment = start + timedelta(days=30)
        month = 0
        for n in range(1, charges):
            clock.now += step
            ledger.post_charge(charge_id=f"c{n}", charge_type="OTHER", amount=1000,
                               description=f"Fee {n}", due_date=None, actor="pm")
            if clock.now >= next_payment and ledger.payable > 0:
                pid = f"pay_{month}"
                ledger.initiate_payment(payment_id=pid, amount=ledger.payable,
                                        method_id=method, actor=resident)
                ledger.settle_payment(payment_id=pid, stripe_ref=f"pi_{month}")
                next_payment += timedelta(days=30)
                month += 1
            if len(ledger.pending_events) >= 90:
                app.save(ledger)
        # Settle what is owed, then post one last charge: one open charge for either.
        ledger.initiate_payment(payment_id="pay_last", amount=ledger.payable,
                                method_id=method, actor=resident)
        ledger.settle_payment(payment_id="pay_last", stripe_ref="pi_last")
        clock.now += step
        ledger.post_charge(charge_id="c_last", charge_type="OTHER", amount=1000,
                           description="Fee last", due_date=None, actor="pm")
        app.save(ledger)
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
    snapshots = app.snapshots
    assert snapshots is not None
    snapshot = snapshots.recorder.select_events(oid, desc=True, limit=1)[0]
    events = app.recorder.select_events(oid)
    ledger = app.ledger(resident)
    return {
        "read_ms": statistics.median(samples),
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
    print(f"\nbalance read large/small: {large['read_ms'] / small['read_ms']:.1f}x "
          "(target <= 2x)")
    per_open_small = small["snapshot_bytes"] / max(small["open"], 1)
    per_open_large = large["snapshot_bytes"] / max(large["open"], 1)
    print(f"snapshot bytes per open charge, large/small: {per_open_large / per_open_small:.1f}x "
          "(target: ~1x, i.e. linear in open items)")
    print(f"snapshot / events bytes, large: {large['snapshot_bytes'] / large['event_bytes']:.2f}"
          " (one snapshot; the store keeps one every 10 events)")


if __name__ == "__main__":
    main()
