"""What the daily reconciliation costs for a day of 10,500 settled payments.

    .venv/bin/python bench/reconciliation_bench.py [--backend sqlite|dynamodb]
                                                   [--payments 10500] [--lost 5]

Builds one UTC day as the job finds it at 02:00 the next morning:
  - Stripe (the local sandbox, in-process, real HTTP; listed through the official SDK with
    `created[gte]/[lt]`, 100 a page, `starting_after`): one `charge` balance transaction
    per payment with Stripe's card fee, plus 1 % refunds and 0.2 % dispute withdrawals;
  - the ledger's settled-facts read model with the same facts (what the projection wrote
    during the day), and `--lost` payments whose webhook never came: PENDING in a real
    resident ledger, settled at Stripe (the job heals them through the webhook's path).
Then runs the job twice for that day: the first run (heals, marks every matched fact
reconciled, writes the CSV and JSON report) and a re-run (same report, marks nothing).
With `--backend dynamodb` the ledger and the finance table are on DynamoDB Local (started
on a free loopback port with the test harness's command); every DynamoDB request is
counted by table and API call. Peak memory is tracemalloc's peak during a third run (the
same reads and matching as the first run, without the writes; tracemalloc also traces the
in-process sandbox answering, so its wall time means nothing). Prints figures; asserts
nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import botocore.client

from sfr3_adapters.finance_files import LocalFiles
from sfr3_adapters.stripe_adapter import StripeAdapter
from sfr3_dev.stripe_sandbox import StripeSandbox
from sfr3_ledger import LedgerApplication
from sfr3_ledger.payment_service import PaymentService
from sfr3_ledger.read_models.settled_by_day import SettledFact
from sfr3_ledger.reconciliation_job import Reconciler, day_bounds

CALLS: Counter[str] = Counter()
_original = botocore.client.BaseClient._make_api_call


def _table(params: dict[str, Any]) -> str:
    if "TableName" in params:
        return str(params["TableName"])
    if params.get("RequestItems"):
        return str(next(iter(params["RequestItems"])))
    if params.get("TransactItems"):
        return str(next(iter(params["TransactItems"][0].values()))["TableName"])
    return "?"


def _counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
    CALLS[f"{_table(params).split('-')[0]}:{operation}"] += 1
    return _original(self, operation, params)


botocore.client.BaseClient._make_api_call = _counting  # type: ignore[method-assign]


class CountingProvider:
    """The adapter, counting the balance-history pages the job asks for."""

    def __init__(self, adapter: StripeAdapter) -> None:
        self.adapter = adapter
        self.pages = 0
        self.seconds = 0.0

    def list_balance_transactions_page(self, **kwargs: Any) -> Any:
        self.pages += 1
        started = time.perf_counter()
        try:
            return self.adapter.list_balance_transactions_page(**kwargs)
        finally:
            self.seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        return getattr(self.adapter, name)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def backend(name: str, tmp: Path) -> Iterator[tuple[dict[str, str], Any]]:
    if name == "sqlite":
        from sfr3_adapters.finance_read_models_sqlite import SQLiteSettledFacts

        yield ({"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(tmp / "ledger.db")}, SQLiteSettledFacts(tmp / "fin.db"))
        return
    with contextlib.suppress(ImportError):  # the project's own Java, where it ships one
        from sfr3_dev import toolchain  # type: ignore[attr-defined]

        toolchain.apply()
    from sfr3_adapters.dynamodb.finance_tables import DynamoDBSettledFacts
    from tests.harness.dynamodb_local import dynamodb_local_command

    port = free_port()
    proc = subprocess.Popen(dynamodb_local_command(port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        env = {"PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
               "DYNAMODB_TABLE": f"ledger-{uuid.uuid4().hex[:8]}",
               "DYNAMODB_ENDPOINT_URL": endpoint, "CREATE_TABLE": "y",
               "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
               "AWS_DEFAULT_REGION": "us-east-1"}
        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        facts = DynamoDBSettledFacts(f"finance-{uuid.uuid4().hex[:8]}", endpoint_url=endpoint,
                                     region_name="us-east-1")
        facts.create_table()
        yield env, facts
    finally:
        proc.terminate()
        proc.wait(10)


def stripe_day(sandbox: StripeSandbox, day: date, payments: int,
               lost: list[tuple[str, str, int]]) -> list[SettledFact]:
    """Stripe's books for `day`, written straight into the sandbox (what its API would have
    recorded), and the ledger facts that agree with them."""
    store = sandbox.store
    start, _ = day_bounds(day)
    facts: list[SettledFact] = []
    step = 86_000 // max(payments, 1)
    with store.transaction():
        def txn(type_: str, amount: int, fee: int, source: str, category: str,
                at: int) -> None:
            obj = store._balance_txn(type_, amount, fee, source, category, type_)
            obj["created"] = at

        for n in range(payments):
            at = int(start.timestamp()) + n * step
            amount = 150_000 + (n % 97) * 100
            pi, ch = f"pi_bench{n:06d}", f"ch_bench{n:06d}"
            store._put({"id": ch, "object": "charge", "payment_intent": pi,
                        "amount": amount, "created": at})
            txn("charge", amount, round(amount * 0.029) + 30, ch, "charge", at)
            facts.append(SettledFact(day=day, kind="payment", key=pi, resident_id=f"r{n}",
                                     payment_id=f"pay_{n}", amount=amount,
                                     at=datetime.fromtimestamp(at + 2, UTC), fact_id=f"pay_{n}"))
            if n % 100 == 7:  # 1 % refunded the same day
                re = f"re_bench{n:06d}"
                store._put({"id": re, "object": "refund", "payment_intent": pi,
                            "amount": 5_000, "created": at + 60})
                txn("refund", -5_000, 0, re, "refund", at + 60)
                facts.append(SettledFact(day=day, kind="refund", key=re, resident_id=f"r{n}",
                                         payment_id=f"pay_{n}", amount=-5_000,
                                         at=datetime.fromtimestamp(at + 61, UTC),
                                         fact_id=re))
            if n % 500 == 11:  # 0.2 % disputed
                dp = f"dp_bench{n:06d}"
                store._put({"id": dp, "object": "dispute", "payment_intent": pi,
                            "amount": amount, "created": at + 90})
                txn("adjustment", -amount, 1500, dp, "dispute", at + 90)
                facts.append(SettledFact(day=day, kind="chargeback", key=dp,
                                         resident_id=f"r{n}", payment_id=f"pay_{n}",
                                         amount=-amount,
                                         at=datetime.fromtimestamp(at + 91, UTC), fact_id=dp))
        for n, (rid, pid, amount) in enumerate(lost):
            at = int(start.timestamp()) + 86_300 + n
            pi, ch = f"pi_lost{n:04d}", f"ch_lost{n:04d}"
            store._put({"id": pi, "object": "payment_intent", "amount": amount,
                        "amount_received": amount, "currency": "usd", "status": "succeeded",
                        "latest_charge": ch, "last_payment_error": None,
                        "metadata": {"resident_id": rid, "payment_id": pid}, "created": at})
            store._put({"id": ch, "object": "charge", "payment_intent": pi,
                        "amount": amount, "created": at})
            txn("charge", amount, round(amount * 0.029) + 30, ch, "charge", at)
    return facts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "dynamodb"], default="sqlite")
    parser.add_argument("--payments", type=int, default=10_500)
    parser.add_argument("--lost", type=int, default=5)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="recon-bench-"))
    day = datetime.now(UTC).date() - timedelta(days=1)
    with backend(args.backend, tmp) as (env, facts_index), \
            StripeSandbox(api_key="sk_test_bench") as sandbox:
        app = LedgerApplication(env=env)
        adapter = StripeAdapter("sk_test_bench", "whsec_x", api_base=sandbox.url,
                                max_network_retries=0)
        provider = CountingProvider(adapter)
        payments = PaymentService(app, adapter)
        lost = []
        for n in range(args.lost):
            rid = f"res-lost-{n}"
            method = app.enroll_payment_method(rid, provider_id=f"pm_lost{n}",
                                               method_type="CARD", last4="4242",
                                               actor=rid).method_id
            app.post_charge(rid, amount=180_000, charge_type="RENT", description="Rent",
                            actor="pm")
            pid = app.initiate_payment(rid, amount=180_000, method_id=method,
                                       actor=rid).payment.payment_id
            app.record_submission(rid, pid, f"pi_lost{n:04d}")
            lost.append((rid, pid, 180_000))
        t0 = time.perf_counter()
        facts = stripe_day(sandbox, day, args.payments, lost)
        for fact in facts:
            facts_index.put_fact(fact)
        setup = time.perf_counter() - t0
        reports = LocalFiles(tmp / "reports")
        print(f"backend {args.backend}: {args.payments} payments, {len(facts)} ledger facts, "
              f"{len(lost)} lost webhooks on {day} (set up in {setup:.1f} s)")
        for label, traced in (("first run", False), ("re-run", False),
                              ("re-run under tracemalloc (for its peak; slower)", True)):
            CALLS.clear()
            provider.pages, provider.seconds = 0, 0.0
            if traced:
                tracemalloc.start()
            started = time.perf_counter()
            result = Reconciler(app, payments, provider, facts_index, reports).run(day)
            wall = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if traced else None
            if traced:
                tracemalloc.stop()
            print(f"\n{label}: {wall:.2f} s wall, {result.transactions} Stripe transactions in "
                  f"{provider.pages} list calls ({provider.seconds:.2f} s of the wall time, the "
                  f"sandbox answering included), healed {len(result.healed)}, newly "
                  f"reconciled {result.newly_reconciled}")
            print("  counts: " + ", ".join(f"{k} {v}" for k, v in result.counts.items()))
            if peak is not None:
                print(f"  peak memory (tracemalloc): {peak / 1e6:.1f} MB")
            if CALLS:
                total = sum(CALLS.values())
                print(f"  DynamoDB requests: {total}")
                for key, count in sorted(CALLS.items()):
                    print(f"    {key:<40} {count}")
        size = sum(p.stat().st_size for p in (tmp / "reports").rglob("*") if p.is_file())
        print(f"\nreport files: {size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
