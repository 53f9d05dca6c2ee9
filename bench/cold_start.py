"""Cold-start figures: each handler module's import time and the deployment bundles' sizes.

Import time is what a cold Lambda pays before the first request (beyond the runtime's own
start): `python -X importtime -c "import sfr3_lambdas.X"` in fresh interpreters, the median
of several runs, read from the cumulative time of the handler module's own line. It also
reports whether `stripe` was imported (only stripeService may) and how many modules loaded.

The bundles are the zips `osls package` builds (serverless-python-requirements, 3.12
bytecode, then one zip per group of functions: serverless.yml custom.bundles). Pass
`--package DIR` to measure an existing `osls package --package DIR` output, or let the
script package into `.sfr3/bench-package` (about 30-60 s; requirements come from the cache).

The bundles' packaging, unzipping and size report are `cold_start_bundles.py`.
With bundles it also imports each function's handler from the unzipped zip that function
ships, under the CPython 3.12 that compiled its pycs (`sfr3-payments.bytecode.json`): once
with the zip's own pycs, once with the same files minus every pyc. `--baseline DIR` measures
an older package the same way, interleaved run by run with the new one (same machine load),
and prints new/old per function; an older package with one `sfr3-payments.zip` for every
function is understood too (the layout before issue 17).

Then the API's cold start with its first request (`cold_start_requests.py`): import + one
request (a balance; autopay, a lease, a report: code imported on first use), then the
DynamoDB client a deployed ledger request builds, each in a fresh interpreter, so what
laziness moves from the import to the first request shows. `--only api,stripeWebhook`
times those functions only (more runs in the same time).

Usage: .venv/bin/python bench/cold_start.py [--runs 7] [--package DIR] [--baseline DIR]
       [--no-bundle] [--no-checkout] [--no-requests] [--only api,stripeWebhook]
Target (issues 7, 17): the API handler imports in 300 ms or less from the 3.12 bundle with
bytecode on a quiet machine; no stripe outside stripeService; no PDF stack outside receipts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cold_start_bundles import Bundles, bundle_report, package_dir, runtime_dir
from cold_start_requests import first_request_report

REPO = Path(__file__).resolve().parents[1]
HANDLERS = {
    "api": "sfr3_lambdas.api",
    "stripeWebhook": "sfr3_lambdas.stripe_webhook",
    "stripeService": "sfr3_lambdas.stripe_service",
    "streamProcessor": "sfr3_lambdas.stream_processor",
    "notifications": "sfr3_lambdas.notifications",
    "receipts": "sfr3_lambdas.receipts",
    "jobsWorker": "sfr3_lambdas.jobs.worker",
    "scheduleProjection": "sfr3_lambdas.jobs.read_models",
    "financeJobs": "sfr3_lambdas.jobs.finance",
    "paymentJobsWorker": "sfr3_lambdas.jobs.retries",
}
API_HANDLERS = {"api", "stripeWebhook", "stripeService"}
TARGET_MS = 300.0
STRIPE_ALLOWED = {"stripeService"}

# What the functions see in Lambda (serverless.yml provider.environment), with fake values.
LAMBDA_ENV = {
    "STAGE": "dev",
    "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
    "DYNAMODB_TABLE": "sfr3-dev-ledger",
    "CREATE_TABLE": "no",
    "IDEMPOTENCY_TABLE": "sfr3-dev-idempotency",
    "EVENT_BUS_NAME": "sfr3-dev-events",
    "FIREHOSE_STREAM_NAME": "sfr3-dev-events-lake",
    "LAKE_BUCKET": "sfr3-dev-events-lake",
    "RECEIPTS_BUCKET": "sfr3-dev-receipts",
    "FROM_EMAIL": "payments-dev@example.com",
    "POWERTOOLS_SERVICE_NAME": "sfr3-payments",
    "POWERTOOLS_METRICS_NAMESPACE": "SFR3Payments",
    "LOG_LEVEL": "INFO",
    "STRIPE_SERVICE_URL": "http://127.0.0.1:9/dev/internal/stripe",
    "STRIPE_SERVICE_API_KEY": "bench-key",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    # Set by Lambda: the first Logger routes the library's loggers (sfr3_lambdas/log_context).
    "AWS_LAMBDA_FUNCTION_NAME": "sfr3-dev-bench",
}
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def import_once(
    module: str,
    *,
    bytecode: bool = True,
    python: str = sys.executable,
    path: list[Path] | None = None,
) -> tuple[float, bool, int, float]:
    """(cumulative ms of `module`, stripe imported?, modules imported, CPU ms of the import)
    in a new interpreter. The CPU time (process_time around the import) is what the import
    costs on a quiet machine: on a busy one the wall time also counts waiting for a core.

    bytecode=False compiles every module from source, as Lambda does with a bundle that
    ships no .pyc (its /var/task is read-only, so nothing is cached between cold starts).
    `path` (PYTHONPATH, run from an empty directory) imports from an unzipped bundle
    instead of the checkout; it writes no bytecode, so only shipped pycs count.
    """
    env = {"PATH": os.environ.get("PATH", ""), **LAMBDA_ENV}
    cwd = REPO
    if not bytecode:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="sfr3-nopyc-")
    if path is not None:
        env, cwd = bundle_env(path)
    # From a bundle, without the interpreter's own site-packages (-S): a .pth there may import
    # packages the bundle holds (certifi, say) before the timing starts, which would both
    # hide their cost and make the bundle's contents change the figure (Lambda runs none).
    site = ["-S"] if path is not None else []
    result = subprocess.run(
        [python, *site, "-X", "importtime", "-c",
         f"import time; _t = time.process_time(); import {module}; "
         "print(f'cpu {(time.process_time() - _t) * 1000:.3f}')"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "?"
        raise RuntimeError(last)
    cumulative_us = None
    names: list[str] = []
    for match in LINE.finditer(result.stderr):
        names.append(match.group(4))
        if match.group(4) == module:
            cumulative_us = int(match.group(2))
    if cumulative_us is None:
        raise RuntimeError(f"{module} not in -X importtime output")
    stripe = any(n == "stripe" or n.startswith("stripe.") for n in names)
    cpu = float(result.stdout.split("cpu ", 1)[1].split()[0])
    return cumulative_us / 1000, stripe, len(names), cpu


def bundle_env(path: list[Path]) -> tuple[dict[str, str], Path]:
    """The environment and an empty working directory for importing from an unzipped
    bundle (PYTHONPATH), writing no bytecode, so only shipped pycs count."""
    env = {"PATH": os.environ.get("PATH", ""), **LAMBDA_ENV, "PYTHONDONTWRITEBYTECODE": "1",
           "PYTHONPATH": os.pathsep.join(map(str, path))}
    return env, Path(tempfile.mkdtemp(prefix="sfr3-cwd-"))


def import_plain(module: str, *, python: str, path: list[Path]) -> float:
    """Wall ms of `import module` from an unzipped bundle in a new interpreter, without
    `-X importtime`: what Lambda pays. The instrumented figure (`import_once`) is a few
    per cent higher (it times and prints every one of ~390 imports)."""
    env, cwd = bundle_env(path)
    result = subprocess.run(
        [python, "-S", "-c", f"import time; _t = time.perf_counter(); import {module}; "
         "print(f'wall {(time.perf_counter() - _t) * 1000:.3f}')"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        last = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "?"
        raise RuntimeError(last)
    return float(result.stdout.split("wall ", 1)[1].split()[0])


def measure_imports(runs: int) -> list[tuple[str, str, str]]:
    rows = []
    for function, module in HANDLERS.items():
        try:
            samples = [import_once(module) for _ in range(runs)]
        except RuntimeError as exc:
            rows.append((function, module, f"cannot import: {exc}"))
            continue
        times = sorted(s[0] for s in samples)
        stripe = any(s[1] for s in samples)
        cold = statistics.median(
            import_once(module, bytecode=False)[0] for _ in range(max(1, runs // 2))
        )
        verdict = []
        if function in API_HANDLERS and statistics.median(times) >= TARGET_MS:
            verdict.append(f"OVER {TARGET_MS:.0f} ms")
        if stripe and function not in STRIPE_ALLOWED:
            verdict.append("IMPORTS stripe")
        rows.append(
            (
                function,
                module,
                f"{statistics.median(times):7.1f} ms  ({times[0]:.0f}-{times[-1]:.0f})  "
                f"no-pyc {cold:7.1f} ms  "
                f"modules={samples[0][2]:4d}  stripe={'yes' if stripe else 'no '}  "
                + (" ".join(verdict) or "ok"),
            )
        )
    return rows


def measure_bundle_imports(runs: int, directory: Path, baseline: Path | None,
                           requests: bool = True) -> list[str]:
    report_file = directory / "sfr3-payments.bytecode.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    if report.get("status") != "compiled":
        return [f"bundle imports: not measured ({report.get('reason', 'no bytecode report')})"]
    python = str(report["interpreter"])
    lines = [
        f"handler import from the unzipped zip each function ships, with {python} "
        f"({report['version']}), median of {runs}; pyc = the zip's own pycs, src = the same "
        "zip without them; ms and cpu under -X importtime, plain = wall ms without it "
        "(what Lambda pays)" + ("; old = --baseline, interleaved run by run" if baseline else "")
    ]
    with tempfile.TemporaryDirectory(prefix="sfr3-bundle-") as work:
        runtime = runtime_dir(python, Path(work))
        new = Bundles(python, directory, Path(work) / "new", runtime, HANDLERS)
        old = (Bundles(python, baseline, Path(work) / "old", runtime, HANDLERS)
               if baseline else None)
        for function, module in HANDLERS.items():
            variants = {f"{label}": new.path(function, label)
                        for label in ("bundle-pyc", "bundle-src")}
            if old is not None:
                variants["old-pyc"] = old.path(function, "bundle-pyc")
            times: dict[str, list[float]] = {label: [] for label in variants}
            cpu: dict[str, list[float]] = {label: [] for label in variants}
            plain: dict[str, list[float]] = {label: [] for label in variants}
            failed: dict[str, str] = {}
            for _ in range(runs):
                for label, path in variants.items():
                    if label in failed:
                        continue
                    try:
                        sample = import_once(module, python=python, path=path)
                    except RuntimeError as exc:
                        failed[label] = str(exc)
                        continue
                    times[label].append(sample[0])
                    cpu[label].append(sample[3])
                    if label.endswith("-pyc"):
                        plain[label].append(import_plain(module, python=python, path=path))
            figures = []
            for label in variants:
                if label in failed:
                    figures.append(f"{label} cannot import: {failed[label]}")
                elif label.endswith("-pyc"):
                    figures.append(f"{label} {statistics.median(times[label]):7.1f} ms "
                                   f"(cpu {statistics.median(cpu[label]):6.1f}, "
                                   f"plain {statistics.median(plain[label]):6.1f})")
                else:
                    figures.append(f"{label} {statistics.median(times[label]):7.1f} ms")
            if old is not None and not failed:
                ratio = statistics.median(times["bundle-pyc"]) / statistics.median(times["old-pyc"])
                cpu_ratio = statistics.median(cpu["bundle-pyc"]) / statistics.median(cpu["old-pyc"])
                plain_ratio = (statistics.median(plain["bundle-pyc"])
                               / statistics.median(plain["old-pyc"]))
                figures.append(f"new/old {ratio:4.2f} (cpu {cpu_ratio:4.2f}, "
                               f"plain {plain_ratio:4.2f})")
            verdict = ""
            if function in API_HANDLERS and "bundle-pyc" not in failed:
                over = statistics.median(times["bundle-pyc"]) > TARGET_MS
                cpu_over = statistics.median(cpu["bundle-pyc"]) > TARGET_MS
                plain_over = statistics.median(plain["bundle-pyc"]) > TARGET_MS
                verdict = (f"  wall {'OVER' if over else 'within'} {TARGET_MS:.0f} ms, "
                           f"cpu {'OVER' if cpu_over else 'within'}, "
                           f"plain {'OVER' if plain_over else 'within'}")
            zip_name = new.functions[function]
            lines.append(f"{function:20} {zip_name:26} " + "  ".join(figures) + verdict)
        if requests:
            env = {"PATH": os.environ.get("PATH", ""), **LAMBDA_ENV}
            lines += ["", *first_request_report(
                runs, python, env, new.path("api", "bundle-pyc"),
                old.path("api", "bundle-pyc") if old is not None else None)]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--package", help="an existing `osls package --package DIR` output")
    parser.add_argument("--baseline", help="an older package output to compare with")
    parser.add_argument("--no-bundle", action="store_true", help="import times only")
    parser.add_argument("--no-requests", action="store_true",
                        help="no api first-request figures (cold_start_requests.py)")
    parser.add_argument("--no-checkout", action="store_true",
                        help="bundle imports only (not from this checkout under this Python)")
    parser.add_argument("--only", help="these functions only (comma-separated), e.g. "
                        "api,stripeWebhook: more runs of them in the same time")
    args = parser.parse_args(argv)
    if args.only:
        wanted = set(args.only.split(","))
        unknown = wanted - set(HANDLERS)
        if unknown:
            parser.error(f"unknown functions: {', '.join(sorted(unknown))}")
        for function in set(HANDLERS) - wanted:
            del HANDLERS[function]

    print(f"machine: {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if not args.no_checkout:
        print(
            f"handler import time from the checkout, median of {args.runs} fresh interpreters "
            f"({sys.version.split()[0]})"
        )
        print("(no-pyc: every module compiled from source, as from a bundle without .pyc)")
        print(f"{'function':20} {'module':32} import")
        for function, module, figures in measure_imports(args.runs):
            print(f"{function:20} {module:32} {figures}")
    if not args.no_bundle:
        directory = package_dir(args.package)
        baseline = Path(args.baseline) if args.baseline else None
        print()
        for line in measure_bundle_imports(args.runs, directory, baseline,
                                           requests=not args.no_requests):
            print(line)
        print()
        for line in bundle_report(directory, HANDLERS):
            print(line)
        if baseline:
            print("baseline:")
            for line in bundle_report(baseline, HANDLERS):
                print(line)
    print(f"machine load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
