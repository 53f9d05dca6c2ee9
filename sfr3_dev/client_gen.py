"""Generate the typed Python client (`clients/python`, import `sfr3_payments_client`) from
`docs/openapi.json`.

`python -m sfr3_dev.client_gen` (or `make client`) rewrites `clients/python/sfr3_payments_client/`;
`--check` exits 1 when the committed client is stale against the document (the test
`tests/test_client_fresh.py` does the same), so a route change that regenerates the document
(`python -m sfr3_dev.openapi`) must regenerate the client too.

Why it is deterministic and offline: the generator is `openapi-python-client`, pinned by the
lock (dev extra); it reads the local document (`--path`, never a URL) with the committed
config `clients/python/openapi-python-client.yaml`, whose `post_hooks: []` turns off its own
hooks (they run whatever `ruff` is first on PATH). This module instead runs the locked ruff
of this interpreter (`python -m ruff`, fix-only and format) with the client's own ruff
settings (`clients/python/pyproject.toml`). Everything happens in a scratch directory; the
package directory is replaced only when the whole run succeeded. `--fail-on-warning`: the
generator skips an operation or schema it cannot read with only a warning, and a client
that silently lacks a route is worse than a failed regeneration.

The generator runs as a subprocess (`python -m openapi_python_client`): it is a dev-only
tool, and `sfr3_dev` imports only what the `[local]` extra provides.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "openapi.json"
PROJECT = ROOT / "clients" / "python"
CONFIG = PROJECT / "openapi-python-client.yaml"
PACKAGE_NAME = "sfr3_payments_client"
PACKAGE = PROJECT / PACKAGE_NAME


class GenerationError(RuntimeError):
    pass


def _run(cmd: list[str], cwd: Path) -> None:
    # A fixed hash seed: nothing the generator iterates over a set of names in may order its
    # output differently from one run to the next.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    if done.returncode != 0:
        raise GenerationError(f"{' '.join(cmd[1:4])} failed ({done.returncode}):\n"
                              f"{done.stdout}{done.stderr}")


def generate(into: Path, doc: Path = DOC) -> Path:
    """Write the client package for `doc` under `into` (a fresh directory); returns the
    package directory. The generator writes a whole project (`--meta uv`: the package with
    its `py.typed`, and a pyproject.toml naming what the generated code needs); only the
    package is committed, the project files are hand-written (setuptools, like the root),
    and `generated_dependencies` reads the generator's list to keep them in step."""
    into.mkdir(parents=True, exist_ok=True)
    project = into / "project"
    _run([sys.executable, "-m", "openapi_python_client", "generate", "--path", str(doc),
          "--meta", "uv", "--config", str(CONFIG), "--output-path", str(project),
          "--fail-on-warning"], cwd=into)
    out = project / PACKAGE_NAME
    # The client's own ruff settings (not the repository's: generated code, longer lines).
    ruff_config = str(PROJECT / "pyproject.toml")
    _run([sys.executable, "-m", "ruff", "check", "--config", ruff_config, "--fix-only",
          "--no-cache", "--quiet", "."], cwd=out)
    _run([sys.executable, "-m", "ruff", "format", "--config", ruff_config, "--no-cache",
          "--quiet", "."], cwd=out)
    for cache in out.rglob("__pycache__"):
        shutil.rmtree(cache)
    return out


def generated_dependencies(package: Path) -> list[str]:
    """The requirements the generator's own pyproject.toml gives the generated package."""
    meta = tomllib.loads((package.parent / "pyproject.toml").read_text())["project"]
    return list(meta["dependencies"])


def declared_dependencies() -> list[str]:
    """The requirements of the committed clients/python/pyproject.toml."""
    return list(tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
                ["dependencies"])


def _files(tree: Path) -> set[Path]:
    if not tree.exists():
        return set()
    return {p.relative_to(tree) for p in tree.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


def differences(fresh: Path, committed: Path = PACKAGE) -> list[str]:
    """What differs between a fresh generation and the committed package (relative paths,
    with a unified diff for changed text files); empty when they are the same."""
    new, old = _files(fresh), _files(committed)
    out = []
    if generated_dependencies(fresh) != declared_dependencies():
        out.append(f"clients/python/pyproject.toml dependencies {declared_dependencies()} "
                   f"differ from the generator's {generated_dependencies(fresh)}: edit them")
    out += [f"missing: {p}" for p in sorted(new - old)]
    out += [f"not generated any more: {p}" for p in sorted(old - new)]
    for rel in sorted(new & old):
        if not filecmp.cmp(fresh / rel, committed / rel, shallow=False):
            diff = difflib.unified_diff(
                (committed / rel).read_text().splitlines(True),
                (fresh / rel).read_text().splitlines(True),
                f"committed/{rel}", f"fresh/{rel}")
            out.append(f"changed: {rel}\n{''.join(diff)}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sfr3_dev.client_gen",
                                     description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--check", action="store_true",
                        help="fail if clients/python/sfr3_payments_client is stale")
    parser.add_argument("--doc", type=Path, default=DOC,
                        help="another OpenAPI document (default: docs/openapi.json)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    with tempfile.TemporaryDirectory(prefix="sfr3-client-") as scratch:
        try:
            fresh = generate(Path(scratch), args.doc.resolve())
        except GenerationError as exc:
            print(f"client_gen: {exc}", file=sys.stderr)
            return 1
        if args.check:
            diffs = differences(fresh)
            if diffs:
                print("\n".join(diffs), file=sys.stderr)
                print(f"{PACKAGE.relative_to(ROOT)} is stale against {args.doc}: "
                      "run `make client`", file=sys.stderr)
                return 1
            return 0
        if PACKAGE.exists():
            shutil.rmtree(PACKAGE)
        shutil.copytree(fresh, PACKAGE)
        if generated_dependencies(fresh) != declared_dependencies():
            print(f"note: the generated code needs {generated_dependencies(fresh)}; "
                  "clients/python/pyproject.toml declares "
                  f"{declared_dependencies()}: edit it (and `make lock`)", file=sys.stderr)
    print(f"wrote {PACKAGE.relative_to(ROOT)} ({len(_files(PACKAGE))} files) "
          f"from {args.doc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
