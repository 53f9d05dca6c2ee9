"""Cold-start figures: each handler module's import time and the deployment bundle's size.

Import time is what a cold Lambda pays before the first request (beyond the runtime's own
start): `python -X importtime -c "import sfr3_lambdas.X"` in fresh interpreters, the median
of several runs, read from the cumulative time of the handler module's own line. It also
reports whether `stripe` was imported (only stripeService may) and how many modules loaded.

The bundle is the zip `osls package` builds (serverless-python-requirements included). Pass
`--package DIR` to measure an existing `osls package --package DIR` output, or let the
script package into `.sfr3/bench-package` (about 30-60 s; requirements come from the cache).

With a bundle it also imports each handler from the unzipped zip under the CPython 3.12
that compiled its pycs (`sfr3-payments.bytecode.json`): once with the bundle's own pycs,
once with the same files minus every pyc (what a cold start paid before they shipped).

Usage: .venv/bin/python bench/cold_start.py [--runs 7] [--package DIR] [--no-bundle]
Target (issue 7): API handlers under 300 ms on this machine; no stripe outside stripeService.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HANDLERS = {
    "api": "sfr3_lambdas.api",
    "stripeWebhook": "sfr3_lambdas.stripe_webhook",
    "stripeService": "sfr3_lambdas.stripe_service",
    "streamProcessor": "sfr3_lambdas.stream_processor",
    "notifications": "sfr3_lambdas.notifications",
    "receipts": "sfr3_lambdas.receipts",
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
}
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)")


def import_once(
    module: str,
    *,
    bytecode: bool = True,
    python: str = sys.executable,
    path: list[Path] | None = None,
) -> tuple[float, bool, int]:
    """(cumulative ms of `module`, stripe imported?, modules imported) in a new interpreter.

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
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPATH"] = os.pathsep.join(map(str, path))
        cwd = Path(tempfile.mkdtemp(prefix="sfr3-cwd-"))
    result = subprocess.run(
        [python, "-X", "importtime", "-c", f"import {module}"],
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
    return cumulative_us / 1000, stripe, len(names)


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


# What the python3.12 runtime provides (serverless.yml noDeploy), precompiled as there.
RUNTIME_LIBS = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def _compile_tree(python: str, directory: Path) -> None:
    subprocess.run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j0",
            "--invalidation-mode",
            "unchecked-hash",
            str(directory),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )


def bundle_path(python: str, zip_path: Path, work: Path) -> dict[str, list[Path]]:
    """PYTHONPATHs for the bundle with its pycs and for the same bundle without any.

    Next to the bundle: the runtime's boto3 & co (copied from this venv, compiled by 3.12)
    and, on a non-arm64 machine, host builds of the bundle's compiled extensions that an
    import needs (pydantic_core; the bundle's are aarch64), also compiled by 3.12.
    """
    with_pyc, without_pyc, runtime, native = (work / n for n in ("pyc", "src", "rt", "native"))
    with zipfile.ZipFile(zip_path) as bundle:
        bundle.extractall(with_pyc)
        for info in bundle.infolist():
            if "__pycache__/" not in info.filename:
                bundle.extract(info, without_pyc)
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    runtime.mkdir()
    for name in RUNTIME_LIBS:
        if (site / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(site / name, runtime / name, ignore=ignore)
        else:
            shutil.copy2(site / name, runtime / name)
    _compile_tree(python, runtime)
    overlay: list[Path] = []
    if platform.machine() not in ("aarch64", "arm64"):
        version = re.search(
            r"_COMPATIBLE_PYDANTIC_CORE_VERSION = '([^']+)'",
            (with_pyc / "pydantic" / "version.py").read_text(),
        )
        if version:
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--no-deps",
                    "--target",
                    str(native),
                    f"--platform=manylinux2014_{platform.machine()}",
                    "--python-version=3.12",
                    "--implementation=cp",
                    "--only-binary=:all:",
                    f"pydantic-core=={version.group(1)}",
                ],
                check=True,
                capture_output=True,
                timeout=600,
            )
            _compile_tree(python, native)
            overlay.append(native)
    return {
        "bundle-pyc": [*overlay, with_pyc, runtime],
        "bundle-src": [*overlay, without_pyc, runtime],
    }


