"""Issue 16's proof: `make install`, `make run` and the toolchain's tests work in a fresh copy of
the checkout, without root, on a machine where `java` and `node` are absent from PATH.

CI and the developers' machines run as root and have a system Java and Node.js, so this
test takes both away: the steps run as `nobody` (when the suite runs as root) with an
emptied environment and a PATH holding every system program except Java and Node.js
(tests/unprivileged.py), in a copy of the checkout's last commit that `nobody` owns, with a
Python `nobody` can run (`make install PYTHON=...`). Not the whole suite (the lead's CI runs
that as root): the install (pip, the runtime wheels, `npm ci`), `make run` answering an
authenticated API call, and `make pytest` on tests/test_toolchain.py (npm, osls and DynamoDB
Local on the venv's runtimes). The copy's `.venv`, `node_modules` and the pip and npm caches
stay in the work area, so a later run re-installs only what changed (the Makefile's stamps).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import tarfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.unprivileged import HIDDEN, REPO, User, bare_path

INSTALL_TIMEOUT = 1500
pytestmark = pytest.mark.timeout(INSTALL_TIMEOUT + 300)


class Setup(NamedTuple):
    user: User
    area: Path
    clone: Path
    path: str
    python: str
    install_seconds: float

    def run(self, cmd: list[str], *, timeout: float = 300,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self.user.run(cmd, self.area, cwd=self.clone, path=self.path, timeout=timeout,
                             env=env)


# Kept between runs (the Makefile's stamps decide what to re-install); all else is replaced.
KEPT = {".venv", "node_modules"}


def fresh_clone(clone: Path) -> int:
    """`clone` holding the checkout's last commit (what a fresh clone and CI get; not the
    work tree, where other work may be half done); how many files."""
    clone.mkdir(parents=True, exist_ok=True)
    for entry in clone.iterdir():
        if entry.name in KEPT:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", "HEAD"],
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(clone, filter="data")
        return sum(1 for member in tar.getmembers() if member.isfile())


@pytest.fixture(scope="module")
def setup() -> Iterator[Setup]:
    user = User()
    area, python = user.work_area("setup-unprivileged")
    clone = area / "clone"
    assert fresh_clone(clone) > 100
    path = bare_path(area / "bin")
    user.owns(area)
    started = time.monotonic()
    result = user.run(["make", "install", f"PYTHON={python}"], area, cwd=clone, path=path,
                      timeout=INSTALL_TIMEOUT)
    seconds = time.monotonic() - started
    print(f"make install as uid {user.uid}, no java/node on PATH: {seconds:.1f}s\n"
          f"{result.stdout[-1500:]}")
    yield Setup(user, area, clone, path, python, seconds)


def test_the_steps_have_no_root_and_no_system_runtime(setup: Setup) -> None:
    for name in HIDDEN:
        assert shutil.which(name, path=setup.path) is None
    out = setup.run(["sh", "-c", "id -u; command -v java node npm || true"]).stdout.split()
    assert out == [str(setup.user.uid)] and setup.user.uid != 0
    for script in ("Makefile", ".ci/run"):
        text = (REPO / script).read_text()
        assert "sudo" not in text and "apt-get" not in text, script


def test_make_install_brings_node_npm_and_java_into_the_venv(setup: Setup) -> None:
    venv = setup.clone / ".venv"
    assert venv.stat().st_uid == setup.user.uid
    assert (setup.clone / "node_modules").stat().st_uid == setup.user.uid
    probe = ("command -v node; command -v npm; command -v java; node --version; "
             "npm --version; java -version 2>&1 | head -1")
    out = setup.run([".venv/bin/python", "-m", "sfr3_dev.toolchain", "exec", "--", "sh", "-c",
                     probe]).stdout.splitlines()
    node, npm, java = (Path(p).resolve() for p in out[:3])
    for program in (node, npm, java):
        assert program.is_relative_to(venv.resolve()), program
    assert out[3].startswith("v") and out[4][0].isdigit() and "version" in out[5]
    # Idempotent: a second `make install` has nothing to do.
    again = setup.run(["make", "install", f"PYTHON={setup.python}"], timeout=120)
    assert "pip" not in again.stdout and "npm ci" not in again.stdout, again.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_group(proc: subprocess.Popen[str]) -> None:
    """Ctrl-C to `make run`'s process group (make, sfr3 run, its workers), as a developer
    stops it; whatever is still there after 60 s is killed."""
    os.killpg(proc.pid, signal.SIGINT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)  # anyone left in the group?
        except ProcessLookupError:
            break
        proc.poll()  # reap make itself once it exits
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def test_make_run_serves_the_api(setup: Setup) -> None:
    port = free_port()
    home = setup.area / "run-home"
    env = {"PORT": str(port), "SFR3_FINANCE_PORT": "0", "SFR3_HOME": str(home),
           "SFR3_WORKERS": "1"}
    cmd = setup.user.command(["make", "run"], setup.area, setup.path, env)
    proc = subprocess.Popen(cmd, cwd=setup.clone, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                            start_new_session=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout or []],
                     daemon=True).start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while not any("sfr3-payments is running" in x for x in seen):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(seen)
            with contextlib.suppress(queue.Empty):
                seen.append(lines.get(timeout=1))
        token = setup.run([".venv/bin/sfr3", "dev-token", "--resident", "res-1"],
                          env={"SFR3_HOME": str(home)}).stdout.strip()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/residents/res-1/balance",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
        assert response.status == 200 and body["residentId"] == "res-1", body
        assert body["balance"] == 0
    finally:
        stop_group(proc)
    assert home.stat().st_uid == setup.user.uid


def test_the_toolchain_tests_pass_without_root(setup: Setup) -> None:
    """npm, osls and DynamoDB Local on the venv's runtimes, as `make test` runs them."""
    result = setup.run(["make", "pytest",
                        "PYTEST_ARGS=tests/test_toolchain.py -q -p no:cacheprovider"],
                       timeout=900)
    assert " passed" in result.stdout and "failed" not in result.stdout, result.stdout
