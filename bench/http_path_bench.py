"""The local HTTP path (`make run`) against the ledger read it serves (issue 17).

    .venv/bin/python bench/http_path_bench.py [--requests 400]
    .venv/bin/python bench/http_path_bench.py --soak 600 --clients 6

Starts `sfr3 run` (what `make run` runs) on a free loopback port with a fresh SFR3_HOME,
posts one charge, then times `GET /residents/{id}/balance`:

  in-process    the same read without HTTP: LedgerApplication on the same SQLite file
  keep-alive    one client, one persistent connection (what browsers and SDKs do)
  new conn      one client, a new TCP connection per request
  4 clients     four client processes, each on its own keep-alive connection

and prints p50/p90 latency, throughput and the ratios the issue sets targets for (HTTP p50
within 5x of in-process; 4 clients >= 2x one client; keep-alive no slower than new
connections). `--soak S` instead runs `--clients` client processes for S seconds and
prints the server's RSS every 10 s and its growth after warm-up (the first 20% of the run).

Prints figures; asserts nothing. Every request goes to 127.0.0.1, and every loop is bounded
by a count or a deadline.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESIDENT = "res-bench"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(home: Path, port: int, workers: int | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SFR3_HOME": str(home), "PORT": str(port), "LOG_LEVEL": "WARNING"}
    if workers:
        env["SFR3_WORKERS"] = str(workers)
    log = open(home / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([sys.executable, "-m", "sfr3_dev.cli", "run", "--port", str(port),
                             "--home", str(home)], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"sfr3 run exited: {(home / 'server.log').read_text()[-2000:]}")
        # The banner comes once the whole stack (its API processes included) has started.
        if b"sfr3-payments is running" in (home / "server.log").read_bytes():
            return proc
        time.sleep(0.2)
    proc.kill()
    raise SystemExit("sfr3 run did not come up in 60 s")


def seed(port: int, home: Path) -> str:
    from sfr3_dev import tokens

    staff = tokens.issue(staff="pm-bench", groups=("property-managers",), root=home)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"amount": 210000, "chargeType": "RENT", "description": "Rent"})
    conn.request("POST", f"/residents/{RESIDENT}/charges", body=body,
                 headers={"Authorization": f"Bearer {staff}",
                          "Content-Type": "application/json"})
    response = conn.getresponse()
    assert response.status == 201, response.read()
    response.read()
    conn.close()
    return tokens.issue(resident=RESIDENT, root=home)


def in_process(home: Path, n: int) -> list[float]:
    from sfr3_ledger import LedgerApplication

    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                 "SQLITE_DBNAME": str(home / "ledger.db")})
    times = []
    for _ in range(n):
        start = time.perf_counter()
        ledger = app.ledger(RESIDENT)
        json.dumps({"residentId": RESIDENT, "balance": ledger.balance,
                    "pendingPayments": ledger.pending_total, "payable": ledger.payable})
        times.append(time.perf_counter() - start)
    return times


def client(port: int, token: str, n: int, keep_alive: bool,
           deadline: float | None = None) -> list[float]:
    """`n` GETs (or until `deadline`), each timed; the connection reused when keep_alive."""
    headers = {"Authorization": f"Bearer {token}"}
    times: list[float] = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(n):
        if deadline is not None and time.time() > deadline:
            break
        start = time.perf_counter()
        if not keep_alive:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", f"/residents/{RESIDENT}/balance", headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        if not keep_alive:
            conn.close()
        times.append(time.perf_counter() - start)
    conn.close()
    return times


def _client_job(args: tuple[int, str, int, bool, float | None]) -> list[float]:
    return client(*args)


def parallel(port: int, token: str, clients: int, n: int,
             deadline: float | None = None) -> tuple[list[float], float]:
    """All latencies and the wall time of `clients` processes doing `n` requests each."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(clients) as pool:
        pool.map(_client_job, [(port, token, 3, True, None)] * clients)  # warm the workers
        start = time.perf_counter()
        results = pool.map(_client_job, [(port, token, n, True, deadline)] * clients)
        wall = time.perf_counter() - start
    return [t for r in results for t in r], wall


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _rss_of(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
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


def rss_kb(pid: int) -> int:
    """The server's RSS: the main process and its API execution environments (children)."""
    return _rss_of(pid) + sum(_rss_of(child) for child in _children(pid))


def server_cpu(pid: int) -> float:
    """CPU seconds used so far by the server and its API execution environments."""
    total = 0
    for proc in (pid, *_children(pid)):
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def bench(port: int, home: Path, token: str, n: int, workers: str, pid: int) -> None:
    client(port, token, 50, True)  # warm-up: imports, caches, SQLite pages
    local = in_process(home, n)
    keep = client(port, token, n, True)
    start, cpu = time.perf_counter(), server_cpu(pid)
    keep_wall = client(port, token, n, True)
    one_wall = time.perf_counter() - start
    one_rate, one_cpu = n / one_wall, server_cpu(pid) - cpu
    fresh = client(port, token, n, False)
    cpu = server_cpu(pid)
    four, wall = parallel(port, token, 4, n)
    four_rate, four_cpu = len(four) / wall, server_cpu(pid) - cpu
    rows = [("in-process read", local, None),
            ("HTTP keep-alive, 1 client", keep + keep_wall, one_rate),
            ("HTTP new connection, 1 client", fresh, len(fresh) / sum(fresh)),
            ("HTTP keep-alive, 4 clients", four, four_rate)]
    print(f"GET /residents/{{id}}/balance, {n} requests per client, {os.cpu_count()} cores, "
          f"sfr3 run with {workers} API process(es)\n")
    print(f"{'path':<32}{'p50 ms':>9}{'p90 ms':>9}{'req/s':>9}")
    for name, values, rate in rows:
        shown = f"{rate:9.0f}" if rate else f"{1 / statistics.median(values):9.0f}"
        print(f"{name:<32}{ms(values, 0.5):9.2f}{ms(values, 0.9):9.2f}{shown}")
    print(f"\nHTTP p50 / in-process p50 (1 client):   {ms(keep, 0.5) / ms(local, 0.5):6.1f}x"
          "   (target <= 5x)")
    print(f"throughput 4 clients / 1 client:        {four_rate / one_rate:6.2f}x"
          "   (target >= 2x)")
    print(f"keep-alive p50 / new-connection p50:    {ms(keep, 0.5) / ms(fresh, 0.5):6.2f}x"
          "   (no stall: <= 1x)")
    print(f"server CPU per request, 1 / 4 clients:  {1000 * one_cpu / n:6.2f} / "
          f"{1000 * four_cpu / len(four):.2f} ms; cores busy {one_cpu / one_wall:.2f} / "
          f"{four_cpu / wall:.2f}   (the server's parallelism, whatever else loads the machine)")


def soak(port: int, token: str, pid: int, seconds: int, clients: int) -> None:
    context = multiprocessing.get_context("spawn")
    deadline = time.time() + seconds
    print(f"soak: {clients} clients for {seconds} s; RSS of sfr3 run (main process + "
          f"{len(_children(pid))} children) every 10 s")
    samples: list[tuple[float, int]] = []
    start = time.time()
    with context.Pool(clients) as pool:
        pending = pool.map_async(_client_job,
                                 [(port, token, 10**9, True, deadline)] * clients)
        while not pending.ready():
            samples.append((time.time() - start, rss_kb(pid)))
            print(f"  t={samples[-1][0]:6.0f} s   RSS {samples[-1][1] / 1024:7.1f} MB", flush=True)
            pending.wait(10)
        done = sum(len(r) for r in pending.get())
    samples.append((time.time() - start, rss_kb(pid)))
    warm = [s for s in samples if s[0] >= 0.2 * seconds] or samples
    growth = (warm[-1][1] - warm[0][1]) / 1024
    print(f"requests: {done} ({done / (time.time() - start):.0f}/s)")
    print(f"RSS after warm-up: {warm[0][1] / 1024:.1f} -> {warm[-1][1] / 1024:.1f} MB "
          f"({growth:+.1f} MB over {warm[-1][0] - warm[0][0]:.0f} s; target < 2 MB / 10 min)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--requests", type=int, default=400, help="per client (default 400)")
    parser.add_argument("--soak", type=int, metavar="SECONDS", help="soak instead")
    parser.add_argument("--clients", type=int, default=6, help="soak clients (default 6)")
    parser.add_argument("--workers", type=int,
                        help="sfr3 run's API processes (default: its own, SFR3_WORKERS/cores)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sfr3-http-bench-") as tmp:
        home = Path(tmp)
        port = free_port()
        server = start_server(home, port, args.workers)
        try:
            token = seed(port, home)
            if args.soak:
                soak(port, token, server.pid, args.soak, args.clients)
            else:
                bench(port, home, token, args.requests,
                      str(args.workers or os.environ.get("SFR3_WORKERS")
                          or f"default ({min(4, os.cpu_count() or 1)})"), server.pid)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
