"""The typed client clients/python (`sfr3_payments_client`) is generated from docs/openapi.json:
this fails when the committed client is stale against the document (like
tests/api/test_openapi.py for the document itself), when its package does not declare or the
lock does not pin what the generated code needs, or when the client is not fully typed.

When one fails after docs/openapi.json changed: `make client` (python -m sfr3_dev.client_gen).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sfr3_dev import client_gen
from tests.harness.procs import ROOT

_spec = importlib.util.spec_from_file_location("sfr3_lock", ROOT / "scripts" / "lock.py")
assert _spec is not None and _spec.loader is not None
lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return client_gen.generate(tmp_path_factory.mktemp("client"))


def test_the_committed_client_is_what_the_document_generates(fresh: Path) -> None:
    diffs = client_gen.differences(fresh)
    assert not diffs, ("clients/python is stale against docs/openapi.json: run `make client`\n"
                       + "\n".join(diffs)[:4000])


def test_generation_is_deterministic(fresh: Path, tmp_path: Path) -> None:
    again = client_gen.generate(tmp_path)
    assert client_gen.differences(again, committed=fresh) == []


def test_check_mode_fails_on_a_stale_client(tmp_path: Path) -> None:
    """`--check` compares with the document: a route the client lacks is a failure."""
    doc = json.loads(client_gen.DOC.read_text())
    doc["paths"]["/residents/{residentId}/balance"]["get"]["operationId"] = "renamed_balance"
    changed = tmp_path / "openapi.json"
    changed.write_text(json.dumps(doc))
    diffs = client_gen.differences(client_gen.generate(tmp_path / "out", changed))
    assert any("renamed_balance" in d for d in diffs), diffs
    done = subprocess.run([sys.executable, "-m", "sfr3_dev.client_gen", "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr


def test_every_operation_of_the_document_has_a_client_module() -> None:
    doc = json.loads(client_gen.DOC.read_text())
    operations = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
    modules = {p.stem for p in (client_gen.PACKAGE / "api").rglob("*.py")
               if p.name != "__init__.py"}
    # The generator names a module after the operationId in snake case.
    assert len(modules) == len(operations), (sorted(modules), sorted(operations))


def test_the_client_package_declares_and_the_lock_pins_what_it_needs(fresh: Path) -> None:
    assert client_gen.declared_dependencies() == client_gen.generated_dependencies(fresh)
    pins = lock.read_pins(lock.CONSTRAINTS)
    for req in map(Requirement, client_gen.declared_dependencies()):
        name = canonicalize_name(req.name)
        assert name in pins, f"{name} not in constraints.txt: run `make lock`"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])
    assert "openapi-python-client" in pins


def test_make_install_installs_the_client_editable() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "CLIENT := clients/python" in makefile and "$(PIP) -e $(CLIENT)" in makefile
    import sfr3_payments_client

    assert Path(sfr3_payments_client.__file__).resolve().parent == client_gen.PACKAGE


def test_the_client_is_typed_for_mypy_strict() -> None:
    """Other services type-check against it: the generated code passes `mypy --strict`
    and ships py.typed."""
    assert (client_gen.PACKAGE / "py.typed").exists()
    done = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--cache-dir", "/dev/null", "-p", "sfr3_payments_client"],
                          cwd=client_gen.PROJECT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
