"""What a cold Lambda pays to build its boto3 clients before its first answer.

The webhook's first verified event builds the idempotency store's DynamoDB client, then
the ledger recorder's, and an SQS client when it queues work. Each sample is a fresh
interpreter that imports boto3 and our modules (not timed), then builds those three
clients the way our code does (timed, each). `--baseline DIR` runs the same in a checkout
of older code, interleaved sample by sample, and prints new/old: before issue 17's shared
session every client came from a boto3 session of its own, which loads the service's
model and endpoint rules again.

No AWS is called: building a client reads only local files.

Usage: .venv/bin/python bench/aws_clients_bench.py [--runs 15] [--baseline DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_SNIPPET = """
import json, os, time
os.environ.update(IDEMPOTENCY_TABLE="bench-idempotency", AWS_DEFAULT_REGION="us-east-1",
                  AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
import boto3
from sfr3_lambdas import wiring
from sfr3_adapters.dynamodb.client import dynamodb_client
from sfr3_adapters.aws_clients import client
t0 = time.perf_counter()
wiring.idempotency_store("webhook")
t1 = time.perf_counter()
dynamodb_client(None, "us-east-1")
t2 = time.perf_counter()
client("sqs")
t3 = time.perf_counter()
print("BENCH " + json.dumps({"idempotency": (t1 - t0) * 1000, "ledger": (t2 - t1) * 1000,
                             "sqs": (t3 - t2) * 1000, "all": (t3 - t0) * 1000}))
"""

FIGURES = ("idempotency", "ledger", "sqs", "all")


def sample(python: str, code: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(code), "PYTHONDONTWRITEBYTECODE": "1"}
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_PROFILE"):
        env.pop(name, None)
    result = subprocess.run([python, "-c", _SNIPPET], cwd=tempfile.gettempdir(), env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError((result.stderr.strip().splitlines() or ["?"])[-1])
    figures: dict[str, float] = json.loads(lines[-1][len("BENCH "):])
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--baseline", type=Path, help="a checkout of older code")
    args = parser.parse_args(argv)
    variants = {"new": REPO, **({"old": args.baseline.resolve()} if args.baseline else {})}
    samples: dict[str, list[dict[str, float]]] = {label: [] for label in variants}
    for _ in range(args.runs):
        for label, code in variants.items():
            samples[label].append(sample(sys.executable, code))
    print(f"boto3 clients a cold webhook builds, ms wall, median of {args.runs} fresh "
          "interpreters (boto3 and our modules imported first, not timed)")
    print(f"{'':6}" + "".join(f"{name:>14}" for name in FIGURES))
    medians = {label: {name: statistics.median(s[name] for s in runs) for name in FIGURES}
               for label, runs in samples.items()}
    for label, figures in medians.items():
        print(f"{label:6}" + "".join(f"{figures[name]:14.1f}" for name in FIGURES))
    if "old" in medians:
        print(f"{'new/old':6}" + "".join(
            f"{medians['new'][n] / medians['old'][n]:14.2f}" for n in FIGURES))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
