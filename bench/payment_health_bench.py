"""What the payment-health read model costs: projecting a month of a 10,500-home portfolio,
projecting it again (a redelivery: nothing new), and one `GET /analytics/payment-health`.

    .venv/bin/python bench/payment_health_bench.py [--backend sqlite|dynamodb] [--homes 10500]

A month of envelopes: per home a rent charge, a payment (93 % settle; 7 % fail, with one
of four reasons, and most of those are paid again and settle), late fees for 3 %, in
batches of 100 as the stream processor receives them. With `--backend dynamodb` the store
is on DynamoDB Local (started on a free loopback port, the test harness's command) and
every request is counted by API call. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sfr3_ledger.read_models.payment_health import PaymentHealthProjection, report

STATES = ["TX", "GA", "FL", "NC", "AZ"]
REASONS = ["insufficient_funds", "card_declined", "expired_card", "R01"]
CALLS: Counter[str] = Counter()


def month(homes: int, end: date) -> list[dict[str, Any]]:
    rng = random.Random(15)
    out: list[dict[str, Any]] = []

    def add(kind: str, day: date, state: str, amount: int, reason: str | None = None) -> None:
        stamp = datetime(day.year, day.month, day.day, rng.randrange(24), tzinfo=UTC)
        out.append({"eventId": str(uuid.UUID(int=rng.getrandbits(128))), "eventType": kind,
                    "timestamp": stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                    "data": {"state": state, "amount": amount, "failureReason": reason}})

    for _ in range(homes):
        state = rng.choice(STATES)
        rent = rng.randrange(120_000, 260_000)
        due = end - timedelta(days=rng.randrange(30))
        add("charge.posted", due, state, rent)
        add("payment.initiated", due, state, rent)
        if rng.random() < 0.93:
            add("payment.settled", due, state, rent)
            continue
        add("payment.failed", due, state, rent, rng.choice(REASONS))
        if rng.random() < 0.5:
            add("late_fee.applied", min(due + timedelta(days=5), end), state, 5_000)
        if rng.random() < 0.8:
            again = min(due + timedelta(days=rng.randrange(1, 4)), end)
            add("payment.initiated", again, state, rent)
            add("payment.settled", again, state, rent)
    out.sort(key=lambda e: e["timestamp"])
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def store(name: str) -> Iterator[Any]:
    if name == "sqlite":
        from sfr3_adapters.payment_health_sqlite import SQLitePaymentHealthStore

        yield SQLitePaymentHealthStore(Path(tempfile.mkdtemp()) / "payment-health.db")
        return
    from sfr3_adapters.dynamodb.payment_health import DynamoDBPaymentHealthStore
    from tests.harness.dynamodb_local import dynamodb_local_command

    port = free_port()
    proc = subprocess.Popen(dynamodb_local_command(port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        os.environ.update({"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
                           "AWS_DEFAULT_REGION": "us-east-1"})
        s = DynamoDBPaymentHealthStore(f"health-{uuid.uuid4().hex[:8]}",
                                       endpoint_url=f"http://127.0.0.1:{port}",
                                       region_name="us-east-1", create=True)
        s.client.meta.events.register(
            "before-call.dynamodb.*", lambda model, **_: CALLS.update([model.name]))
        yield s
    finally:
        proc.terminate()
        proc.wait(10)


def timed(fn: Any) -> tuple[Any, float, Counter[str]]:
    CALLS.clear()
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start, Counter(CALLS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--backend", choices=["sqlite", "dynamodb"], default="sqlite")
    parser.add_argument("--homes", type=int, default=10_500)
    args = parser.parse_args(argv)
    today = datetime.now(UTC).date()
    envelopes = month(args.homes, today)
    batches = [envelopes[i:i + 100] for i in range(0, len(envelopes), 100)]
    print(f"payment health, {args.backend}: {args.homes:,} homes, {len(envelopes):,} envelopes "
          f"in {len(batches):,} batches of 100")
    with store(args.backend) as s:
        projection = PaymentHealthProjection(s)
        new, took, calls = timed(lambda: sum(projection.process(b) for b in batches))
        print(f"  project the month: {new:,} facts in {took:.1f} s "
              f"({new / took:,.0f} facts/s); requests {dict(calls) or 'n/a'}")
        again, took, calls = timed(lambda: sum(projection.process(b) for b in batches))
        print(f"  the same month redelivered: {again} new facts in {took:.1f} s; "
              f"requests {dict(calls) or 'n/a'}")
        times = []
        for _ in range(5):
            if hasattr(s, "_cache"):
                s._cache.clear()  # each call as a new request (the store caches for 5 s)
            body, took, calls = timed(lambda: report(s, today, 15.0))
            times.append(took)
        t30 = body["trailing30Days"]
        print(f"  GET /analytics/payment-health: median {statistics.median(times) * 1000:.0f} ms "
              f"over 5; requests per call {dict(calls) or 'n/a'}; 30 days: "
              f"{t30['settled']:,} settled, {t30['failed']:,} failed, "
              f"success {t30['successRatePct']} %, {len(body['byState'])} states")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
