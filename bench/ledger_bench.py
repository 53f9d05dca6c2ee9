"""Ledger speed: append throughput and load time by history length, snapshots on and off.

    .venv/bin/python bench/ledger_bench.py [--quick]

Prints figures; asserts nothing (timings belong here, not in tests).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sfr3_ledger import LedgerApplication, ResidentLedger


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
        app.post_charge(f"res-{i % 50}", amount=100, charge_type="OTHER", description="x", actor="b")
    return commands / (time.perf_counter() - start)


def build_history(app: LedgerApplication, resident: str, events: int) -> None:
    """Append `events` ledger events fast, bypassing per-command reloads."""
    app.post_charge(resident, amount=100, charge_type="OTHER", description="x", actor="b")
    ledger = app.repository.get(ResidentLedger.create_id(resident))
    while ledger.version < events:
        ledger.post_charge(
            charge_id=f"c{ledger.version}", charge_type="OTHER", amount=100, description="x",
            due_date=None, actor="b",
        )
        if len(ledger.pending_events) >= 100:
            app.save(ledger)
    app.save(ledger)
    if app.snapshots is not None and ledger.version % 10:
        app.take_snapshot(ledger.id)  # so the read is snapshot + no tail: the best case


def load_ms(name: str, tmp: Path, events: int, interval: int, repeats: int) -> float:
    app = LedgerApplication(env=backend(name, tmp, interval))
    build_history(app, "res-bench", events)
    # A realistic tail: a few events after the last snapshot.
    for _ in range(5):
        app.post_charge("res-bench", amount=100, charge_type="OTHER", description="x", actor="b")
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


if __name__ == "__main__":
    main()
