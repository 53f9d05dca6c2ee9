"""DynamoDB writers side by side: our recorder against `eventsourcing-dynamodb==0.1.0`.

    .venv/bin/python bench/dynamodb_writers_bench.py [--seconds 5] [--repeats 3]

One command: it starts DynamoDB Local (the test harness's command) on a free loopback
port, a fresh one for each figure (its stream records would slow the next figure's
writes), creates the peer's virtualenv under `.sfr3/bench-peer-venv` on first use
(`python3 -m venv` + pip: the peer pins eventsourcing 9.3, so it never goes into
`.venv`), and runs:

* appends/s with 1 and with 4 writer processes, each process appending one-event
  commits to its own aggregate (distinct residents), for our recorder in each
  notification mode (`counter`, `stream`; see docs/dynamodb.md) and for the peer;
* the ratios ours/peer and 4 processes / 1 process, as medians of `--repeats` runs,
  with the spread (min-max) of each figure, since the machine's cores are shared;
* the CPU the server and the writer processes used per append, which bounds what 4
  processes can gain on this machine (4p/1p <= cores available / cores one writer uses);
* lost acknowledged writes: 4 processes racing on ONE aggregate, 25 acknowledged
  read-then-append commands each; afterwards every acknowledged command must be stored
  exactly once. The peer's unconditional `BatchWriteItem` overwrites a version another
  writer already stored, so it loses some; ours must lose none.

`--sides stream,stream-bare,peer` adds a diagnostic side: stream mode's writes on a table
created without its DynamoDB Stream (what DynamoDB Local's stream emulation costs).

Prints figures; asserts nothing (benchmarks never fail on timing).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PEER_VENV = ROOT / ".sfr3" / "bench-peer-venv"
PEER_REQUIREMENT = "eventsourcing-dynamodb==0.1.0"
STATE = b'{"amount_cents":125000,"charge_id":"ch-0001","kind":"RENT","period":"2026-12"}' * 4
TOPIC = "sfr3_ledger.ledger:ResidentLedger.ChargePosted"
# Each side of ours and its notification mode. `stream-bare` is a diagnostic, not a
# deployable design: stream mode's writes on a table created WITHOUT its DynamoDB Stream,
# to separate what DynamoDB Local's stream emulation costs from what the writes cost.
MODES = {"counter": "counter", "stream": "stream", "stream-bare": "stream"}
RACE_WRITERS = 4
RACE_COMMANDS = 25
DUMMY_AWS = {  # DynamoDB Local accepts any credentials; never the caller's real ones.
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


# -- workers (run as subprocesses, with .venv's python or the peer venv's) ------------


def _recorder(side: str, url: str, table: str) -> Any:
    if side == "peer":
        import boto3
        from eventsourcing_dynamodb.recorders import DynamoApplicationRecorder

        return DynamoApplicationRecorder(table, boto3.resource("dynamodb", endpoint_url=url))
    sys.path.insert(0, str(ROOT))
    from eventsourcing.utils import Environment

    from sfr3_adapters.dynamodb.factory import Factory

    env = {"DYNAMODB_TABLE": table, "DYNAMODB_ENDPOINT_URL": url, "CREATE_TABLE": "no",
           "DYNAMODB_NOTIFICATIONS": MODES[side]}
    return Factory(Environment("bench", env)).application_recorder()


def _stored(oid: uuid.UUID, version: int, state: bytes) -> Any:
    from eventsourcing.persistence import StoredEvent

    return StoredEvent(originator_id=oid, originator_version=version, topic=TOPIC, state=state)


def worker_append(side: str, url: str, table: str, start_at: float, seconds: float) -> None:
    recorder = _recorder(side, url, table)
    oid = uuid.uuid4()
    recorder.insert_events([_stored(oid, 1, STATE)])  # warm: connection, sequence cache
    version = 1
    time.sleep(max(0.0, start_at - time.time()))
    count = 0
    cpu = time.process_time()
    began = time.perf_counter()
    while time.perf_counter() - began < seconds:
        version += 1
        recorder.insert_events([_stored(oid, version, STATE)])
        count += 1
    print(json.dumps({"appends": count, "seconds": time.perf_counter() - began,
                      "cpu": time.process_time() - cpu}))


def worker_race(side: str, url: str, table: str, oid_text: str, name: str) -> None:
    from eventsourcing.persistence import IntegrityError

    recorder = _recorder(side, url, table)
    oid = uuid.UUID(oid_text)
    acknowledged: list[str] = []
    conflicts = 0
    for i in range(RACE_COMMANDS):
        command = f"{name}-{i}"
        while True:
            last = recorder.select_events(oid, desc=True, limit=1)
            version = last[0].originator_version + 1 if last else 1
            try:
                recorder.insert_events([_stored(oid, version, command.encode())])
            except IntegrityError:
                conflicts += 1
                continue
            acknowledged.append(command)
            break
    print(json.dumps({"acknowledged": acknowledged, "conflicts": conflicts}))


# -- the conductor --------------------------------------------------------------------


def ensure_peer_venv() -> Path:
    python = PEER_VENV / "bin" / "python"
    probe = [str(python), "-c", "import eventsourcing_dynamodb"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    print(f"creating {PEER_VENV} with {PEER_REQUIREMENT} ...", flush=True)
    subprocess.run(["python3", "-m", "venv", str(PEER_VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", PEER_REQUIREMENT], check=True)
    return python


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Conductor:
    def __init__(self, url: str, server_pid: int, peer_python: Path) -> None:
        self.url = url
        self.server_pid = server_pid
        self.peer_python = peer_python
        self.env = dict(os.environ)

    def python(self, side: str) -> str:
        return str(self.peer_python) if side == "peer" else sys.executable

    def table(self, side: str) -> str:
        name = f"writers-{side}-{uuid.uuid4().hex[:8]}"
        if side == "peer":
            import boto3

            client = boto3.client("dynamodb", endpoint_url=self.url, region_name="us-east-1",
                                  aws_access_key_id="local", aws_secret_access_key="local")
            client.create_table(
                TableName=name,
                KeySchema=[{"AttributeName": "originator_id", "KeyType": "HASH"},
                           {"AttributeName": "originator_version", "KeyType": "RANGE"}],
                AttributeDefinitions=[
                    {"AttributeName": "originator_id", "AttributeType": "S"},
                    {"AttributeName": "originator_version", "AttributeType": "N"}],
                BillingMode="PAY_PER_REQUEST",
            )
            client.get_waiter("table_exists").wait(TableName=name)
        else:
            sys.path.insert(0, str(ROOT))
            from sfr3_adapters.dynamodb import schema
            from sfr3_adapters.dynamodb.client import dynamodb_client, ensure_table

            client = dynamodb_client(self.url, "us-east-1")
            for definition in schema.table_definitions(name):
                if side == "stream-bare":
                    definition.pop("StreamSpecification", None)
                ensure_table(client, definition)
        return name

    def _spawn(self, side: str, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([self.python(side), __file__, "--worker", side, *args],
                                stdout=subprocess.PIPE, text=True, env=self.env, cwd=ROOT)

    def appends(self, side: str, procs: int, seconds: float) -> dict[str, float]:
        table = self.table(side)
        start_at = time.time() + 3.0  # every worker imported and warm before it starts
        workers = [self._spawn(side, "append", self.url, table, str(start_at), str(seconds))
                   for _ in range(procs)]
        time.sleep(max(0.0, start_at - time.time()))
        server0, began = _cpu_seconds(self.server_pid), time.perf_counter()
        results = [json.loads(w.communicate()[0]) for w in workers]
        server1, elapsed = _cpu_seconds(self.server_pid), time.perf_counter() - began
        if any(w.returncode for w in workers):
            raise RuntimeError(f"{side} writer failed")
        total = sum(r["appends"] for r in results)
        rate = sum(r["appends"] / r["seconds"] for r in results)
        server, writers = server1 - server0, sum(r["cpu"] for r in results)
        # Cores kept busy while measuring: DynamoDB Local plus the writer processes.
        return {"rate": rate, "server_ms": 1000 * server / total,
                "clients_ms": 1000 * writers / total, "cores": (server + writers) / elapsed}

    def race(self, side: str) -> dict[str, int]:
        table = self.table(side)
        oid = uuid.uuid4()
        workers = [self._spawn(side, "race", self.url, table, str(oid), f"w{n}")
                   for n in range(RACE_WRITERS)]
        results = [json.loads(w.communicate()[0]) for w in workers]
        acknowledged = [c for r in results for c in r["acknowledged"]]
        reader = subprocess.run(
            [self.python(side), __file__, "--worker", side, "read", self.url, table, str(oid)],
            capture_output=True, text=True, env=self.env, cwd=ROOT)
        if reader.returncode:
            raise RuntimeError(f"reading the {side} store failed: {reader.stderr}")
        stored = json.loads(reader.stdout)
        lost = len(set(acknowledged) - set(stored["commands"]))
        versions = stored["versions"]
        return {"acknowledged": len(acknowledged), "stored": len(stored["commands"]),
                "lost": lost, "conflicts": sum(r["conflicts"] for r in results),
                "versions_ok": int(versions == list(range(1, len(versions) + 1)))}


def worker_read(side: str, url: str, table: str, oid_text: str) -> None:
    recorder = _recorder(side, url, table)
    events = recorder.select_events(uuid.UUID(oid_text))
    print(json.dumps({"commands": [bytes(e.state).decode() for e in events],
                      "versions": [int(e.originator_version) for e in events]}))


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.0f}  ({min(values):.0f}-{max(values):.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sides", default="counter,stream,peer",
                        help="any of counter, stream, peer and the diagnostic stream-bare")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from tests.harness.dynamodb_local import dynamodb_local_command
    from tests.harness.procs import free_port, running

    # A terminated bench still stops its DynamoDB Local (the `running` block's cleanup).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ.update(DUMMY_AWS)
    peer_python = ensure_peer_venv()
    sides = args.sides.split(",")

    @contextlib.contextmanager
    def fresh_server() -> Iterator[Conductor]:
        """A DynamoDB Local of its own for each figure (same command and JVM flags as the
        tests): no side or figure pays for another's data, stream records or JIT state."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with running(dynamodb_local_command(port), url, log_name="writers-bench",
                     timeout=90) as proc:
            yield Conductor(url, proc.pid, peer_python)

    runs: dict[tuple[str, int], list[dict[str, float]]] = {}
    for repeat in range(args.repeats):
        for side in sides:  # interleaved, so load from other users hits every side
            for procs in (1, 4):
                # A fresh server for each figure: DynamoDB Local slows every write to a
                # streamed table as its run's stream records pile up (docs/dynamodb.md,
                # "Which test tables have a stream"), so 4 processes measured after 1 on
                # the same server would start from more records than 1 did.
                with fresh_server() as conductor:
                    conductor.appends(side, 1, 2.0)  # warm the server's JIT
                    runs.setdefault((side, procs), []).append(
                        conductor.appends(side, procs, args.seconds))
        last = {key: values[-1] for key, values in runs.items()}
        print(f"run {repeat + 1}/{args.repeats}: " + ", ".join(
            f"{side} {last[(side, 1)]['rate']:.0f}/{last[(side, 4)]['rate']:.0f}"
            f" ({last[(side, 1)]['server_ms']:.1f}+{last[(side, 1)]['clients_ms']:.1f} ms)"
            for side in sides) + " appends/s 1p/4p (CPU ms/append 1p)", flush=True)
    with fresh_server() as conductor:
        print(f"\nappends/s, median (min-max) of {args.repeats} runs of {args.seconds:.0f} s; "
              "one-event commits, each process on its own aggregate")
        print(f"{'side':10} {'1 process':>22} {'4 processes':>22} {'4p/1p':>12}"
              "   CPU ms/append 1p (server + writer), cores busy 1p / 4p")
        medians: dict[tuple[str, int], float] = {}
        for side in sides:
            one = [r["rate"] for r in runs[(side, 1)]]
            four = [r["rate"] for r in runs[(side, 4)]]
            ratios = [f / o for f, o in zip(four, one, strict=True)]
            medians[(side, 1)] = statistics.median(one)
            medians[(side, 4)] = statistics.median(four)
            server = statistics.median(r["server_ms"] for r in runs[(side, 1)])
            clients = statistics.median(r["clients_ms"] for r in runs[(side, 1)])
            busy1 = statistics.median(r["cores"] for r in runs[(side, 1)])
            busy4 = statistics.median(r["cores"] for r in runs[(side, 4)])
            print(f"{side:10} {_spread(one):>22} {_spread(four):>22} "
                  f"{statistics.median(ratios):5.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
                  f"   {server:.2f} + {clients:.2f}, {busy1:.2f} / {busy4:.2f}")
        print("\nappends per CPU-second (DynamoDB Local + writer, 1 process; what decides the "
              "rate when cores are scarce):")
        per_cpu = {side: statistics.median(
            1000 / (r["server_ms"] + r["clients_ms"]) for r in runs[(side, 1)]) for side in sides}
        for side in sides:
            print(f"{side:10} {per_cpu[side]:6.0f}"
                  + (f"   ours/peer {per_cpu[side] / per_cpu['peer']:.2f}"
                     if "peer" in sides and side != "peer" else ""))
        if "peer" in sides:
            print()
            for side in sides:
                if side != "peer":
                    one = medians[(side, 1)] / medians[("peer", 1)]
                    four = medians[(side, 4)] / medians[("peer", 4)]
                    print(f"ours/peer  {side}: 1 process {one:.2f}, 4 processes {four:.2f}")
        print(f"\nlost acknowledged writes, {RACE_WRITERS} processes x {RACE_COMMANDS} "
              "read-then-append commands on one aggregate:")
        for side in sides:
            race = conductor.race(side)
            print(f"{side:10} acknowledged {race['acknowledged']}, stored {race['stored']}, "
                  f"lost {race['lost']}, conflicts retried {race['conflicts']}, "
                  f"versions contiguous {'yes' if race['versions_ok'] else 'no'}")
        print(f"\ncores: {os.cpu_count()}, load average now {os.getloadavg()[0]:.2f}. "
              "One writer that keeps c cores busy can gain at most cores/c from 4 processes "
              "on this machine, whatever the store does.")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        side, kind, *rest = sys.argv[2:]
        if kind == "append":
            worker_append(side, rest[0], rest[1], float(rest[2]), float(rest[3]))
        elif kind == "race":
            worker_race(side, *rest)
        else:
            worker_read(side, *rest)
    else:
        main()
