"""What the autopay sweep costs: wall time, requests per due enrollment, and throughput
against a configured Stripe rate limit.

    .venv/bin/python bench/autopay_bench.py [--backend sqlite|dynamodb] [--enrollments 10500]
                                            [--rate 25]

Builds enrollments spread over the 28 charge days (each resident with a lease, a card
attached at the local Stripe server and a month's rent posted), feeds the schedule read
model, then sweeps one charge day (1/28 of the portfolio) twice: unlimited, then through
the worker's token bucket at `--rate` Stripe calls per second (sfr3_adapters/rate_limit.py),
on one in-process worker against the local Stripe server (the SDK over HTTP). Requests are
counted per DynamoDB API call (`--backend dynamodb`) and per Stripe call. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from jobs_bench import CALLS, backend  # counts every botocore call

from sfr3_adapters.rate_limit import RateLimitedProvider, TokenBucket
from sfr3_adapters.stripe_adapter import StripeAdapter
from sfr3_dev.stripe_sandbox.server import StripeSandbox
from sfr3_ledger import LedgerApplication
from sfr3_ledger.jobs import Worker, WorkItem, run
from sfr3_ledger.leases import LeaseTerms
from sfr3_ledger.payment_service import PaymentService
from sfr3_ledger.read_models.schedule import ScheduleProjection

ZONE = "America/Chicago"


class CountingProvider:
    """Counts the provider calls (each is one Stripe API request here)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        target = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return target(*args, **kwargs)

        return call


class Queue:
    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.outcomes: Counter[str] = Counter()

    def send(self, items: Sequence[WorkItem]) -> None:
        for item in items:
            self.outcomes[self.worker(item)] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "dynamodb"], default="sqlite")
    parser.add_argument("--enrollments", type=int, default=10_500)
    parser.add_argument("--rate", type=float, default=25.0)
    args = parser.parse_args(argv)
    sandbox = StripeSandbox(api_key="sk_test_bench").start()
    try:
        with backend(args.backend) as (env, index):
            app = LedgerApplication(env=env)
            adapter = StripeAdapter("sk_test_bench", None, api_base=sandbox.url, timeout=30,
                                    max_network_retries=0)
            counted = CountingProvider(adapter)
            service = PaymentService(app, counted)  # type: ignore[arg-type]
            started = time.perf_counter()
            for i in range(args.enrollments):
                rid = f"res-{i:05d}"
                app.start_lease(rid, lease_id=f"lse-{i:05d}", property_id=f"home-{i:05d}",
                                us_state="TX", start_date=date(2027, 1, 1), actor="pm",
                                terms=LeaseTerms(monthly_rent=150_000 + i, rent_due_day=1))
                method = service.enroll_payment_method(
                    rid, method_type="card", provider_method_id="pm_card_visa", actor=rid)
                app.enroll_autopay(rid, enrollment_id=f"apay-{i:05d}",
                                   method_id=method.method_id, charge_day=1 + i % 28,
                                   actor=rid)
                app.post_charge(rid, charge_id=f"lse-{i:05d}:rent:2027-01", amount=150_000 + i,
                                charge_type="RENT", description="Rent 2027-01",
                                due_date=date(2027, 1, 1), actor="system:jobs")
            built = time.perf_counter() - started
            projection = ScheduleProjection(index, app.find_lease, app.find_autopay)
            position = 0
            while notes := app.recorder.select_notifications(
                    start=position, limit=500, inclusive_of_start=False):
                projection.process([app.mapper.to_domain_event(n) for n in notes])
                position = notes[-1].id
            print(f"backend {args.backend}: {args.enrollments} enrollments built in "
                  f"{built:.1f} s")
            print(f"{'sweep':<34} {'paid':>5} {'seconds':>8} {'pay/s':>6} "
                  f"{'db req/item':>12} {'stripe/item':>12}")
            for label, day, provider in (
                ("charge day 2, unlimited", date(2027, 1, 2), counted),
                (f"charge day 3, {args.rate:g} Stripe calls/s", date(2027, 1, 3),
                 RateLimitedProvider(counted, TokenBucket(args.rate))),  # type: ignore[arg-type]
            ):
                worker = Worker(app, index, PaymentService(app, provider))  # type: ignore[arg-type]
                queue = Queue(worker)
                CALLS.clear()
                counted.calls.clear()
                started = time.perf_counter()
                run(index, queue, "autopay-sweep", ZONE, day)
                took = time.perf_counter() - started
                paid = queue.outcomes["charged"]
                db = sum(CALLS.values())
                stripe = sum(counted.calls.values())
                db_per = f"{db / paid:.1f}" if paid and db else "-"
                print(f"{label:<34} {paid:>5} {took:>8.2f} {paid / took:>6.1f} "
                      f"{db_per:>12} {stripe / max(paid, 1):>12.1f}")
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
