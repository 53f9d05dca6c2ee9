"""What ships: handler paths that exist, bundles of only runtime code, pinned requirements,
and per function only the requirements it imports (issue 17: PDF rendering only in receipts,
the Stripe SDK only in stripeService; serverless.yml custom.bundles)."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from typing import Any

import pytest

from tests.deploy.conftest import REPO, Package, Unzipped

HANDLERS = {
    "ApiLambdaFunction": "sfr3_lambdas/api.handler",
    "StripeWebhookLambdaFunction": "sfr3_lambdas/stripe_webhook.handler",
    "StripeServiceLambdaFunction": "sfr3_lambdas/stripe_service.handler",
    "StreamProcessorLambdaFunction": "sfr3_lambdas/stream_processor.handler",
    "NotificationsLambdaFunction": "sfr3_lambdas/notifications.handler",
    "ReceiptsLambdaFunction": "sfr3_lambdas/receipts.handler",
    "JobsSchedulerLambdaFunction": "sfr3_lambdas/jobs/scheduler.handler",
    "JobsWorkerLambdaFunction": "sfr3_lambdas/jobs/worker.handler",
    # The stream's second reader: it feeds every read model (schedule, finance, payments,
    # payment watch).
    "ScheduleProjectionLambdaFunction": "sfr3_lambdas/jobs/read_models.handler",
}
# Issue 14: finance's daily jobs.
HANDLERS["FinanceJobsLambdaFunction"] = "sfr3_lambdas/jobs/finance.handler"
# Issue 13: payment retries and recovery, the alert on exhaustion, the webhook retry queue.
HANDLERS["PaymentJobsSchedulerLambdaFunction"] = "sfr3_lambdas/jobs/retries.scheduler_handler"
HANDLERS["PaymentJobsWorkerLambdaFunction"] = "sfr3_lambdas/jobs/retries.worker_handler"
HANDLERS["PaymentAlertsLambdaFunction"] = "sfr3_lambdas/jobs/retries.alerts_handler"
HANDLERS["StripeWebhookRetryLambdaFunction"] = "sfr3_lambdas/stripe_webhook.queue_handler"
# Lambda's limit for a function's unzipped code.
UNZIPPED_LIMIT = 262_144_000
RUNTIME_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3"}
NEVER_SHIPPED = {
    "tests",
    "sfr3_dev",
    "node_modules",
    "docs",
    "bench",
    "resources",
    ".venv",
    ".sfr3",
    "serverless.yml",
    "pyproject.toml",
    "package.json",
}


def test_functions_and_handlers_are_the_agreed_ones(package: Package) -> None:
    functions = package.functions()
    assert {k: f["Properties"]["Handler"] for k, f in functions.items()} == HANDLERS
    for function in functions.values():
        props = function["Properties"]
        assert props["Runtime"] == "python3.12"
        assert props["Architectures"] == ["arm64"]
        assert isinstance(props["MemorySize"], int)
        assert isinstance(props["Timeout"], int)
        assert props["TracingConfig"] == {"Mode": "Active"}


def _lambda_env(function: dict[str, Any]) -> dict[str, str]:
    """The function's environment as Lambda would set it (intrinsics as placeholders)."""
    variables = function["Properties"]["Environment"]["Variables"]
    env = {k: v if isinstance(v, str) else f"placeholder-{k.lower()}" for k, v in variables.items()}
    env["STRIPE_SERVICE_URL"] = "http://127.0.0.1:9"
    env["STRIPE_SERVICE_API_KEY"] = "test-api-key"
    return env


