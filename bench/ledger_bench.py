"""Ledger speed: append throughput and load time by history length, snapshots on and off.

    .venv/bin/python bench/ledger_bench.py [--quick]

Prints figures; asserts nothing (timings belong here, not in tests).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import eventsourcing.domain

from sfr3_ledger import LedgerApplication, ResidentLedger

REAL_CLOCK = eventsourcing.domain.datetime_now_with_tzinfo


def backend(name: str, tmp: Path, interval: int) -> dict[str, str]:
    env = {"SFR3_SNAPSHOT_INTERVAL": str(interval)}
    if name == "popo":
        return {**env, "PERSISTENCE_MODULE": "eventsourcing.popo"}
    db = tmp / f"bench-{interval}-{time.monotonic_ns()}.db"
    return {**env, "PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(db)}


def append_rate(name: str, tmp: Path, commands: int) -> float:
    """Commands per second through the application (load + decide + append)."""
    app = LedgerApplication(env=backend(name, tmp, 10))
    start = time.perf_counter()
    for i in range(commands):
        app.post_charge(
            f"res-{i % 50}", amount=100, charge_type="OTHER", description="x", actor="b"
        )
    return commands / (time.perf_counter() - start)


class SimulatedClock:
    """Event timestamps from a clock we move, so a history can span decades in seconds."""

    def __init__(self) -> None:
        self.now = datetime(2000, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


def build_history(app: LedgerApplication, resident: str, events: int) -> None:
    """Monthly rent, paid and settled, until the ledger holds `events` events.

    Each month is three events (charge, payment initiated, settled) 30 days apart, the
    shape of a real resident's ledger: 5,000 events is about 138 years of rent.
    """
    clock = SimulatedClock()
    eventsourcing.domain.datetime_now_with_tzinfo = clock  # type: ignore[assignment]
    method = app.enroll_payment_method(
        resident, provider_id="pm_b", method_type="CARD", last4="4242", actor=resident
    ).method_id
    app.post_charge(resident, amount=2100, charge_type="RENT", description="Rent", actor="b")
    ledger = app.repository.get(ResidentLedger.create_id(resident))
    month = 0
    while ledger.version < events:
        pid = f"pay_{month}"
        ledger.initiate_payment(payment_id=pid, amount=2100, method_id=method, actor=resident)
        ledger.settle_payment(payment_id=pid, stripe_ref=f"pi_{month}")
        clock.now += timedelta(days=30)
        month += 1
        ledger.post_charge(
            charge_id=f"c{month}",
            charge_type="RENT",
            amount=2100,
            description="Rent",
            due_date=None,
            actor="b",
        )
        if len(ledger.pending_events) >= 99:
            app.save(ledger)
    app.save(ledger)
    eventsourcing.domain.datetime_now_with_tzinfo = REAL_CLOCK


def load_ms(name: str, tmp: Path, events: int, interval: int, repeats: int) -> float:
    app = LedgerApplication(env=backend(name, tmp, interval))
    build_history(app, "res-bench", events)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        app.balance("res-bench")
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    commands = 300 if args.quick else 2000
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        print("append (post_charge commands/s, 50 residents, snapshots every 10)")
        for name in ("popo", "sqlite"):
            print(f"  {name:<7} {append_rate(name, tmp, commands):>8.0f} /s")
        print("\nbalance read latency (median ms) by history length")
        print(f"  {'backend':<8}{'events':>7}{'snapshots':>12}{'no snapshots':>15}")
        for name in ("popo", "sqlite"):
            for events in (10, 1_000, 5_000):
                snap = load_ms(name, tmp, events, 10, 9)
                plain = load_ms(name, tmp, events, 0, 3)
                print(f"  {name:<8}{events:>7}{snap:>12.2f}{plain:>15.2f}")
        print("\n(snapshots every 10 events: a read is the latest snapshot + at most 9 events;")
        print(" facts finished over 540 days ago leave the state, so the snapshot stays small)")


if __name__ == "__main__":
    main()
