"""What the daily jobs cost: wall time and requests for a due day and for a quiet day.

    .venv/bin/python bench/jobs_bench.py [--backend sqlite|dynamodb] [--leases 10500]

Builds a portfolio of leases (85 % of rent due on the 1st, the rest spread over the 2nd to
the 15th, in five states / four time zones), feeds the schedule read model from the
notification log, then runs, in each zone, as deployed but with one in-process worker:
  - the 1st: recurring charges for everyone due;
  - the 7th: late fees for every rent still unpaid after the 5-day grace;
  - a quiet day (the 25th: nothing due, nothing to judge), after daily runs up to it.
With `--backend dynamodb` the ledger and the read model are on DynamoDB Local (started on a
free loopback port, the test harness's command) and every request is counted by API call.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import botocore.client

from sfr3_ledger import LedgerApplication
from sfr3_ledger.jobs import JOBS, Worker, WorkItem, run
from sfr3_ledger.leases import LeaseTerms
from sfr3_ledger.read_models.schedule import ScheduleProjection

STATES = ["TX", "FL", "AZ", "CA", "GA"]  # Chicago, New York, Phoenix, Los Angeles, New York
CALLS: Counter[str] = Counter()
_original = botocore.client.BaseClient._make_api_call


def _counting(self: Any, operation: str, params: dict[str, Any]) -> Any:
    CALLS[f"{params.get('TableName', '?').split('-')[0]}:{operation}"] += 1
    return _original(self, operation, params)


botocore.client.BaseClient._make_api_call = _counting  # type: ignore[method-assign]


class Queue:
    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.outcomes: Counter[str] = Counter()

    def send(self, items: Sequence[WorkItem]) -> None:
        for item in items:
            self.outcomes[self.worker(item)] += 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def backend(name: str) -> Iterator[tuple[dict[str, str], Any]]:
    tmp = Path(tempfile.mkdtemp(prefix="jobs-bench-"))
    if name == "sqlite":
        from sfr3_adapters.read_models_sqlite import SQLiteScheduleIndex

        yield ({"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(tmp / "ledger.db")},
               SQLiteScheduleIndex(tmp / "read-models.db"))
        return
    from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex
    from tests.harness.dynamodb_local import dynamodb_local_command

    port = free_port()
    proc = subprocess.Popen(dynamodb_local_command(port), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.1)
        env = {"PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
               "DYNAMODB_TABLE": f"ledger-{uuid.uuid4().hex[:8]}",
               "DYNAMODB_ENDPOINT_URL": endpoint, "CREATE_TABLE": "y",
               "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x",
               "AWS_DEFAULT_REGION": "us-east-1"}
        import os

        os.environ.update({k: v for k, v in env.items() if k.startswith("AWS_")})
        index = DynamoDBScheduleIndex(f"schedule-{uuid.uuid4().hex[:8]}",
                                      endpoint_url=endpoint)
        index.create_table()
        yield env, index
    finally:
        proc.terminate()
        proc.wait(10)


def measure(label: str, fn: Any) -> tuple[Any, float, Counter[str]]:
    CALLS.clear()
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started, Counter(CALLS)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "dynamodb"], default="sqlite")
    parser.add_argument("--leases", type=int, default=10_500)
    args = parser.parse_args(argv)
    with backend(args.backend) as (env, index):
        app = LedgerApplication(env=env)

        def build() -> int:
            for i in range(args.leases):
                due = 1 if i % 20 < 17 else 2 + i % 14  # nothing falls due after the 15th
                app.start_lease(f"res-{i:05d}", lease_id=f"lse-{i:05d}",
                                property_id=f"home-{i:05d}", us_state=STATES[i % 5],
                                start_date=date(2027, 1, 1), actor="pm",
                                terms=LeaseTerms(monthly_rent=150_000 + i, rent_due_day=due))
            return args.leases

        projection = ScheduleProjection(index, app.find_lease)
        position = 0

        def feed() -> int:
            nonlocal position
            seen = 0
            while notes := app.recorder.select_notifications(
                    start=position, limit=500, inclusive_of_start=False):
                seen += projection.process([app.mapper.to_domain_event(n) for n in notes])
                position = notes[-1].id
            return seen

        def day(job: str, on: date) -> Counter[str]:
            outcomes: Counter[str] = Counter()
            for zone in index.time_zones():
                queue = Queue(Worker(app, index))
                run(index, queue, job, zone, on)  # type: ignore[arg-type]
                outcomes.update(queue.outcomes)
            return outcomes

        rows = []
        _, took, calls = measure("build", build)
        rows.append(("create leases", args.leases, took, calls))
        _, took, calls = measure("feed", feed)
        rows.append(("project the log", args.leases, took, calls))
        for job in JOBS:  # a first run per zone, the day before the leases start
            day(job, date(2026, 12, 31))
        measured = {(date(2027, 1, 1), "recurring-charges"): "due day (1st): charges",
                    (date(2027, 1, 7), "late-fees"): "grace over (7th): late fees",
                    (date(2027, 1, 25), "recurring-charges"): "quiet day (25th): charges",
                    (date(2027, 1, 25), "late-fees"): "quiet day (25th): late fees"}
        for on in (date(2027, 1, d) for d in range(1, 26)):
            for job in JOBS:
                feed()  # as the stream does between runs: new rent becomes a candidate
                label = measured.get((on, job))
                if label is None:
                    day(job, on)
                    continue
                outcomes, took, calls = measure(label, lambda j=job, d=on: day(j, d))
                rows.append((label, sum(outcomes.values()), took, calls))
        print(f"backend {args.backend}, {args.leases} leases in {len(index.time_zones())} zones")
        print(f"{'step':<30} {'items':>6} {'seconds':>8} {'requests':>9} {'req/item':>9}")
        for label, items, took, calls in rows:
            total = sum(calls.values())
            per = f"{total / items:.1f}" if items and total else "-"
            print(f"{label:<30} {items:>6} {took:>8.2f} {total or '-':>9} {per:>9}")
            if calls and args.backend == "dynamodb":
                detail = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
                print(f"{'':<30} {detail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
