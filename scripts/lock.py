"""Writes the lock: `constraints.txt` (every package, transitive ones included, at the version
the suite runs against) and `requirements-lambda.txt` (the Lambda bundle's share of it).

`make lock` runs `python scripts/lock.py --install`: pip installs the project with every extra
of pyproject.toml under the current lock (so a dependency someone just added comes in and
nothing else moves), then this walks the dependency closure of the project from the
installed distributions' metadata and pins what is installed. Nothing outside the closure
(a tool installed by hand) gets in. `--upgrade` installs without the old lock first (to
take new upstream releases on purpose); `--check` only compares, for tests.

`make install`, CI (through `make test`) and the Lambda bundle all read these two files, so
a new upstream release cannot turn CI red or ship an untested version.

The lock is for the platform it is written on (Linux, the interpreter running this); the
Lambda requirements evaluate markers for the python3.12 arm64 runtime and leave out what
that runtime provides (serverless.yml custom.pythonRequirements.noDeploy).
"""

from __future__ import annotations

import argparse
import difflib
import importlib.metadata as md
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # pragma: no cover - pip always vendors it
    from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]
    from pip._vendor.packaging.utils import canonicalize_name  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
LAMBDA_REQUIREMENTS = ROOT / "requirements-lambda.txt"
# Held back on purpose, also by `--upgrade` (name -> specifier, why). The Lambda bundle is
# built from the same pins for manylinux2014_aarch64 / cp312 with --only-binary.
HOLDS = {
    "pillow": ("<13", "13.0 has no manylinux2014_aarch64 cp312 wheels (the Lambda bundle)"),
}
# Not dependencies of the project, but part of a reproducible install.
BOOTSTRAP = ("pip",)
# This repository's other packages, installed editable beside the project (`make install`):
# their dependencies are locked too (the generated API client, clients/python).
SUBPROJECTS = ("clients/python",)
# Extras whose closure is the Lambda bundle (one zip for every function).
LAMBDA_EXTRAS = ("aws", "stripe")
# Provided by the python3.12 Lambda runtime: serverless.yml noDeploy (keep both in step).
LAMBDA_PROVIDED = {"boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six",
                   "urllib3"}
LAMBDA_MARKERS = {
    "python_version": "3.12", "python_full_version": "3.12.0", "implementation_name": "cpython",
    "platform_python_implementation": "CPython", "platform_machine": "aarch64",
    "platform_system": "Linux", "sys_platform": "linux", "os_name": "posix",
}

CONSTRAINTS_HEADER = """\
# The lock: every package of `pip install -e '.[<every extra>]'`, transitive ones included,
# at the version the test suite runs against. Written by `make lock` (scripts/lock.py);
# do not edit by hand. `make install` installs with `-c constraints.txt`.
"""
LAMBDA_HEADER = """\
# What serverless-python-requirements installs into the Lambda build (built once, then split
# per function): the closure of the project's dependencies + [aws] + [stripe], pinned to
# constraints.txt (written with it by `make lock`, scripts/lock.py; do not edit by hand).
# boto3/botocore and their dependencies are provided by the python3.12 Lambda runtime and
# listed in custom.pythonRequirements.noDeploy. Each function's zip leaves out what it does
# not import (serverless.yml custom.bundles): fpdf2/fontTools/Pillow ship only with receipts,
# stripe and requests only with stripeService (tests/deploy/test_bundle.py). The plugin's
# cache key is this filtered list: if you change the pip platform flags in serverless.yml,
# delete .sfr3/sls-cache.
"""


class LockError(RuntimeError):
    pass


def project() -> dict:
    return dict(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"])


def all_extras() -> list[str]:
    return sorted(project().get("optional-dependencies", {}))


def _roots(extras: tuple[str, ...] | list[str]) -> list[tuple[Requirement, frozenset[str]]]:
    """The project's own requirements with the given extras (self-references expanded)."""
    meta = project()
    name = canonicalize_name(meta["name"])
    pending = list(extras)
    seen: set[str] = set()
    reqs = [Requirement(r) for r in meta.get("dependencies", [])]
    while pending:
        extra = pending.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for text in meta.get("optional-dependencies", {}).get(extra, []):
            req = Requirement(text)
            if canonicalize_name(req.name) == name:
                pending.extend(req.extras)
            else:
                reqs.append(req)
    return [(r, frozenset()) for r in reqs]


def subproject_requirements() -> list[Requirement]:
    """The dependencies of the SUBPROJECTS (their pyproject.toml [project] tables)."""
    reqs: list[Requirement] = []
    for folder in SUBPROJECTS:
        meta = tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]
        reqs += [Requirement(text) for text in meta.get("dependencies", [])]
    return reqs


