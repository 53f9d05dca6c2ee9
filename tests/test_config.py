"""Configuration: every variable the code reads is in the documented table, and a missing
or malformed one fails at cold start with an error that names it (issue 16)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from sfr3_lambdas import config, wiring
from sfr3_lambdas.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(p for p in ROOT.glob("sfr3_*") if p.is_dir())
NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")
# Names a mapping of the environment goes by in this code base.
ENV_NAMES = {"environ", "env", "source", "extra", "extra_env"}


def _is_env(node: ast.expr) -> bool:
    if isinstance(node, ast.Attribute):
        return node.attr == "environ"
    if isinstance(node, ast.Name):
        return node.id in ENV_NAMES
    if isinstance(node, ast.BoolOp):  # (env or os.environ).get(...)
        return any(_is_env(v) for v in node.values)
    return False


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and NAME.match(node.value):
        return node.value
    return None


def variables_read() -> dict[str, str]:
    """Every NAME the code reads as os.environ[...] / .get / .setdefault / getenv / `in`."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in package.rglob("*.py"):
            tree = ast.parse(path.read_text(), str(path))
            for node in ast.walk(tree):
                name = None
                if isinstance(node, ast.Subscript) and _is_env(node.value):
                    name = _literal(node.slice)
                elif isinstance(node, ast.Call) and node.args:
                    func = node.func
                    reads = isinstance(func, ast.Attribute) and (
                        func.attr == "getenv"
                        or (func.attr in ("get", "setdefault", "pop") and _is_env(func.value)))
                    if reads or (isinstance(func, ast.Name) and func.id == "getenv"):
                        name = _literal(node.args[0])
                elif isinstance(node, ast.Compare) and len(node.comparators) == 1 and \
                        isinstance(node.ops[0], ast.In) and _is_env(node.comparators[0]):
                    name = _literal(node.left)
                if name:
                    found.setdefault(name, str(path.relative_to(ROOT)))
    return found


def documented() -> set[str]:
    text = (ROOT / "docs" / "operations.md").read_text()
    section = text.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    first_cells = re.findall(r"^\| ([^|]+) \|", section, re.MULTILINE)
    return {n for cell in first_cells for n in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}


def test_the_collector_sees_the_variables_it_must() -> None:
    """The grep itself can fail: it must find names read in each of the ways used."""
    found = variables_read()
    # subscript, .get, getenv-free `in`, (env or os.environ).get, a ledger-side read
    for name in ("STRIPE_SERVICE_URL", "IDEMPOTENCY_TABLE", "SFR3_HOME", "STAGE",
                 "SFR3_RECOVER_AFTER", "SFR3_RETRY_DELAYS"):
        assert name in found
    assert len(found) > 40


def test_every_variable_the_code_reads_is_in_the_table() -> None:
    missing = {name: where for name, where in variables_read().items()
               if name not in documented()}
    assert not missing, f"add to docs/operations.md ## Configuration: {missing}"


def test_every_checked_variable_is_documented_too() -> None:
    assert set(config.CHECKS) <= documented()
    assert {n for names in config.REQUIRED.values() for n in names} <= documented()


def test_a_missing_required_variable_is_named() -> None:
    with pytest.raises(ConfigError, match="STRIPE_SERVICE_URL is missing") as err:
        config.validate_for("provider", {"STRIPE_SERVICE_API_KEY": "k"})
    assert err.value.variable == "STRIPE_SERVICE_URL"
    with pytest.raises(ConfigError, match="STRIPE_SERVICE_API_KEY is missing"):
        config.validate_for("provider", {"STRIPE_SERVICE_URL": "http://x",
                                         "STRIPE_SERVICE_API_KEY": " "})


@pytest.mark.parametrize(("name", "value"), [
    ("STRIPE_SERVICE_URL", "svc.internal"),
    ("STRIPE_SERVICE_TIMEOUT", "15s"),
    ("STRIPE_SERVICE_TIMEOUT", "0"),
    ("IDEMPOTENCY_TTL_SECONDS", "-1"),
    ("STRIPE_MAX_NETWORK_RETRIES", "two"),
    ("PAYMENT_FAILURE_RATE_THRESHOLD", "5"),
])
def test_a_malformed_variable_is_named_with_what_is_expected(name: str, value: str) -> None:
    env = {"STRIPE_SERVICE_URL": "http://svc", "STRIPE_SERVICE_API_KEY": "k", name: value}
    with pytest.raises(ConfigError, match=f"{name} is '{re.escape(value)}', expected") as err:
        config.validate_for("provider", env)
    assert err.value.variable == name


def test_good_values_pass() -> None:
    config.validate_for("provider", {
        "STRIPE_SERVICE_URL": "https://abc.execute-api.us-east-1.amazonaws.com/prod",
        "STRIPE_SERVICE_API_KEY": "k", "STRIPE_SERVICE_TIMEOUT": "2.5",
        "IDEMPOTENCY_TTL_SECONDS": "86400", "STRIPE_MAX_NETWORK_RETRIES": "0",
        "PAYMENT_FAILURE_RATE_THRESHOLD": "0.2", "DYNAMODB_ENDPOINT_URL": ""})


def test_wiring_fails_at_cold_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("STRIPE_SERVICE_URL", raising=False)
    monkeypatch.setenv("STRIPE_SERVICE_API_KEY", "k")
    wiring.reset()
    try:
        with pytest.raises(ConfigError, match="STRIPE_SERVICE_URL"):
            wiring.provider()
        monkeypatch.setenv("STRIPE_SERVICE_URL", "http://127.0.0.1:9")
        monkeypatch.setenv("IDEMPOTENCY_TTL_SECONDS", "a day")
        with pytest.raises(ConfigError, match="IDEMPOTENCY_TTL_SECONDS"):
            wiring.ledger()
    finally:
        wiring.reset()
