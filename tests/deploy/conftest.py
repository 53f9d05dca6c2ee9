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
    def zip_path(self) -> Path:
        return self.directory / f"{SERVICE}.zip"

    def zip_names(self) -> list[str]:
        with zipfile.ZipFile(self.zip_path) as bundle:
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
