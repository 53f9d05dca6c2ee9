"""What a page of payment history costs as the history grows (issue 17, first target).

    .venv/bin/python bench/history_bench.py [--backend sqlite|dynamodb|both] [--events 5000]
                                            [--repeat 40]

Builds two residents with monthly rent history (charge, payment, settlement each month,
under a simulated clock so the old payments are archived as in production): one with ~10
events, one with `--events`. Feeds the payments read model from the log (as the local
backbone does), then times, in-process, the median of `--repeat` reads of:

- the first page (`payment_history_page`) of 3 payments, all the small resident has, so
  both read the same page, and a page of 2 after a cursor (after the small resident's
  first payment; in the middle of the big history); and the page of 50 (the default),
  for scale;
- one archived payment by id (`payment`, what the receipts worker reads);
- for comparison, the unpaginated `payment_history` (the full replay it falls back to).

Prints the figures and the big/small ratio of the page's median (the target: within
1.3x); asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eventsourcing.domain
from jobs_bench import backend

from sfr3_ledger import LedgerApplication
from sfr3_ledger.read_models.payments import PaymentsIndex, PaymentsProjection


class Clock:
    def __init__(self) -> None:
        self.now = datetime(1880, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now


def build(app: LedgerApplication, clock: Clock, rid: str, events: int) -> None:
    method = app.enroll_payment_method(rid, provider_id=f"pm_{rid}", method_type="CARD",
                                       last4="4242", actor=rid).method_id
    month = 0
    while app.ledger(rid).version < events:
        app.post_charge(rid, amount=150_000, charge_type="RENT", description=f"Rent {month}",
                        actor="pm")
        clock.now += timedelta(days=2)
        pid = app.initiate_payment(rid, amount=150_000, method_id=method,
                                   actor=rid).payment.payment_id
        app.settle_payment(rid, pid, stripe_ref=f"pi_{rid}_{month}")
        clock.now += timedelta(days=28)
        month += 1


def feed(app: LedgerApplication, projection: PaymentsProjection) -> None:
    position: int | None = None
    while notes := app.recorder.select_notifications(
            start=position, limit=500, inclusive_of_start=position is None):
        projection.process([app.mapper.to_domain_event(n) for n in notes])
        position = notes[-1].id


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def interleaved(first: Callable[[], Any], second: Callable[[], Any], repeat: int
                ) -> tuple[float, float]:
    first(), second()  # warm
    a, b = [], []
    for _ in range(repeat):
        for fn, out in ((first, a), (second, b)):
            started = time.perf_counter()
            fn()
            out.append((time.perf_counter() - started) * 1000)
    return statistics.median(a), statistics.median(b)


def middle_cursor(app: LedgerApplication, rid: str) -> str | None:
    """A cursor into the middle of the history (after the first payment for a short one,
    so both residents' deep pages decode a cursor and read a range)."""
    total = len(app.full_history(rid).payments)
    cursor = app.payment_history_page(rid, limit=1).next_cursor
    for _ in range(max(total // 50 // 2, 0)):
        cursor = app.payment_history_page(rid, limit=50, cursor=cursor).next_cursor
    return cursor


def run(name: str, events: int, repeat: int) -> None:
    clock = Clock()
    eventsourcing.domain.datetime_now_with_tzinfo = clock  # type: ignore[attr-defined]
    with backend(name) as (env, _schedule):
        app = LedgerApplication(env=env)
        index: PaymentsIndex
        if name == "sqlite":
            from sfr3_adapters.payments_index_sqlite import SQLitePaymentsIndex

            index = SQLitePaymentsIndex(Path(env["SQLITE_DBNAME"]).with_name("rm.db"))
        else:
            from sfr3_adapters.dynamodb.payments_index import DynamoDBPaymentsIndex

            index = DynamoDBPaymentsIndex(f"rm-{uuid.uuid4().hex[:8]}",
                                          endpoint_url=env["DYNAMODB_ENDPOINT_URL"])
            index.create_table()  # type: ignore[attr-defined]
        app.payments_index = index
        started = time.perf_counter()
        build(app, clock, "small", 10)
        build(app, clock, "big", events)
        feed(app, PaymentsProjection(index, app.ledger, app.full_history))
        built = time.perf_counter() - started
        rows: dict[str, dict[str, float]] = {}
        ops: dict[str, dict[str, Callable[[], Any]]] = {}
        for rid in ("small", "big"):
            ledger = app.ledger(rid)
            full = app.full_history(rid).payment_history()
            archived = next((p.payment_id for p in reversed(full)
                             if p.payment_id not in ledger.payments), full[-1].payment_id)
            deep = middle_cursor(app, rid)
            rows[rid] = {"events": ledger.version, "payments": len(full),
                         "archived": ledger.archived_payments}
            ops[rid] = {
                # As many as the small resident has (3): the same page, both histories.
                "page": lambda r=rid: app.payment_history_page(r, limit=3),
                "page of 50": lambda r=rid: app.payment_history_page(r, limit=50),
                # 2: what follows the small resident's first payment (same page size).
                "deep page": lambda r=rid, c=deep: app.payment_history_page(
                    r, limit=2, cursor=c),
                "payment by id": lambda r=rid, p=archived: app.payment(r, p),
            }
        for op in ops["small"]:  # small and big interleaved: drift hits both alike
            both = interleaved(ops["small"][op], ops["big"][op], repeat)
            rows["small"][op], rows["big"][op] = both
        for rid in ("small", "big"):
            rows[rid]["full replay"] = median_ms(lambda r=rid: app.payment_history(r),
                                                 max(3, repeat // 8))
        print(f"\n{name}: built in {built:.0f} s")
        print(f"{'':>8} {'events':>7} {'payments':>9} {'archived':>9} {'page of 3':>10} "
              f"{'deep page':>10} {'page of 50':>11} {'by id':>8} {'full replay':>12}")
        for rid, r in rows.items():
            print(f"{rid:>8} {r['events']:>7.0f} {r['payments']:>9.0f} {r['archived']:>9.0f} "
                  f"{r['page']:>8.2f}ms {r['deep page']:>8.2f}ms {r['page of 50']:>9.2f}ms "
                  f"{r['payment by id']:>6.2f}ms {r['full replay']:>10.1f}ms")
        big, small = rows["big"], rows["small"]
        print(f"ratio big/small: page {big['page'] / small['page']:.2f}x, deep page "
              f"{big['deep page'] / small['deep page']:.2f}x, payment by id "
              f"{big['payment by id'] / small['payment by id']:.2f}x "
              f"(full replay {big['full replay'] / small['full replay']:.0f}x)")
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "dynamodb", "both"], default="both")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()
    for name in (["sqlite", "dynamodb"] if args.backend == "both" else [args.backend]):
        run(name, args.events, args.repeat)


if __name__ == "__main__":
    main()
