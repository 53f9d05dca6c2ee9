"""What `pip install sfr3-payments[...]` gives: the base install is the pure ledger library,
every third-party import of each package is provided by the extras it documents (README,
"Using the library from another service"), and a missing extra is a clear message.

When one of these fails after you added an import: add its distribution to the right extra
in pyproject.toml (and to DIST_IMPORTS below, and to sfr3_ledger/_extras.PROVIDED_BY),
then `make lock`.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from sfr3_ledger import _extras
from tests.harness.procs import ROOT

PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
OWN = canonicalize_name(PROJECT["name"])

# distribution -> the top-level import names it installs (spelled out: they differ).
# boto3 always brings botocore, which the adapters import directly for its exceptions.
DIST_IMPORTS: dict[str, set[str]] = {
    "eventsourcing": {"eventsourcing"},
    "attrs": {"attrs", "attr"},
    "tzdata": {"tzdata"},
    "aws-lambda-powertools": {"aws_lambda_powertools"},
    "boto3": {"boto3", "botocore"},
    "cattrs": {"cattrs", "cattr"},
    "fpdf2": {"fpdf"},
    "stripe": {"stripe"},
    "pyarrow": {"pyarrow"},
    "duckdb": {"duckdb"},
    "altair": {"altair"},
    "vl-convert-python": {"vl_convert"},
    "pyjwt": {"jwt"},
    "cryptography": {"cryptography"},
    "hypothesis": {"hypothesis"},
}
# (distribution, its extra) -> what that extra adds
EXTRA_IMPORTS: dict[tuple[str, str], set[str]] = {
    ("aws-lambda-powertools", "parser"): {"pydantic"},
    ("pyjwt", "crypto"): {"cryptography"},
}
# The extras each package is documented to need (README table) ...
PACKAGE_EXTRAS: dict[str, tuple[str, ...]] = {
    "sfr3_ledger": (),
    "sfr3_adapters": ("aws",),
    "sfr3_lambdas": ("aws",),
    "sfr3_dev": ("local",),
}
# ... and the modules that need more than their package (module name prefix -> extras).
MODULE_EXTRAS: dict[str, tuple[str, ...]] = {
    "sfr3_ledger.laws": ("testing",),  # laws.py and every laws_*.py
    "sfr3_adapters.stripe_adapter": ("aws", "stripe"),
    "sfr3_adapters.lake_schema": ("aws", "local"),  # the local lake's Parquet schema
    "sfr3_adapters.local_sinks": ("aws", "local"),
}
# The extras a library user chooses from (tools/dev are for working on this repository).
USER_EXTRAS = ("aws", "stripe", "local", "testing")
BASE = {"eventsourcing", "attrs", "tzdata"}


def _requirements(texts: list[str]) -> list[Requirement]:
    return [Requirement(text) for text in texts]


def _closure(extras: tuple[str, ...]) -> list[Requirement]:
    """Base requirements + those of `extras`, following `sfr3-payments[...]` self-references."""
    seen: set[str] = set()
    found = _requirements(PROJECT["dependencies"])
    todo = list(extras)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for req in _requirements(PROJECT["optional-dependencies"][extra]):
            if canonicalize_name(req.name) == OWN:
                todo += sorted(req.extras)
            else:
                found.append(req)
    return found


def _provided(extras: tuple[str, ...]) -> set[str]:
    names: set[str] = set()
    for req in _closure(extras):
        dist = canonicalize_name(req.name)
        names |= DIST_IMPORTS.get(dist, set())
        for extra in req.extras:
            names |= EXTRA_IMPORTS.get((dist, extra), set())
    return names


def _third_party_imports(path: Path) -> set[str]:
    """Top-level names of absolute imports that are neither stdlib nor ours, skipping
    `if TYPE_CHECKING:` blocks (never executed)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for statement in node.orelse:
                visit(statement)
            return
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.partition(".")[0]
            if top not in sys.stdlib_module_names and not top.startswith("sfr3_") \
                    and top != "__future__":
                found.add(top)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(), filename=str(path)))
    return found


def _modules(package: str) -> list[tuple[str, Path]]:
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out.append((".".join(p for p in parts if p != "__init__"), path))
    return out


def _documented_extras(module: str) -> tuple[str, ...]:
    for prefix, extras in MODULE_EXTRAS.items():
        if module.startswith(prefix):
            return extras
    return PACKAGE_EXTRAS[module.partition(".")[0]]


def test_the_base_install_is_exactly_the_ledger() -> None:
    base = {canonicalize_name(r.name) for r in _requirements(PROJECT["dependencies"])}
    assert base == BASE
    ledger = set().union(*(_third_party_imports(path) for module, path in _modules("sfr3_ledger")
                           if not module.startswith("sfr3_ledger.laws")))
    # tzdata is imported by zoneinfo (due dates in the property's zone), never by name.
    assert ledger == {"eventsourcing", "attrs"}


def test_the_built_metadata_requires_only_the_ledger() -> None:
    """The metadata setuptools built for this install (what pip resolves from the wheel):
    its unconditional requirements are the base, every user extra is declared."""
    meta = md.metadata(PROJECT["name"])
    requires = [Requirement(text) for text in md.requires(PROJECT["name"]) or []]
    unconditional = {canonicalize_name(r.name) for r in requires if r.marker is None}
    assert unconditional == BASE, "reinstall (`make install`) if you just edited pyproject.toml"
    assert set(USER_EXTRAS) <= set(meta.get_all("Provides-Extra") or [])


