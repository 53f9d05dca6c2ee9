"""What the ledger costs on DynamoDB: requests and capacity units per operation.

    .venv/bin/python bench/dynamodb_cost.py [--endpoint http://127.0.0.1:8000]
        [--compress] [--notifications counter|stream]

Without --endpoint it starts DynamoDB Local (the test harness's command) on a free
loopback port. Every request the recorder sends asks for ReturnConsumedCapacity=TOTAL;
the table lists, per operation and history length, the requests by API call and the
read/write capacity units consumed. Histories have a real resident's shape (monthly
rent, paid and settled; bench/ledger_bench.py's builder), saved with the application's
own snapshotting (every 10th version). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_bench import build_history  # bench/ is this script's directory

from sfr3_ledger import LedgerApplication

READS = {"GetItem", "Query", "BatchGetItem", "Scan", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
HISTORIES = (10, 1_000, 5_000)


def attribute_size(value: dict[str, Any]) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "B":
        return len(raw)
    if kind == "N":
        return len(raw.lstrip("-").replace(".", "")) // 2 + 1
    if kind == "SS":
        return sum(len(v.encode()) for v in raw)
    return 1


def item_size(attributes: dict[str, Any]) -> int:
    """DynamoDB's item size: names plus values (what write units are billed on)."""
    return sum(len(name) + attribute_size(value) for name, value in attributes.items())


def billed_write_units(operation: str, params: dict[str, Any]) -> float:
    """Write request units AWS bills: 1 per started KB of each item written, twice that
    inside a transaction. (DynamoDB Local under-reports transactions, so compute it.)"""

    def units(action: dict[str, Any]) -> int:
        if "Item" in action:
            size = item_size(action["Item"])
        else:  # an update of one of our small items: key plus the values it sets
            size = item_size(action.get("Key", {})) + item_size(
                {k.lstrip(":"): v for k, v in action.get("ExpressionAttributeValues", {}).items()}
            )
        return -(-size // 1024)

    if operation == "TransactWriteItems":
        return float(sum(2 * units(next(iter(a.values()))) for a in params["TransactItems"]))
    return float(units(params))


class Meter:
    """Counts the requests a boto3 client sends and the capacity they consume."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.rcu = 0.0
        self.wcu = 0.0
        self.local_wcu = 0.0
        events = client.meta.events
        events.register("provide-client-params.dynamodb", self._ask_for_capacity)
        events.register("after-call.dynamodb", self._count)

    def _ask_for_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in READS | WRITES:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        if model.name in WRITES:
            self.wcu += billed_write_units(model.name, params)

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        consumed = parsed.get("ConsumedCapacity") or []
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            units = float(entry.get("CapacityUnits", 0.0))
            if model.name in READS:
                self.rcu += units
            else:
                self.local_wcu += units

    @contextlib.contextmanager
    def measure(self) -> Iterator[dict[str, Any]]:
        self.calls.clear()
        self.rcu = self.wcu = self.local_wcu = 0.0
        result: dict[str, Any] = {}
        yield result
        result.update(
            calls=dict(self.calls), rcu=self.rcu, wcu=self.wcu, local_wcu=self.local_wcu
        )


def load_history(app: LedgerApplication, resident: str, events: int) -> None:
    """A real resident's shape (monthly rent, paid and settled, 30 days apart: see
    bench/ledger_bench.py). The application snapshots every 10th version as it saves, so
    the history ends with a snapshot and a tail of at most 9 events."""
    build_history(app, resident, events)


def run(
    endpoint: str, compress: bool, notifications: str = "counter"
) -> list[tuple[str, int, dict[str, Any]]]:
    env = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": f"cost-{uuid.uuid4().hex[:8]}",
        "DYNAMODB_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "DYNAMODB_NOTIFICATIONS": notifications,
    }
    if compress:
        env["COMPRESSOR_TOPIC"] = "eventsourcing.compressor:ZlibCompressor"
    app = LedgerApplication(env=env)
    meter = Meter(app.recorder.client)  # type: ignore[attr-defined]
    app.post_charge("warm-up", amount=1, charge_type="OTHER", description="w", actor="b")
    rows: list[tuple[str, int, dict[str, Any]]] = []
    for size in HISTORIES:
        resident = f"res-{size}-{uuid.uuid4().hex[:6]}"
        load_history(app, resident, size)
        method = app.enroll_payment_method(
            resident, provider_id="pm_x", method_type="CARD", last4="4242", actor=resident
        )
        operations: list[tuple[str, Callable[[], Any]]] = [
            ("post charge", lambda r=resident: app.post_charge(
                r, amount=5_000, charge_type="UTILITY", description="Water", actor="pm"
            )),
        ]
        for name, op in operations:
            with meter.measure() as figures:
                op()
            rows.append((name, size, figures))
        with meter.measure() as figures:
            started = app.initiate_payment(
                resident, amount=5_000, method_id=method.method_id, actor=resident
            )
        rows.append(("start payment", size, figures))
        with meter.measure() as figures:
            app.settle_payment(resident, started.payment.payment_id)
        rows.append(("settle payment", size, figures))
        with meter.measure() as figures:
            app.balance(resident)
        rows.append(("read balance", size, figures))
    return rows


def table(rows: list[tuple[str, int, dict[str, Any]]]) -> str:
    lines = [
        "| operation | events in history | requests | by call | RCU | WRU billed "
        "(DynamoDB Local says) |",
        "|---|---:|---:|---|---:|---:|",
    ]
    for name, size, figures in rows:
        calls = figures["calls"]
        by_call = ", ".join(f"{n} {c}" for c, n in sorted(calls.items()))
        lines.append(
            f"| {name} | {size:,} | {sum(calls.values())} | {by_call} | "
            f"{figures['rcu']:g} | {figures['wcu']:g} ({figures['local_wcu']:g}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", help="a running DynamoDB (Local) endpoint URL")
    parser.add_argument(
        "--compress", action="store_true", help="with the library's zlib compressor"
    )
    parser.add_argument(
        "--notifications", choices=("counter", "stream"), default="counter",
        help="the recorder's notification mode (docs/dynamodb.md)",
    )
    args = parser.parse_args(argv)
    # DynamoDB Local accepts any credentials; boto3 reads them from the environment.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    if args.endpoint:
        print(table(run(args.endpoint, args.compress, args.notifications)))
        return 0
    from tests.harness.dynamodb_local import dynamodb_local_command
    from tests.harness.procs import free_port, running

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(dynamodb_local_command(port), url, log_name="dynamodb-cost", timeout=90):
        print(table(run(url, args.compress, args.notifications)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
