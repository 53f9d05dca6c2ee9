"""Packages the service once per session, offline, the way CI and a deployer would.

osls and its plugins write scratch files into the service directory (`.serverless/`), so
the package is built from a private copy of what the service is made of (node_modules
linked), and parallel test sessions in the shared checkout cannot trip over each other.

`osls package --stage dev` runs with dummy AWS credentials and telemetry off; nothing in
serverless.yml may need the network at package time (no ${ssm:}, ${aws:} or ${cf:}), so a
call to AWS here is itself a failure. Requirements come from PyPI once and are then served
from serverless-python-requirements' caches under `.sfr3/sls-cache`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
OSLS = REPO / "node_modules" / ".bin" / "osls"
STAGE = "dev"
SERVICE = "sfr3-payments"
TEMPLATE = "cloudformation-template-update-stack.json"


def osls_env() -> dict[str, str]:
    """The environment osls runs in: offline, deterministic, no real credentials."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_", "SLS_", "SERVERLESS_")) and not k.endswith("_OVERRIDE")
    }
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "dummy",
            "AWS_SECRET_ACCESS_KEY": "dummy",
            "AWS_SESSION_TOKEN": "dummy",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_EC2_METADATA_DISABLED": "true",
            "SLS_TELEMETRY_DISABLED": "1",
            "SLS_TRACKING_DISABLED": "1",
            "SLS_NOTIFICATIONS_MODE": "off",
            "SLS_DEPRECATION_DISABLE": "*",
            # pip for the Lambda platform runs under this project's interpreter.
            "SFR3_PYTHON_BIN": sys.executable,
            "SFR3_SLS_CACHE": str(REPO / ".sfr3" / "sls-cache"),
        }
    )
    return env


SERVICE_FILES = ("serverless.yml", "requirements-lambda.txt", "package.json")
SERVICE_DIRS = ("resources", "sfr3_ledger", "sfr3_adapters", "sfr3_lambdas")


def service_copy(dest: Path) -> Path:
    """What `osls package` reads, copied to `dest` (node_modules as a link)."""
    for name in SERVICE_FILES:
        shutil.copy2(REPO / name, dest / name)
    for name in SERVICE_DIRS:
        shutil.copytree(REPO / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    (dest / "node_modules").symlink_to(REPO / "node_modules")
    return dest


def run_osls(
    *args: str, cwd: Path = REPO, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    if not OSLS.exists():
        pytest.fail(f"{OSLS} is missing: run `npm ci` (make install does)")
    result = subprocess.run(
        [str(OSLS), *args],
        cwd=cwd,
        env=osls_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"osls {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


@dataclass(frozen=True)
class Package:
    directory: Path
    template: dict[str, Any]
    state: dict[str, Any]

    @property
    def resources(self) -> dict[str, Any]:
        return dict(self.template["Resources"])

    @property
    def bundles(self) -> dict[str, Any]:
        """resources/plugins/split_bundle.py's report: bundle name -> what its zip holds."""
        report: dict[str, Any] = json.loads(
            (self.directory / f"{SERVICE}.bundles.json").read_text())
        return dict(report["bundles"])

    def bundle_zip(self, bundle: str) -> Path:
        return self.directory / str(self.bundles[bundle]["zip"])

    def function_zip(self, logical: str) -> Path:
        """The zip a function ships (its Code.S3Key's file, in the package directory)."""
        key = self.functions()[logical]["Properties"]["Code"]["S3Key"]
        return self.directory / str(key).rsplit("/", 1)[-1]

    @property
    def zip_paths(self) -> list[Path]:
        return [self.bundle_zip(name) for name in sorted(self.bundles)]

    @property
    def zip_path(self) -> Path:
        """The zip most functions ship (only our code and the core requirements)."""
        return self.bundle_zip("core")

    def zip_names(self, zip_path: Path | None = None) -> list[str]:
        with zipfile.ZipFile(zip_path or self.zip_path) as bundle:
            return bundle.namelist()

    def functions(self) -> dict[str, dict[str, Any]]:
        """Logical id -> AWS::Lambda::Function resource."""
        return {k: v for k, v in self.resources.items() if v["Type"] == "AWS::Lambda::Function"}


@pytest.fixture(scope="session")
def package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Package]:
    out = tmp_path_factory.mktemp("sls-package")
    service = service_copy(tmp_path_factory.mktemp("sls-service"))
    run_osls("package", "--stage", STAGE, "--package", str(out), cwd=service)
    template = json.loads((out / TEMPLATE).read_text())
    state = json.loads((out / "serverless-state.json").read_text())
    yield Package(out, template, state)


@pytest.fixture(scope="session")
def prod_config() -> dict[str, Any]:
    """serverless.yml resolved for the prod stage (resources included), without packaging."""
    result = run_osls("print", "--stage", "prod", "--format", "json", timeout=120)
    text = result.stdout
    return dict(json.loads(text[text.index("{") :]))


# What the python3.12 runtime provides (serverless.yml noDeploy): taken from this venv.
RUNTIME_LIBS = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")
# Packages of the bundle whose compiled extensions are aarch64 with no pure-Python fallback:
# this machine's builds of the same (locked) versions stand in for them.
NATIVE = ("pydantic_core", "PIL")


@dataclass(frozen=True)
class Unzipped:
    """A bundle extracted, and what an import from it needs beside it on this machine."""

    root: Path
    overlay: Path

    @property
    def sys_path(self) -> list[str]:
        return [str(self.overlay), str(self.root)]


@pytest.fixture(scope="session")
def unzipped(package: Package, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Unzipped]:
    """Each bundle extracted once per session (name -> Unzipped)."""
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    out = {}
    for name in package.bundles:
        root = tmp_path_factory.mktemp(f"bundle-{name}")
        with zipfile.ZipFile(package.bundle_zip(name)) as bundle:
            bundle.extractall(root)
        overlay = tmp_path_factory.mktemp(f"overlay-{name}")
        for lib in (*RUNTIME_LIBS, *(n for n in NATIVE if (root / n).exists())):
            (overlay / lib).symlink_to(site / lib)
        out[name] = Unzipped(root, overlay)
    return out