@pytest.mark.parametrize("package", sorted(PACKAGE_EXTRAS))
def test_every_import_is_provided_by_the_documented_extras(package: str) -> None:
    unprovided = {}
    for module, path in _modules(package):
        extras = _documented_extras(module)
        missing = _third_party_imports(path) - _provided(extras)
        if missing:
            unprovided[module] = (sorted(missing), extras)
    assert not unprovided, f"module: (imports, documented extras) {unprovided}"


def test_every_user_facing_distribution_has_an_explicit_import_mapping() -> None:
    dists = {canonicalize_name(r.name) for r in _closure(USER_EXTRAS)}
    assert dists <= set(DIST_IMPORTS), sorted(dists - set(DIST_IMPORTS))


def test_cattrs_comes_with_the_aws_extra_not_the_base() -> None:
    assert "cattrs" not in _provided(())
    assert "cattrs" in _provided(("aws",))


def test_dev_installs_every_user_extra() -> None:
    assert _provided(USER_EXTRAS) <= _provided(("dev",))


def test_the_missing_extra_table_agrees_with_pyproject() -> None:
    for name, extra in _extras.PROVIDED_BY.items():
        assert name not in _provided(()), f"{name} is in the base install"
        assert name in _provided((extra,)), f"{name} is not installed by [{extra}]"
    optional = _provided(USER_EXTRAS) - _provided(())
    assert optional <= set(_extras.PROVIDED_BY), sorted(optional - set(_extras.PROVIDED_BY))


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_ledger_imports_with_nothing_but_the_base_install() -> None:
    """Every sfr3_ledger module but the laws imports with every optional package hidden
    (`sys.modules[name] = None` makes `import name` fail as if it were not installed)."""
    hidden = sorted(_provided(USER_EXTRAS) - _provided(()))
    modules = [m for m, _ in _modules("sfr3_ledger") if not m.startswith("sfr3_ledger.laws")]
    result = _run(
        "import importlib, sys\n"
        f"for name in {hidden!r}: sys.modules[name] = None\n"
        f"for module in {modules!r}: importlib.import_module(module)\n"
        "print('ok', len(sys.modules))\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
    assert "hypothesis" in hidden and "boto3" in hidden and "cattrs" in hidden


def test_the_laws_without_the_testing_extra_say_what_to_install() -> None:
    laws = [m for m, _ in _modules("sfr3_ledger") if m.startswith("sfr3_ledger.laws")]
    assert len(laws) >= 5
    result = _run(
        "import importlib, sys\n"
        "from sfr3_ledger._extras import MissingExtraError\n"
        "sys.modules['hypothesis'] = None\n"
        f"for module in {laws!r}:\n"
        "    try:\n"
        "        importlib.import_module(module)\n"
        "    except MissingExtraError as error:\n"
        "        print(module, error)\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(laws), result.stdout
    assert all("pip install 'sfr3-payments[testing]'" in line for line in lines)


@pytest.mark.parametrize(("argv", "hidden"), [
    (["dev-token"], "jwt"),
    (["run", "--help"], "jwt"),
    (["reconcile", "--help"], "boto3"),  # from [aws]: still "install [local]", its superset
])
def test_sfr3_without_the_local_extra_says_what_to_install(argv: list[str], hidden: str) -> None:
    result = _run(
        "import sys\n"
        f"sys.modules[{hidden!r}] = None\n"
        "from sfr3_dev.cli import main\n"
        f"raise SystemExit(main({argv!r}))\n")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert "sfr3-payments[local] is not installed" in result.stderr
    assert "pip install 'sfr3-payments[local]'" in result.stderr
    assert repr(hidden) in result.stderr


def test_requires_extra_names_the_extra_and_keeps_real_import_bugs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    with pytest.raises(_extras.MissingExtraError) as caught, _extras.requires_extra("testing"):
        import hypothesis  # noqa: F401
    assert str(caught.value) == ("sfr3-payments[testing] is not installed (no module named "
                                 "'hypothesis'): pip install 'sfr3-payments[testing]'")
    assert caught.value.extra == "testing" and caught.value.name == "hypothesis"
    # A module of ours that does not exist is a bug, not a missing extra: no disguise.
    with pytest.raises(ModuleNotFoundError) as bug, _extras.requires_extra("local"):
        import sfr3_dev.no_such_module  # type: ignore[import-not-found]  # noqa: F401
    assert not isinstance(bug.value, _extras.MissingExtraError)


def test_sfr3_help_and_version_work_on_the_base_install() -> None:
    """The console script ships in every install: with no extra it still answers --help
    and --version, and a command says to install [local]."""
    hidden = sorted(_provided(USER_EXTRAS) - _provided(()))
    result = _run(
        "import sys\n"
        f"for name in {hidden!r}: sys.modules[name] = None\n"
        "from sfr3_dev.cli import main\n"
        "assert main(['--help']) == 0 and main(['--version']) == 0\n"
        "raise SystemExit(main(['dev-token']))\n")
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "sfr3 --version" in result.stdout and "Traceback" not in result.stderr
    assert "pip install 'sfr3-payments[local]'" in result.stderr
