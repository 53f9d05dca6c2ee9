"""More execution environments for the API behind the local gateway (`make run`).

Deployed, API Gateway hands each request to a free Lambda execution environment, and an
environment runs one request at a time; concurrent requests run in separate environments.
Locally, one process holds one environment per function: Powertools' resolver keeps the
current event in class-level state, so two requests can never share one (the gateway's
per-handler lock), and Python runs one thread at a time anyway: the API served one request
at a time whatever the number of clients (bench/http_path_bench.py).

So `sfr3 run` gives the API handler `workers - 1` more environments, each a worker process
that imports the very handler and runs the events it is handed, one at a time. The gateway
keeps doing API Gateway's job in the main process (HTTP, the authorizer, building the
event) and invokes a free environment per request, its own first: the last one used is
reused (a warm environment, and no inter-process hop for a single client). The Stripe
webhook and stripeService stay in the main process, so an API event waiting on Stripe never
waits for an environment of its own pool.

What the environments share lives where it lives deployed, and is safe across processes:
the ledger (SQLite in WAL mode: one writer at a time, optimistic concurrency on aggregate
versions, notification ids in commit order), `Idempotency-Key` records (SQLite, `BEGIN
IMMEDIATE` check-and-write), and the local Stripe, the backbone and the scheduler, which
stay in the main process. A worker exits when the main process does, even after `kill -9`
(its pipe closes).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import queue
import threading
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from sfr3_dev.gateway import Gateway, Handler, LocalContext

log = logging.getLogger(__name__)
API_HANDLER = "sfr3_lambdas.api:handler"
READY = "ready"


def _environment(conn: Connection, target: str) -> None:
    """A worker process: one execution environment of `target` ("module:function")."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    module, _, name = target.partition(":")
    from sfr3_dev.powertools_local import resolvers_never_debug

    resolvers_never_debug()  # POWERTOOLS_DEV, as in the gateway's own process
    handler = getattr(importlib.import_module(module), name)
    conn.send(READY)
    while True:
        try:
            event = conn.recv()
        except (EOFError, OSError):  # the main process is gone or closed the pipe
            return
        try:
            result: Any = handler(event, LocalContext())
        except Exception:  # the gateway answers 502, as API Gateway does for a crash
            result = {"crashed": traceback.format_exc()}
        try:
            conn.send(result)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, target: str, context: Any) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_environment, args=(child, target),
                                       name=f"sfr3-env-{target}", daemon=True)
        self.process.start()
        child.close()

    def ready(self, timeout: float) -> bool:
        return bool(self.conn.poll(timeout) and self.conn.recv() == READY)

    def call(self, event: dict[str, Any]) -> dict[str, Any]:
        self.conn.send(event)
        result = self.conn.recv()
        if isinstance(result, dict) and "crashed" in result and "statusCode" not in result:
            raise RuntimeError(f"handler crashed in worker {self.process.pid}:\n"
                               f"{result['crashed']}")
        return dict(result)


_LOCAL = object()


class EnvironmentPool:
    """`local` (this process's environment, under `lock`) plus `workers` processes; each
    runs one event at a time and `invoke` waits for a free one."""

    def __init__(self, target: str, local: Handler, lock: threading.Lock, workers: int,
                 timeout: float = 120) -> None:
        self.local, self.lock = local, lock
        context = multiprocessing.get_context("spawn")
        self.workers = [_Worker(target, context) for _ in range(workers)]
        for worker in self.workers:
            if not worker.ready(timeout):
                self.stop()
                raise RuntimeError(f"execution environment {worker.process.pid} did not start")
        # Last in, first out: the environment just used is the next one handed out.
        self.idle: queue.LifoQueue[Any] = queue.LifoQueue()
        for worker in self.workers:
            self.idle.put(worker)
        self.idle.put(_LOCAL)

    @property
    def pids(self) -> list[int]:
        return [w.process.pid for w in self.workers if w.process.pid is not None]

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        environment = self.idle.get()
        healthy = True
        try:
            if environment is _LOCAL:
                with self.lock:
                    return self.local(event, LocalContext())
            try:
                return environment.call(event)
            except (EOFError, OSError):
                healthy = False  # the process died: never hand it out again
                raise
        finally:
            if healthy:
                self.idle.put(environment)

    def stop(self) -> None:
        for worker in self.workers:
            worker.conn.close()  # the worker's recv() ends: it returns
        for worker in self.workers:
            worker.process.join(timeout=10)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()


class GatewayWorkers:
    """Gives `gateway`'s API handler `count` more execution environments (worker processes);
    start() returns once each has imported the handler. The environment the workers inherit
    is os.environ at start(): LocalStack calls it after setting the stack's."""

    def __init__(self, gateway: Gateway, count: int, key_home: Path) -> None:
        self.gateway, self.count, self.key_home = gateway, count, key_home
        self.pool: EnvironmentPool | None = None
        self._handler_id: int | None = None

    def start(self) -> GatewayWorkers:
        from sfr3_lambdas import api

        self.pool = EnvironmentPool(API_HANDLER, api.handler, self.gateway.lock_for(api.handler),
                                    self.count)
        self._handler_id = id(api.handler)
        self.gateway.pools[self._handler_id] = self.pool
        log.info("API execution environments: this process + %s (pids %s)", self.count,
                 self.pool.pids)
        return self

    @property
    def pids(self) -> list[int]:
        return self.pool.pids if self.pool else []

    def stop(self) -> None:
        if self._handler_id is not None:
            self.gateway.pools.pop(self._handler_id, None)
        if self.pool is not None:
            self.pool.stop()
        self.pool = None


if __name__ == "__main__":  # pragma: no cover - started through multiprocessing
    raise SystemExit(f"started by GatewayWorkers (pid {os.getpid()}), not directly")