# Distributions each function's zip holds beyond the core (serverless.yml custom.bundles).
PDF = {"fpdf2", "fonttools", "pillow", "defusedxml"}
STRIPE = {"stripe", "requests", "certifi", "charset-normalizer", "idna"}
EXTRA = {"ReceiptsLambdaFunction": PDF, "StripeServiceLambdaFunction": STRIPE}
# Top-level modules of those distributions, and the only modules of ours that import them.
OPTIONAL_MODULES = {
    "fpdf": "sfr3_adapters.receipts", "fontTools": None, "PIL": None, "defusedxml": None,
    "stripe": "sfr3_adapters.stripe_adapter", "requests": None, "certifi": None,
    "charset_normalizer": None, "idna": None,
}


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_handler_imports_from_its_own_bundle(
    package: Package, unzipped: dict[str, Unzipped], function: str
) -> None:
    """Each handler imported in a fresh interpreter from the zip its function ships (no
    site-packages, no checkout: the runtime's boto3 and this machine's builds of the
    bundle's aarch64 extensions beside it), with the function's own environment."""
    module, attribute = HANDLERS[function].replace("/", ".").rsplit(".", 1)
    bundle = _bundle_of(package, function)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        **_lambda_env(package.functions()[function]),
    }
    code = (
        "import importlib, sys\n"
        f"sys.path[:0] = {unzipped[bundle].sys_path!r}\n"
        f"m = importlib.import_module({module!r})\n"
        "assert m.__file__.startswith(sys.path[1]), m.__file__\n"
        f"h = getattr(m, {attribute!r}, None)\n"
        "assert callable(h), 'no callable handler'\n"
    )
    if function != "StripeServiceLambdaFunction":
        # Only stripeService may load the Stripe SDK (cold start and blast radius).
        code += "assert 'stripe' not in sys.modules, 'imports stripe'\n"
    else:  # what it imports on its first Stripe call
        code += "import sfr3_adapters.stripe_adapter, stripe\n"
    if function == "ReceiptsLambdaFunction":  # a receipt rendered by the bundle's fpdf2
        code += (
            "from datetime import datetime, UTC\n"
            "from sfr3_adapters import receipts\n"
            "import fpdf\n"
            "assert fpdf.__file__.startswith(sys.path[1])\n"
            "at = datetime(2026, 1, 2, tzinfo=UTC)\n"
            "pdf = receipts.render_receipt(receipts.ReceiptData('r-1', 'p-1', 125000, 'USD', "
            "at, at, 'Visa ending 4242', 'pi_1'))\n"
            "assert pdf.startswith(b'%PDF'), pdf[:20]\n"
            "assert sys.modules['fontTools'].__file__.startswith(sys.path[1])\n"
        )
    result = subprocess.run(
        [sys.executable, "-S", "-B", "-c", code],
        cwd=unzipped[bundle].root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"{HANDLERS[function]}: {result.stderr[-2000:]}"
    names = set(package.zip_names(package.function_zip(function)))
    base = module.replace(".", "/")
    assert f"{base}.py" in names or f"{base}/__init__.py" in names


def _bundle_of(package: Package, function: str) -> str:
    zip_name = package.function_zip(function).name
    (bundle,) = [n for n, b in package.bundles.items() if b["zip"] == zip_name]
    return bundle


def _shipped(package: Package, zip_path: Any) -> dict[str, str]:
    shipped = {}
    for name in package.zip_names(zip_path):
        top = name.split("/", 1)[0]
        if top.endswith(".dist-info"):
            dist, _, version = top[: -len(".dist-info")].rpartition("-")
            shipped[_canonical(dist)] = version
    return shipped


def test_each_function_ships_only_what_it_imports(package: Package) -> None:
    pins = set(_requirement_pins())
    core = pins - PDF - STRIPE
    for function in HANDLERS:
        shipped = set(_shipped(package, package.function_zip(function)))
        assert shipped == core | EXTRA.get(function, set()), function
        tops = {n.split("/", 1)[0] for n in package.zip_names(package.function_zip(function))}
        assert ("fpdf" in tops) == (function == "ReceiptsLambdaFunction"), function
        assert ("stripe" in tops) == (function == "StripeServiceLambdaFunction"), function
        assert "fontTools" not in tops or function == "ReceiptsLambdaFunction"
        assert "PIL" not in tops or function == "ReceiptsLambdaFunction"
    # Three zips: most functions share the core one.
    zips = {package.function_zip(f).name for f in HANDLERS}
    assert zips == {b["zip"] for b in package.bundles.values()}
    assert len(zips) == 3
    assert package.function_zip("ApiLambdaFunction") == package.zip_path
    # Nothing ships the full zip, so it is not left in the package either.
    assert not (package.directory / "sfr3-payments.zip").exists()


def _imports(tree: ast.AST) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.add(node.module.split(".")[0])
    return out


def _imported_names(tree: ast.AST) -> set[str]:
    """Every dotted part of every import: `from a.b import c` gives a, b and c."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {part for a in node.names for part in a.name.split(".")}
        elif isinstance(node, ast.ImportFrom):
            out |= set((node.module or "").split(".")) | {a.name for a in node.names}
    return out


def test_only_the_bundled_functions_code_imports_the_optional_packages() -> None:
    """An import of fpdf or stripe anywhere else would fail in a zip without them: the only
    import sites are the two adapters, and only the listed functions reach those."""
    sites: dict[str, set[str]] = {}
    for top in ("sfr3_ledger", "sfr3_adapters", "sfr3_lambdas"):
        for path in (REPO / top).rglob("*.py"):
            module = ".".join(path.relative_to(REPO).with_suffix("").parts)
            for name in _imports(ast.parse(path.read_text())) & set(OPTIONAL_MODULES):
                sites.setdefault(name, set()).add(module)
    assert sites == {name: {site} for name, site in OPTIONAL_MODULES.items() if site}
    # Who reaches them: render_receipt only through ReceiptWriter (the receipts function),
    # the Stripe adapter only from stripeService.
    users = {
        "render_receipt": {"sfr3_adapters.reactions"},
        "ReceiptWriter": {"sfr3_lambdas.receipts"},
        "stripe_adapter": {"sfr3_lambdas.stripe_service"},
    }
    for name, allowed in users.items():
        found = set()
        for top in ("sfr3_ledger", "sfr3_adapters", "sfr3_lambdas"):
            for path in (REPO / top).rglob("*.py"):
                module = ".".join(path.relative_to(REPO).with_suffix("").parts)
                if name in _imported_names(ast.parse(path.read_text())):
                    found.add(module)
        assert found == allowed, name


def test_the_bundles_hold_runtime_code_only(package: Package) -> None:
    for zip_path in package.zip_paths:
        names = package.zip_names(zip_path)
        tops = {n.split("/", 1)[0] for n in names}
        assert {"sfr3_ledger", "sfr3_adapters", "sfr3_lambdas"} <= tops
        assert {"eventsourcing", "aws_lambda_powertools", "cattrs"} <= tops
        assert not tops & NEVER_SHIPPED, zip_path.name
        assert not {t.split("-")[0] for t in tops} & RUNTIME_PROVIDED
        # Bytecode only as 3.12 pycs beside their sources (test_bytecode.py checks them).
        assert not [n for n in names if n.endswith(".pyc") and ".cpython-312." not in n]
        assert not [n for n in names if "__pycache__" in n and not n.endswith(".cpython-312.pyc")]


def test_binary_wheels_are_for_lambda_arm64(package: Package) -> None:
    for zip_path in package.zip_paths:
        shared = [n for n in package.zip_names(zip_path) if n.endswith(".so")]
        assert shared, "expected compiled extensions (pydantic_core, Pillow)"
        assert all("x86_64" not in n for n in shared), shared
        assert any("aarch64" in n for n in shared), shared
        assert any("cpython-312" in n for n in shared if "pydantic_core" in n)


def test_the_bundles_fit_lambda(package: Package) -> None:
    for zip_path in package.zip_paths:
        with zipfile.ZipFile(zip_path) as bundle:
            unzipped = sum(i.file_size for i in bundle.infolist())
        assert unzipped < UNZIPPED_LIMIT
        assert unzipped == package.bundles[_name(package, zip_path)]["unzipped_bytes"]


def _name(package: Package, zip_path: Any) -> str:
    (name,) = [n for n, b in package.bundles.items() if b["zip"] == zip_path.name]
    return name


def _requirement_pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / "requirements-lambda.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)", line).groups()
            pins[_canonical(name)] = version
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[_canonical(name)] = version
    return pins


def test_requirements_cover_the_runtime_dependencies_at_the_locked_versions() -> None:
    """requirements-lambda.txt is the lock's share (transitive pins included), and the lock
    is what the suite runs against (tests/test_lock.py)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = [
        *project["dependencies"],
        *project["optional-dependencies"]["aws"],
        *project["optional-dependencies"]["stripe"],
    ]
    names = {_canonical(re.split(r"[\[<>=!~ ;]", d, maxsplit=1)[0]) for d in declared}
    pins = _requirement_pins()
    assert names - {"boto3"} <= set(pins)
    assert "boto3" not in pins and "botocore" not in pins
    locked = _locked()
    for name, version in pins.items():
        assert locked.get(name) == version, name
        assert importlib.metadata.version(name) == version, name


def test_the_bundles_ship_exactly_the_pinned_versions(package: Package) -> None:
    shipped: dict[str, str] = {}
    for zip_path in package.zip_paths:
        for dist, version in _shipped(package, zip_path).items():
            assert shipped.setdefault(dist, version) == version, dist
    pins = _requirement_pins()
    assert {n: shipped.get(n) for n in pins} == pins
    # Nothing unpinned slipped in beside them, except what the runtime provides anyway.
    extra = set(shipped) - set(pins) - RUNTIME_PROVIDED - {"python-dateutil"}
    assert not extra, extra


def test_no_deploy_leaves_out_what_the_runtime_provides() -> None:
    text = (REPO / "serverless.yml").read_text()
    block = text[text.index("noDeploy:"): text.index("pipCmdExtraArgs:")]
    no_deploy = set(re.findall(r"^\s*- (\S+)$", block, re.M))
    assert {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six",
            "urllib3"} <= no_deploy


def test_serverless_yml_needs_no_network_to_package() -> None:
    text = (REPO / "serverless.yml").read_text()
    for fragment in [text, *(p.read_text() for p in (REPO / "resources").glob("*.yml"))]:
        code = "\n".join(
            line for line in fragment.splitlines() if not line.lstrip().startswith("#")
        )
        assert not re.search(r"\$\{(ssm|aws|cf|s3):", code)


def test_secrets_are_references(package: Package) -> None:
    dumped = json.dumps(package.template)
    for function in package.functions().values():
        variables = function["Properties"]["Environment"]["Variables"]
        assert not any("SECRET" in k for k in variables)
        key = variables.get("STRIPE_SERVICE_API_KEY")
        if key is not None:
            assert key == "{{resolve:ssm:/sfr3/dev/STRIPE_SERVICE_API_KEY}}"
    assert "sk_live" not in dumped and "sk_test" not in dumped and "whsec_" not in dumped