def _applies(req: Requirement, extras: frozenset[str], env: dict[str, str] | None) -> bool:
    if req.marker is None:
        return True
    names = extras or frozenset({""})
    return any(req.marker.evaluate({**(env or {}), "extra": e}) for e in names)


def closure(extras: tuple[str, ...] | list[str], *, env: dict[str, str] | None = None,
            stop: set[str] | frozenset[str] = frozenset(),
            also: list[Requirement] | None = None) -> dict[str, str]:
    """canonical name -> installed version for everything the project needs with `extras`
    (and the requirements `also`), markers evaluated for `env` (None: this interpreter);
    names in `stop` and what only they need are left out."""
    found: dict[str, str] = {}
    visited: set[tuple[str, frozenset[str]]] = set()
    problems: list[str] = []
    queue = [(req, frozenset()) for req, _ in _roots(extras)]
    queue += [(req, frozenset()) for req in also or []]
    while queue:
        req, parent_extras = queue.pop()
        if not _applies(req, parent_extras, env):
            continue
        name = canonicalize_name(req.name)
        if name in stop:
            continue
        key = (name, frozenset(req.extras))
        if key in visited:
            continue
        visited.add(key)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            problems.append(f"{req} is needed but not installed")
            continue
        version = dist.version
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            problems.append(f"{name} {version} is installed but {req} is required")
        found[name] = version
        for text in dist.requires or []:
            queue.append((Requirement(text), frozenset(req.extras)))
    if problems:
        raise LockError("; ".join(sorted(set(problems))) + " (run `make lock`)")
    return found


def render_constraints() -> str:
    pins = closure(all_extras(), also=subproject_requirements())
    for name, (spec, why) in HOLDS.items():
        if name in pins and not Requirement(f"{name}{spec}").specifier.contains(pins[name]):
            raise LockError(f"{name} {pins[name]} is installed but held at {spec}: {why}")
    for name in BOOTSTRAP:  # the installer itself: `make install` pins it first
        pins[name] = md.version(name)
    return CONSTRAINTS_HEADER + "".join(f"{n}=={v}\n" for n, v in sorted(pins.items()))


def render_lambda_requirements() -> str:
    locked = read_pins(CONSTRAINTS)
    pins = closure(LAMBDA_EXTRAS, env=LAMBDA_MARKERS, stop=LAMBDA_PROVIDED)
    lines = []
    for name in sorted(pins):
        if name not in locked:
            raise LockError(f"{name} (Lambda bundle) is not in constraints.txt: run `make lock`")
        lines.append(f"{name}=={locked[name]}\n")
    return LAMBDA_HEADER + "".join(lines)


def read_pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            if spec.operator != "==":
                raise LockError(f"{path.name}: {line!r} is not an exact pin")
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def install(upgrade: bool) -> None:
    target = f".[{','.join(all_extras())}]"
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
           "-e", target]
    for folder in SUBPROJECTS:
        cmd += ["-e", folder]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="lock-holds-") as holds:
        holds.write("".join(f"{name}{spec}\n" for name, (spec, _) in HOLDS.items()))
        holds.flush()
        cmd += ["-c", holds.name]
        if upgrade:
            cmd += ["--upgrade", "--upgrade-strategy", "eager"]
        elif CONSTRAINTS.exists():
            cmd += ["-c", str(CONSTRAINTS)]
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, cwd=ROOT, check=True)


def _diff(path: Path, text: str) -> str:
    old = path.read_text() if path.exists() else ""
    return "".join(difflib.unified_diff(old.splitlines(True), text.splitlines(True),
                                        str(path.name), f"{path.name} (fresh)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--install", action="store_true",
                        help="pip install every extra under the current lock first")
    parser.add_argument("--upgrade", action="store_true",
                        help="with --install: ignore the current lock (take new releases)")
    parser.add_argument("--check", action="store_true",
                        help="only report whether the files are up to date (exit 1 if not)")
    args = parser.parse_args(argv)
    try:
        if args.install:
            install(args.upgrade)
        constraints = render_constraints()
        if args.check:
            diff = _diff(CONSTRAINTS, constraints)
            # The Lambda list derives from the lock on disk: check it against that.
            diff += _diff(LAMBDA_REQUIREMENTS, render_lambda_requirements())
            if diff:
                print(diff, end="")
                return 1
            return 0
        CONSTRAINTS.write_text(constraints)
        LAMBDA_REQUIREMENTS.write_text(render_lambda_requirements())
    except LockError as exc:
        print(f"lock: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {CONSTRAINTS.name} ({constraints.count('==')} pins) and "
          f"{LAMBDA_REQUIREMENTS.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
