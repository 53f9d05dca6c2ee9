"""The lock (constraints.txt) pins every dependency, transitive ones included, at the versions
installed here, and the Lambda requirements are its share of it.

When one of these fails after a dependency was added to pyproject.toml: `make lock`.
"""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import subprocess
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.harness.procs import ROOT

_spec = importlib.util.spec_from_file_location("sfr3_lock", ROOT / "scripts" / "lock.py")
assert _spec is not None and _spec.loader is not None
lock = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lock)


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    texts = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        texts += extra
    own = canonicalize_name(project["name"])
    return [r for r in map(Requirement, texts) if canonicalize_name(r.name) != own]


def test_every_pyproject_dependency_is_pinned_in_the_lock() -> None:
    pins = lock.read_pins(lock.CONSTRAINTS)
    missing = [str(r) for r in _declared() if canonicalize_name(r.name) not in pins]
    assert not missing, f"not in constraints.txt (run `make lock`): {missing}"
    outside = [f"{r} but locked {pins[canonicalize_name(r.name)]}" for r in _declared()
               if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)]
    assert not outside, outside


def test_the_installed_versions_are_the_locked_ones() -> None:
    pins = lock.read_pins(lock.CONSTRAINTS)
    drift = {}
    for name, version in pins.items():
        try:
            installed = md.version(name)
        except md.PackageNotFoundError:
            installed = None
        if installed != version:
            drift[name] = (version, installed)
    assert not drift, f"locked vs installed (make install, or make lock): {drift}"


def test_the_lock_files_are_what_make_lock_writes() -> None:
    """No pin too many or too few: the dependency closure of pyproject.toml, nothing else."""
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "lock.py"), "--check"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, f"run `make lock`:\n{result.stdout}{result.stderr}"


def test_the_lambda_requirements_are_the_lock_s_share() -> None:
    locked = lock.read_pins(lock.CONSTRAINTS)
    bundled = lock.read_pins(lock.LAMBDA_REQUIREMENTS)
    assert {n: locked.get(n) for n in bundled} == bundled
    assert not set(bundled) & lock.LAMBDA_PROVIDED
    # The bundle's libraries and what they need (pydantic for the parser, Pillow for fpdf2).
    assert {"eventsourcing", "aws-lambda-powertools", "pydantic", "pydantic-core", "fpdf2",
            "pillow", "stripe", "requests", "tzdata"} <= set(bundled)


def test_make_install_installs_under_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    installs = [line for line in makefile.splitlines() if "$(PIP)" in line]
    assert installs and "-c $(LOCK)" in makefile and "LOCK := constraints.txt" in makefile
    assert "apt-get" not in makefile and "sudo" not in makefile
