"""Running a step as a user without root and without system runtimes (issue 16's proof).

CI and the developers' machines run as root, so "works without root" is only proven by
dropping it: as root, commands run as `nobody` (util-linux `setpriv`); as anyone else, as
that user. Their environment is emptied (`env -i`) down to HOME (a work area the user owns),
a PATH that holds every system program except Java and Node.js (`bare_path`) and the
machine's proxy and CA-bundle settings (`network_settings`).

A work area is a folder the user owns and can reach: `.venv/<name>/` when `nobody` can reach
the checkout, else `/var/tmp/sfr3-<name>-<hash of the checkout's path>/`. Either is kept
between runs as a cache (pip's, npm's, a fetched browser), never shared by two checkouts.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# What a machine without system runtimes lacks.
HIDDEN = ("java", "javac", "jshell", "node", "nodejs", "npm", "npx", "corepack")
SYSTEM_PATH = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")


def network_settings(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The machine's proxy and TLS-trust settings (CA bundle paths) and pip's and npm's own
    settings: what any user of this machine gets from it, kept when the rest is emptied."""
    source = os.environ if environ is None else environ
    keep = re.compile(r"(_PROXY|CERTS?|CA_BUNDLE|CAINFO|SSL_CERT_(FILE|DIR))$|^(PIP|NPM_CONFIG)_",
                      re.IGNORECASE)
    return {k: v for k, v in source.items() if keep.search(k)}


class User:
    """`nobody` when this process is root, else the current (unprivileged) user."""

    def __init__(self) -> None:
        self.root = os.geteuid() == 0
        if self.root:
            assert shutil.which("setpriv"), "setpriv (util-linux) is needed to drop root"
        entry = pwd.getpwnam("nobody") if self.root else pwd.getpwuid(os.geteuid())
        self.uid, self.gid = entry.pw_uid, entry.pw_gid

    def command(self, cmd: list[str], home: Path, path: str | None = None,
                env: dict[str, str] | None = None) -> list[str]:
        variables = {**network_settings(), "HOME": str(home),
                     "PATH": path or os.pathsep.join(SYSTEM_PATH), "LC_ALL": "C.UTF-8",
                     **(env or {})}
        wrapped = ["env", "-i", *(f"{k}={v}" for k, v in variables.items()), *cmd]
        if not self.root:
            return wrapped
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}", "--clear-groups",
                *wrapped]

    def run(self, cmd: list[str], home: Path, *, timeout: float = 120, check: bool = True,
            cwd: Path | None = None, path: str | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(self.command(cmd, home, path, env), capture_output=True,
                                text=True, timeout=timeout, check=False, cwd=cwd or home)
        if check:
            assert result.returncode == 0, (
                f"{cmd} as uid {self.uid}: exit {result.returncode}\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
        return result

    def owns(self, path: Path) -> None:
        """`path` and everything under it belong to the user (a no-op when not root)."""
        if not self.root:
            return
        os.chown(path, self.uid, self.gid, follow_symlinks=False)
        for parent, dirs, files in os.walk(path):
            for name in (*dirs, *files):
                os.chown(os.path.join(parent, name), self.uid, self.gid, follow_symlinks=False)

    def python_for(self, area: Path) -> str | None:
        """A Python 3.11+ the user can run, once `area` exists, belongs to the user and the
        user can write there; None when there is none."""
        try:
            area.mkdir(parents=True, exist_ok=True)
            if self.root:
                os.chown(area, self.uid, self.gid)
        except OSError:
            return None
        candidates = [getattr(sys, "_base_executable", ""), sys.executable, "/usr/bin/python3",
                      shutil.which("python3") or ""]
        probe = ("import sys; assert sys.version_info >= (3, 11); "
                 "open(sys.argv[1] + '/.probe', 'w').close()")
        for python in dict.fromkeys(p for p in candidates if p):
            if self.run([python, "-c", probe, str(area)], area, check=False).returncode == 0:
                return python
        return None

    def work_area(self, name: str) -> tuple[Path, str]:
        """(a work area the user owns, a Python the user can run)."""
        tag = hashlib.sha1(str(REPO).encode()).hexdigest()[:8]
        areas = [REPO / ".venv" / name, Path("/var/tmp") / f"sfr3-{name}-{tag}"]
        for area in areas:
            python = self.python_for(area)
            if python is not None:
                return area, python
        raise AssertionError(f"uid {self.uid} can run no Python 3.11+ writing to {areas}")


def bare_path(directory: Path, folders: Iterable[str] = SYSTEM_PATH) -> str:
    """A PATH (one folder of links) to every program of `folders` (the system's PATH unless
    told) except Java and Node.js, so nothing can pick up a system runtime."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    seen: set[str] = set()
    for folder in folders:
        if not folder or not os.path.isdir(folder):
            continue
        for entry in os.scandir(folder):
            if entry.name in seen or entry.name in HIDDEN:
                continue
            if entry.is_file() and os.access(entry.path, os.X_OK):
                seen.add(entry.name)
                (directory / entry.name).symlink_to(entry.path)
    for name in HIDDEN:
        assert shutil.which(name, path=str(directory)) is None, f"{name} on the bare PATH"
    return str(directory)
