"""What the payment jobs cost (issue 13): a quiet run, a busy run, and one retry's work.

    .venv/bin/python bench/payment_jobs_bench.py [--backend sqlite|dynamodb] [--payments 10000]

1. Watch: `--payments` rows in the payment-watch read model (half PENDING payments, half
   scheduled retries, due times spread over the next 24 hours), then
   - a quiet run (nothing due yet: what every 15-minute run costs most of the time);
   - a busy run (the 1,000 soonest due of each kind).
   With `--backend dynamodb` the table is on DynamoDB Local (a free loopback port, the test
   harness's command) and every request is counted.
2. Work: 500 residents with a failed payment whose retry is due, retried through
   `PaymentJobWorker` on the SQLite ledger against an in-process provider that accepts
   every intent (so the figure is ours, not Stripe's): wall time per retry.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

import botocore.client

from bench.jobs_bench import free_port
from sfr3_ledger import LedgerApplication
from sfr3_ledger.payment_errors import PaymentDeclined
from sfr3_ledger.payment_jobs import PaymentJobWorker, PaymentWorkItem, plan, run
from sfr3_ledger.payment_provider import CardDeclined, PaymentIntentResult
from sfr3_ledger.payment_service import PaymentService
from sfr3_ledger.read_models.payments_pending import PENDING, RETRY, WatchRow

CALLS: Counter[str] = Counter()
_original = botocore.client.BaseClient._make_api_call


def _counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
    CALLS[operation] += 1
    return _original(self, operation, params)


botocore.client.BaseClient._make_api_call = _counting  # type: ignore[method-assign]


class Provider:
    """Declines a resident's first intent (insufficient funds), accepts every later one."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def create_payment_intent(self, *, payment_id: str, amount: int, currency: str,
                              metadata: Mapping[str, str] | None = None,
                              **_: Any) -> PaymentIntentResult:
        key = f"pi_{payment_id}"
        if payment_id not in self.seen and "-a" not in payment_id:
            self.seen.add(payment_id)
            raise CardDeclined("declined", decline_code="insufficient_funds",
                               payment_intent_id=key)
        return PaymentIntentResult(id=key, status="processing", amount=amount,
                                   currency=currency, metadata=dict(metadata or {}))

    def create_customer(self, **_: Any) -> str:
        return "cus_bench"


class Queue:
    def __init__(self, worker: PaymentJobWorker, now: datetime) -> None:
        self.worker, self.now = worker, now
        self.outcomes: Counter[str] = Counter()

    def send(self, items: Sequence[PaymentWorkItem]) -> None:
        for item in items:
            self.outcomes[self.worker(item, self.now)] += 1


def watch_for(name: str) -> tuple[Any, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="payment-jobs-bench-"))
    if name == "sqlite":
        from sfr3_adapters.payment_watch_sqlite import SQLitePaymentWatch

        return SQLitePaymentWatch(tmp / "watch.db"), None
    import contextlib
    import os
    import socket
    import subprocess

    from sfr3_adapters.dynamodb.payment_watch import DynamoDBPaymentWatch
    from tests.harness.dynamodb_local import dynamodb_local_command

    port = free_port()
    proc = subprocess.Popen(dynamodb_local_command(port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(200):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            break
        time.sleep(0.1)
    os.environ.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                       "AWS_DEFAULT_REGION": "us-east-1"})
    watch = DynamoDBPaymentWatch(f"watch-{uuid.uuid4().hex[:8]}",
                                 endpoint_url=f"http://127.0.0.1:{port}")
    watch.create_table()
    return watch, proc


def bench_watch(name: str, payments: int) -> None:
    watch, proc = watch_for(name)
    try:
        now = datetime(2027, 3, 1, 12, tzinfo=UTC)
        started = time.perf_counter()
        for n in range(payments):
            kind = PENDING if n % 2 else RETRY
            due = now + timedelta(seconds=60 + (n * 86_400) // payments)
            watch.put(WatchRow(kind, f"res-{n:06d}", f"pay_{n:06d}", due, now, 1 + n % 3))
        put_s = time.perf_counter() - started
        print(f"{name}: {payments} watch rows written in {put_s:.1f} s "
              f"({1000 * put_s / payments:.2f} ms a row, one put each)")
        for label, at in (("quiet run (nothing due)", now),
                          ("busy run (1,000 due of each kind)", now + timedelta(
                              seconds=60 + (2000 * 86_400) // payments))):
            CALLS.clear()
            started = time.perf_counter()
            items = {job: len(plan(watch, job, at))  # type: ignore[arg-type]
                     for job in ("payment-retries", "payment-recovery")}
            spent = time.perf_counter() - started
            requests = sum(CALLS.values()) if name == "dynamodb" else "-"
            print(f"{name}: {label}: {items} planned in {1000 * spent:.1f} ms, "
                  f"requests {requests}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)


def bench_work(residents: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="payment-jobs-bench-"))
    from sfr3_adapters.payment_watch_sqlite import SQLitePaymentWatch
    from sfr3_ledger.read_models.payments_pending import PaymentWatchProjection

    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                 "SQLITE_DBNAME": str(tmp / "ledger.db")})
    service = PaymentService(app, Provider())  # type: ignore[arg-type]
    watch = SQLitePaymentWatch(tmp / "watch.db")
    projection = PaymentWatchProjection(watch)
    for n in range(residents):
        rid = f"res-{n:05d}"
        method = app.enroll_payment_method(rid, provider_id="pm_card_visa", method_type="CARD",
                                           last4="4242", actor=rid).method_id
        app.link_customer(rid, "cus_bench")
        app.post_charge(rid, amount=150_000, charge_type="RENT", description="Rent", actor="pm")
        with contextlib.suppress(PaymentDeclined):
            service.pay(rid, amount=150_000, method_id=method, actor=rid, payment_id=f"pay_{n}")
    notes = app.recorder.select_notifications(start=None, limit=1_000_000)
    projection.process([app.mapper.to_domain_event(n) for n in notes])
    queue = Queue(PaymentJobWorker(service, watch), datetime.now(UTC) + timedelta(hours=5))
    started = time.perf_counter()
    run(watch, queue, "payment-retries", queue.now)
    spent = time.perf_counter() - started
    print(f"sqlite ledger: {residents} due retries worked in {spent:.1f} s "
          f"({1000 * spent / residents:.1f} ms a retry): {dict(queue.outcomes)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "dynamodb"], default="sqlite")
    parser.add_argument("--payments", type=int, default=10_000)
    parser.add_argument("--residents", type=int, default=500)
    args = parser.parse_args(argv)
    bench_watch(args.backend, args.payments)
    if args.backend == "sqlite":
        bench_work(args.residents)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
