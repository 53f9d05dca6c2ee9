"""StripeServiceClient: a new connection per call vs one kept-alive connection (issue 16).

    .venv/bin/python bench/stripe_service_client_bench.py [--calls 300]

Starts the local stack in-process (sfr3_dev.local_stack, what `make run` serves) on a free
loopback port with a fresh home, and times N `create_customer` calls (the same resident, so
the sandbox replays one customer) from a StripeServiceClient to stripeService through the
local API Gateway shim (sfr3_dev.gateway), twice:

  new conn     keep_alive=False: a TCP connection per call (the client before issue 16)
  keep-alive   the default: one pooled connection reused by every call

and prints p50/p90 latency, calls/s and the connections each client opened (one warm-up
call included). On loopback
this measures only the TCP set-up saved; deployed, every saved connection is also a TLS
handshake to API Gateway (typically tens of ms), so the gain there is larger.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def run(calls: int) -> None:
    from sfr3_adapters.stripe_service_client import StripeServiceClient
    from sfr3_dev.local_stack import LocalStack

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp, LocalStack(
        Path(tmp), port=0, persist_sandbox=False, run_scheduler=False
    ) as stack:
        import os

        key = os.environ["STRIPE_SERVICE_API_KEY"]
        print(f"{calls} create_customer calls -> {stack.url}/internal/stripe")
        print(f"{'mode':<12}{'p50 ms':>9}{'p90 ms':>9}{'calls/s':>10}{'conns':>7}")
        results = {}
        for label, keep_alive in (("new conn", False), ("keep-alive", True)):
            client = StripeServiceClient(stack.url, key, timeout=30, max_retries=0,
                                         keep_alive=keep_alive)
            client.create_customer(resident_id="res-bench")  # warm the path (counted)
            times = []
            start = time.perf_counter()
            for _ in range(calls):
                t0 = time.perf_counter()
                client.create_customer(resident_id="res-bench")
                times.append(time.perf_counter() - t0)
            wall = time.perf_counter() - start
            client.close()
            p50 = statistics.median(times) * 1000
            p90 = statistics.quantiles(times, n=10)[-1] * 1000
            results[label] = (p50, calls / wall)
            print(f"{label:<12}{p50:>9.2f}{p90:>9.2f}{calls / wall:>10.0f}"
                  f"{client.connections_opened:>7}")
        (p50_new, cps_new), (p50_ka, cps_ka) = results["new conn"], results["keep-alive"]
        print(f"keep-alive vs new conn: p50 {p50_new / p50_ka:.2f}x faster, "
              f"throughput {cps_ka / cps_new:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    run(parser.parse_args().calls)


if __name__ == "__main__":
    main()
