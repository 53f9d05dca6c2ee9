"""`make run` with several API execution environments (sfr3_dev/gateway_workers.py) stays
correct: the workers really run requests, retries and races through different processes
apply once, and the workers never outlive the main process (SIGTERM or kill -9)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sfr3_dev import tokens
from tests.harness.procs import ROOT, free_port, wait_http

pytestmark = pytest.mark.e2e
WORKERS = 3


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Server:
    def __init__(self, home: Path) -> None:
        # `sfr3 run` binds PORT and PORT+1 (the finance page): a port free a moment ago
        # may be taken by another test's server by then, so a clash means another port.
        for attempt in range(3):
            try:
                self._start(home)
                return
            except AssertionError as exc:
                if b"Address already in use" not in (home / "server.log").read_bytes() \
                        or attempt == 2:
                    raise exc
                self.log.close()

    def _start(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(home / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "SFR3_HOME": str(home), "SFR3_WORKERS": str(WORKERS)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sfr3_dev.cli", "run", "--port", str(self.port), "--home",
             str(home)], cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(f"{self.url}/residents/x/balance", timeout=90, proc=self.proc)
        # The banner comes once the stack (workers included) has started.
        deadline = time.monotonic() + 90
        while b"sfr3-payments is running" not in (home / "server.log").read_bytes():
            assert self.proc.poll() is None and time.monotonic() < deadline, \
                (home / "server.log").read_text()[-3000:]
            time.sleep(0.1)

    def workers(self) -> list[int]:
        """The API's execution environments besides the main process (spawned workers)."""
        return [p for p in children(self.proc.pid) if alive(p)
                and b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("sfr3-workers"))
    try:
        yield running
    finally:
        running.stop()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def test_concurrent_requests_run_in_several_execution_environments(server: Server) -> None:
    """Idle environments block on their pipe (no CPU); the ones that served requests did."""
    workers = server.workers()
    assert len(workers) == WORKERS - 1, f"workers: {workers}"
    token = tokens.issue(resident="res-w", root=server.home)
    before = {p: cpu_ticks(p) for p in workers}
    failures: list[str] = []

    def client() -> None:
        with requests.Session() as session:  # one keep-alive connection per client
            for _ in range(60):
                r = session.get(f"{server.url}/residents/res-w/balance",
                                headers={"Authorization": f"Bearer {token}"}, timeout=30)
                if r.status_code != 200:
                    failures.append(r.text)

    threads = [threading.Thread(target=client) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures
    used = {p: cpu_ticks(p) - before[p] for p in workers}
    assert [p for p, ticks in used.items() if ticks > 0], f"no worker ran a request: {used}"


def _post(server: Server, token: str, path: str, body: dict[str, Any],
          key: str | None = None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    # A new connection each time, so the kernel spreads the requests over the processes.
    return requests.post(f"{server.url}{path}", data=json.dumps(body), headers=headers,
                         timeout=60)


def test_racing_retries_and_payments_across_processes_apply_once(server: Server) -> None:
    rid = f"res-{uuid.uuid4().hex[:8]}"
    resident = tokens.issue(resident=rid, root=server.home)
    manager = tokens.issue(staff="pm-w", groups=("property-managers",), root=server.home)
    r = _post(server, resident, f"/residents/{rid}/payment-methods",
              {"type": "card", "paymentMethodId": "pm_card_visa"})
    assert r.status_code == 201, r.text
    method = r.json()["methodId"]
    r = _post(server, manager, f"/residents/{rid}/charges",
              {"amount": 10_000, "chargeType": "RENT", "description": "Rent"})
    assert r.status_code == 201, r.text

    results: list[requests.Response] = []
    lock = threading.Lock()

    def pay(amount: int, key: str) -> None:
        response = _post(server, resident, f"/residents/{rid}/payments",
                         {"amount": amount, "paymentMethodId": method}, key)
        with lock:
            results.append(response)

    # The same retried request, 6 times at once, and 4 different payments beside it.
    threads = [threading.Thread(target=pay, args=(1500, f"retry-{rid}")) for _ in range(6)]
    threads += [threading.Thread(target=pay, args=(1000, f"pay-{rid}-{i}")) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    retried = {resp.json()["paymentId"] for resp in results
               if resp.status_code == 202 and resp.json()["amount"] == 1500}
    assert len(retried) == 1, [(x.status_code, x.text) for x in results]
    assert all(x.status_code in (202, 409) for x in results), [x.text for x in results]
    assert sum(1 for x in results if x.status_code == 202 and x.json()["amount"] == 1000) == 4

    deadline = time.monotonic() + 60
    while True:
        body = requests.get(f"{server.url}/residents/{rid}/balance",
                            headers={"Authorization": f"Bearer {resident}"}, timeout=30).json()
        if body["pendingPayments"] == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert body["balance"] == 10_000 - 1500 - 4 * 1000, body
    history = requests.get(f"{server.url}/residents/{rid}/payments",
                           headers={"Authorization": f"Bearer {resident}"}, timeout=30).json()
    assert sorted(p["amount"] for p in history["payments"]) == [1000] * 4 + [1500]
    assert {p["status"] for p in history["payments"]} == {"SETTLED"}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["stop", "kill-9"])
def test_workers_stop_with_the_main_process(tmp_path: Path, sig: signal.Signals) -> None:
    other = Server(tmp_path)
    workers = other.workers()
    assert len(workers) == WORKERS - 1
    other.stop(sig)
    deadline = time.monotonic() + 15
    while any(alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in workers if alive(p)], f"workers outlived {sig.name} of sfr3 run"
