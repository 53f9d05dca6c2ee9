"""The API's cold start with its first request, for bench/cold_start.py.

What a cold API Lambda pays before its first answer is the handler's import plus that
request; code imported lazily (on first use) moves from the first to the second, so the
import time alone would flatter laziness. Each sample here is a fresh interpreter that
imports the handler and answers one request (a SCENARIO), under the bundle's CPython 3.12,
from the unzipped zip (as `cold_start.import_once` does). It prints the import, the
request, and their sum, wall and CPU.

The ledger runs on `eventsourcing.popo` (nothing stored: the reads answer 200 or 404):
no AWS is reachable from the bench. On Lambda the first ledger request also builds the
DynamoDB recorder's boto3 client and makes its calls. The calls are not timed here (the
same for any two versions of our code), but the client is: after the request the same
interpreter builds it (`sfr3_adapters.dynamodb.client.dynamodb_client`: boto3's import and
the client, no call), because what that import costs depends on what the handler's import
left in `sys.modules` (ssl, for one, comes with asyncio when Powertools' AppSync resolver
is imported, else with botocore). So "+ client" is the cold start a deployed ledger request
pays before its first DynamoDB call. The reconciliation report is read from an empty local
folder (SFR3_REPORTS_DIR) instead of S3, for the same reason.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import tempfile
from pathlib import Path

# (label, method, path, claims, expected status): a balance (what most first requests
# look like), then one request to each resource whose code is imported on first use.
RESIDENT = {"sub": "bench-resident", "custom:residentId": "r-1"}
FINANCE = {"sub": "bench-finance", "cognito:groups": "finance"}
SCENARIOS = (
    ("GET balance", "GET", "/residents/r-1/balance", RESIDENT, 200),
    ("GET autopay", "GET", "/residents/r-1/autopay", RESIDENT, 404),
    ("GET lease", "GET", "/residents/r-1/lease", RESIDENT, 404),
    ("GET report (finance)", "GET", "/reports/reconciliation/2026-01-05", FINANCE, 404),
)

_SNIPPET = """
import json, sys, time
from types import SimpleNamespace
t0, c0 = time.perf_counter(), time.process_time()
import sfr3_lambdas.api as api
t1, c1 = time.perf_counter(), time.process_time()
method, path, claims = json.loads(sys.argv[1])
event = {"httpMethod": method, "path": path, "resource": path, "body": None,
         "isBase64Encoded": False, "headers": {"Host": "bench.example.com"},
         "pathParameters": None, "queryStringParameters": None,
         "requestContext": {"requestId": "bench-1", "stage": "dev", "httpMethod": method,
                            "path": path, "authorizer": {"claims": claims}}}
context = SimpleNamespace(
    function_name="sfr3-dev-bench", function_version="$LATEST", memory_limit_in_mb=1024,
    invoked_function_arn="arn:aws:lambda:us-east-1:000000000000:function:sfr3-dev-bench",
    aws_request_id="bench-1", log_group_name="bench", log_stream_name="bench",
    get_remaining_time_in_millis=lambda: 30000)
response = api.handler(event, context)
t2, c2 = time.perf_counter(), time.process_time()
from sfr3_adapters.dynamodb.client import dynamodb_client
dynamodb_client(None, "us-east-1")  # what a deployed ledger request builds (no call)
t3, c3 = time.perf_counter(), time.process_time()
print("BENCH " + json.dumps({
    "import": (t1 - t0) * 1000, "import_cpu": (c1 - c0) * 1000,
    "request": (t2 - t1) * 1000, "request_cpu": (c2 - c1) * 1000,
    "client": (t3 - t2) * 1000, "client_cpu": (c3 - c2) * 1000,
    "status": response["statusCode"], "body": str(response.get("body"))[:120]}))
"""


def request_once(python: str, path: list[Path], env: dict[str, str],
                 scenario: tuple[str, str, str, dict[str, str], int]) -> dict[str, float]:
    """One fresh interpreter: the handler's import, then the scenario's request."""
    label, method, url, claims, expected = scenario
    reports = tempfile.mkdtemp(prefix="sfr3-reports-")
    run_env = {**env, "PERSISTENCE_MODULE": "eventsourcing.popo", "SFR3_REPORTS_DIR": reports,
               "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": os.pathsep.join(map(str, path))}
    result = subprocess.run(
        [python, "-S", "-c", _SNIPPET, json.dumps([method, url, claims])],
        cwd=tempfile.mkdtemp(prefix="sfr3-cwd-"), env=run_env, capture_output=True,
        text=True, timeout=120, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH ")]
    if result.returncode != 0 or not lines:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"{label}: {last}")
    sample: dict[str, float] = json.loads(lines[-1][len("BENCH "):])
    if sample["status"] != expected:
        raise RuntimeError(f"{label}: status {sample['status']}, expected {expected}: "
                           f"{sample['body']}")
    return sample


def _median(samples: list[dict[str, float]], key: str) -> float:
    """Median of one figure; `total` is import + request, `all` that + the client."""
    parts = {"total": ("import", "request"), "all": ("import", "request", "client")}
    base, _, cpu = key.partition("_")
    if base in parts:
        return statistics.median(sum(s[p + ("_cpu" if cpu else "")] for p in parts[base])
                                 for s in samples)
    return statistics.median(s[key] for s in samples)


def first_request_report(runs: int, python: str, env: dict[str, str], new: list[Path],
                         old: list[Path] | None) -> list[str]:
    """Median of `runs` fresh interpreters per scenario (interleaved with `old`, if any)."""
    lines = [
        f"api cold start with its first request: a fresh interpreter per sample (import, "
        f"then one request), median of {runs}, ms wall (cpu); ledger on eventsourcing.popo, "
        "so DynamoDB's calls come on top (the same for old and new); + client: then the "
        "DynamoDB client a deployed ledger request builds (boto3's import, no call)",
        f"{'first request':22} {'':3} {'import':>15} {'request':>15} {'import+request':>15} "
        f"{'client':>15} {'+ client':>15}",
    ]
    for scenario in SCENARIOS:
        variants = {"new": new, **({"old": old} if old else {})}
        samples: dict[str, list[dict[str, float]]] = {label: [] for label in variants}
        try:
            for _ in range(runs):
                for label, path in variants.items():
                    samples[label].append(request_once(python, path, env, scenario))
        except RuntimeError as exc:
            lines.append(f"{scenario[0]:22} cannot measure: {exc}")
            continue
        for label, mine in samples.items():
            row = (f"{scenario[0] if label == 'new' else '':22} {label:3} "
                   + " ".join(f"{_median(mine, k):6.1f} ({_median(mine, k + '_cpu'):6.1f})"
                              for k in ("import", "request", "total", "client", "all")))
            if label == "old":
                for key in ("total", "all"):
                    ratio = _median(samples["new"], key) / _median(mine, key)
                    cpu = _median(samples["new"], key + "_cpu") / _median(mine, key + "_cpu")
                    row += f"  {'+ client ' if key == 'all' else ''}new/old {ratio:4.2f} " \
                           f"(cpu {cpu:4.2f})"
            lines.append(row)
    return lines