def measure_bundle_imports(runs: int, directory: Path) -> list[str]:
    report_file = directory / "sfr3-payments.bytecode.json"
    report = json.loads(report_file.read_text()) if report_file.exists() else {}
    if report.get("status") != "compiled":
        return [f"bundle imports: not measured ({report.get('reason', 'no bytecode report')})"]
    python = str(report["interpreter"])
    lines = [
        f"handler import from the unzipped bundle with {python} ({report['version']}), "
        f"median of {runs}; pyc = the bundle's own {report['compiled']} pycs, "
        "src = the same bundle without them"
    ]
    with tempfile.TemporaryDirectory(prefix="sfr3-bundle-") as work:
        paths = bundle_path(python, directory / "sfr3-payments.zip", Path(work))
        for function, module in HANDLERS.items():
            figures = []
            for label, path in paths.items():
                try:
                    times = [import_once(module, python=python, path=path)[0] for _ in range(runs)]
                except RuntimeError as exc:
                    figures.append(f"{label} cannot import: {exc}")
                    continue
                figures.append(f"{label} {statistics.median(times):7.1f} ms")
            lines.append(f"{function:16} {module:32} " + "  ".join(figures))
    return lines


def package_dir(given: str | None) -> Path:
    if given:
        return Path(given)
    out = REPO / ".sfr3" / "bench-package"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLS_"))}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "dummy",
            "AWS_SECRET_ACCESS_KEY": "dummy",
            "AWS_REGION": "us-east-1",
            "SLS_TELEMETRY_DISABLED": "1",
            "SLS_NOTIFICATIONS_MODE": "off",
            "SFR3_PYTHON_BIN": sys.executable,
        }
    )
    osls = REPO / "node_modules" / ".bin" / "osls"
    subprocess.run(
        [str(osls), "package", "--stage", "dev", "--package", str(out)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )
    return out


def bundle_report(directory: Path) -> list[str]:
    zip_path = directory / "sfr3-payments.zip"
    with zipfile.ZipFile(zip_path) as bundle:
        infos = bundle.infolist()
    by_top: Counter[str] = Counter()
    for info in infos:
        by_top[info.filename.split("/", 1)[0]] += info.file_size
    unzipped = sum(by_top.values())
    lines = [
        f"bundle {zip_path.name}: {zip_path.stat().st_size / 1e6:.1f} MB zipped, "
        f"{unzipped / 1e6:.1f} MB unzipped (Lambda limit 262.1 MB), {len(infos)} files",
        "largest parts (unzipped):",
    ]
    lines += [f"  {size / 1e6:6.2f} MB  {name}" for name, size in by_top.most_common(10)]
    own = sum(v for k, v in by_top.items() if k.startswith("sfr3_"))
    lines.append(f"  {own / 1e6:6.2f} MB  sfr3_* (this project's code)")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--package", help="an existing `osls package --package DIR` output")
    parser.add_argument("--no-bundle", action="store_true", help="import times only")
    args = parser.parse_args(argv)

    print(
        f"handler import time, median of {args.runs} fresh interpreters "
        f"({sys.version.split()[0]}, {os.cpu_count()} cores)"
    )
    print("(no-pyc: every module compiled from source, as from a bundle without .pyc)")
    print(f"{'function':16} {'module':32} import")
    for function, module, figures in measure_imports(args.runs):
        print(f"{function:16} {module:32} {figures}")
    if not args.no_bundle:
        directory = package_dir(args.package)
        print()
        for line in measure_bundle_imports(args.runs, directory):
            print(line)
        print()
        for line in bundle_report(directory):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
