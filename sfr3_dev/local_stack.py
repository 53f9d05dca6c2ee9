"""`make run` / `sfr3 run`: the whole system in one process, on loopback, on embedded defaults.

  http://127.0.0.1:${PORT:-8000}   the API (same paths as deployed, no stage prefix), the
                                   Stripe webhook and /internal/stripe, all through the
                                   local gateway (sfr3_dev.gateway) to the real handlers
  ${SFR3_HOME:-.sfr3}/ledger.db    the ledger (eventsourcing SQLite)
  .../idempotency.db               Idempotency-Key records (Powertools, SQLite layer)
  .../stripe-sandbox.db            the local Stripe's state (SQLite, written as it changes:
                                   survives kill -9), restored on start
  .../stripe-sandbox-api-key       the sandbox's API key (STRIPE_SECRET_KEY; its controls
                                   that reveal or redirect webhooks need it)
  .../files/                       local stand-in for the receipts bucket
  .../dev-signing-key.pem          the key `sfr3 dev-token` signs with

The API reaches Stripe exactly as deployed: API → StripeServiceClient → POST
/internal/stripe (x-api-key) → stripeService → Stripe adapter → the local sandbox, which
forwards its signed events to /webhooks/stripe the way `stripe listen` does. Ctrl-C
stops everything; the next run finds the data again. Setting PERSISTENCE_MODULE (e.g. to
`sfr3_adapters.dynamodb` with DYNAMODB_TABLE/DYNAMODB_ENDPOINT_URL) swaps the ledger store.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import secrets
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sfr3_dev.gateway import Gateway
from sfr3_dev.stripe_sandbox import StripeSandbox

log = logging.getLogger(__name__)


def _secret(path: Path, prefix: str) -> str:
    """A random value kept in `path`, so restarts reuse it."""
    if path.exists():
        return path.read_text().strip()
    value = f"{prefix}{secrets.token_hex(16)}"
    path.write_text(value)
    path.chmod(0o600)
    return value


def home_environment(home: Path, extra_env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings that tie the stack's data to `home`: the ledger (SQLite under the home
    unless PERSISTENCE_MODULE is set), Idempotency-Key records and receipt files, with
    `extra_env` on top. Shared so that other local tools (`sfr3 analytics`) open the very
    ledger `make run` writes for a home."""
    extra = dict(extra_env or {})
    home = home.resolve()
    env = {"SFR3_FILES_DIR": str(home / "files")}
    # The payments read model (issue 17), in the read models' file the backbone writes.
    env["SFR3_PAYMENTS_INDEX_PATH"] = str(home / "read-models.db")
    # Payment health (issue 15): its read model, written by its follower of the log.
    env["PAYMENT_HEALTH_SQLITE_PATH"] = str(home / "payment-health.db")
    # Finance (issue 14): its read models, reports and dispute evidence under the home.
    env.update({"SFR3_FINANCE_READ_MODELS_PATH": str(home / "finance-read-models.db"),
                "SFR3_REPORTS_DIR": str(home / "reports"),
                "SFR3_EVIDENCE_DIR": str(home / "evidence")})
    if not (os.environ.get("PERSISTENCE_MODULE") or "PERSISTENCE_MODULE" in extra):
        env["PERSISTENCE_MODULE"] = "eventsourcing.sqlite"
        env["SQLITE_DBNAME"] = str(home / "ledger.db")
    if not (os.environ.get("IDEMPOTENCY_TABLE") or "IDEMPOTENCY_TABLE" in extra):
        env["IDEMPOTENCY_SQLITE_PATH"] = str(home / "idempotency.db")
    env.update(extra)
    return env


class LocalStack:
    """Everything `make run` serves; tests start it in-process on a free port."""

    def __init__(self, home: Path, *, port: int = 8000, host: str = "127.0.0.1",
                 env: dict[str, str] | None = None, persist_sandbox: bool = True,
                 sandbox_retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0),
                 run_scheduler: bool = True, workers: int = 1) -> None:
        # run_scheduler: the daily jobs at their local times (tests drive them by hand).
        self.run_scheduler = run_scheduler
        # workers: API execution environments (1 = this process only; gateway_workers.py)
        self.workers = workers
        self.gateway_workers: Any = None
        self.home = home.resolve()
        self.home.mkdir(parents=True, exist_ok=True)
        self.host, self.port = host, port
        self.extra_env = dict(env or {})
        self.persist_sandbox = persist_sandbox
        self.retry_delays = sandbox_retry_delays
        self.gateway: Gateway | None = None
        self.sandbox: StripeSandbox | None = None
        self.backbone: Any = None
        self.scheduler: Any = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def url(self) -> str:
        assert self.gateway is not None
        return self.gateway.url

    def _environment(
        self, gateway_url: str, sandbox_url: str, webhook_secret: str, sandbox_key: str
    ) -> dict[str, str]:
        env = {
            "STAGE": "local",
            "STRIPE_SERVICE_URL": gateway_url,
            "STRIPE_SERVICE_API_KEY": _secret(self.home / "stripe-service-api-key", "local_"),
            "STRIPE_SECRET_KEY": sandbox_key,
            "STRIPE_WEBHOOK_SECRET": webhook_secret,
            "STRIPE_API_BASE": sandbox_url,
            "STRIPE_MAX_NETWORK_RETRIES": "0",
            "POWERTOOLS_METRICS_NAMESPACE": "SFR3Local",
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        }
        env.update(home_environment(self.home, self.extra_env))
        return env

    def _set_env(self, env: dict[str, str]) -> None:
        for key, value in env.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def start(self) -> LocalStack:
        from sfr3_lambdas import wiring

        self.gateway = Gateway(host=self.host, port=self.port, key_home=self.home)
        webhook_secret = _secret(self.home / "stripe-webhook-secret", "whsec_")
        sandbox_key = _secret(self.home / "stripe-sandbox-api-key", "sk_test_")
        # The sandbox is reached only from this process: always loopback, whatever `host`.
        self.sandbox = StripeSandbox(host="127.0.0.1", port=0, api_key=sandbox_key,
                                     forward_to=f"{self.gateway.url}/webhooks/stripe",
                                     forward_secret=webhook_secret,
                                     retry_delays=self.retry_delays,
                                     state=self._sandbox_file() if self.persist_sandbox
                                     else None)
        self._set_env(self._environment(self.gateway.url, self.sandbox.url, webhook_secret,
                                        sandbox_key))
        wiring.reset()
        self.sandbox.start()
        self.gateway.start()
        wiring.payment_service()  # open the ledger now: a bad configuration fails at start
        if self.workers > 1:  # more API execution environments, in worker processes
            from sfr3_dev.gateway_workers import GatewayWorkers

            self.gateway_workers = GatewayWorkers(self.gateway, self.workers - 1,
                                                  self.home).start()
        from sfr3_dev.backbone import LocalBackbone

        self.backbone = LocalBackbone(wiring.ledger(), self.home)
        self.backbone.start()
        from sfr3_dev.finance import FinanceProjections

        self.finance = FinanceProjections(wiring.ledger(), self.home).start()
        from sfr3_dev.finance_page import FinancePage
        from sfr3_dev.payment_health import PaymentHealthFollower

        # Payment health (issue 15): its read model follows the log; the staff page
        # (SFR3_FINANCE_PORT; 0 = any free port) forwards its API calls to the gateway.
        self.payment_health = PaymentHealthFollower(wiring.ledger(), self.home).start()
        self.finance_page = FinancePage(self.gateway.url, host=self.host,
                                        port=int(os.environ.get("SFR3_FINANCE_PORT") or 0)).start()
        from sfr3_dev.payment_jobs import (
            LocalPaymentJobs,
            LocalPaymentScheduler,
            PaymentWatchFollower,
        )

        # Retries and recovery of stuck payments (issue 13): the watch follows the log.
        self.payment_jobs = LocalPaymentJobs(
            PaymentWatchFollower(wiring.ledger(), self.home).start(), wiring.payment_service())
        if self.run_scheduler:
            from sfr3_dev.jobs import LocalJobs, LocalScheduler

            self.scheduler = LocalScheduler(
                LocalJobs(self.backbone, wiring.payment_service())).start()
            from sfr3_dev.finance import FinanceScheduler

            self.finance_jobs = FinanceScheduler(self.finance, wiring.payment_service()).start()
            self.payment_scheduler = LocalPaymentScheduler(self.payment_jobs).start()
        return self

    def stop(self) -> None:
        from sfr3_lambdas import wiring

        if self.scheduler is not None:
            with contextlib.suppress(Exception):
                self.scheduler.stop()
            self.scheduler = None
        if getattr(self, "payment_scheduler", None) is not None:
            with contextlib.suppress(Exception):
                self.payment_scheduler.stop()
        if getattr(self, "payment_jobs", None) is not None:
            with contextlib.suppress(Exception):
                self.payment_jobs.follower.stop()
        if getattr(self, "finance_jobs", None) is not None:
            self.finance_jobs.stop()
        if getattr(self, "finance", None) is not None:
            self.finance.stop()
        if getattr(self, "finance_page", None) is not None:
            self.finance_page.stop()
            self.finance_page = None
        if getattr(self, "payment_health", None) is not None:
            self.payment_health.stop()
            self.payment_health = None
        if self.backbone is not None:
            with contextlib.suppress(Exception):
                self.backbone.stop()
        if self.gateway_workers is not None:
            self.gateway_workers.stop()
            self.gateway_workers = None
        if self.gateway is not None:
            self.gateway.stop()
        if self.sandbox is not None:
            self.sandbox.stop()
        wiring.reset()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # The sandbox writes its state through to SQLite as it changes, so a second run (even
    # after kill -9) pays with the customers and payment methods the ledger remembers.
    # (An older run's `stripe-sandbox.pickle` is not read: pickles execute code on load.)
    def _sandbox_file(self) -> Path:
        return self.home / "stripe-sandbox.db"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sfr3 run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--home", type=Path,
                        default=Path(os.environ.get("SFR3_HOME") or ".sfr3"))
    parser.add_argument("--workers", type=int,
                        default=int(os.environ.get("SFR3_WORKERS") or min(4, os.cpu_count() or 1)),
                        help="API execution environments (processes: this one + workers) "
                             "(default: SFR3_WORKERS or the cores, at most 4)")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    os.environ["SFR3_HOME"] = str(args.home)
    # Powertools' local mode: indented JSON logs, metrics not printed (the workers inherit
    # it); the resolvers' debug mode stays off (sfr3_dev/powertools_local.py).
    os.environ.setdefault("POWERTOOLS_DEV", "1")
    os.environ.setdefault("SFR3_FINANCE_PORT", str(args.port + 1))
    stack = LocalStack(args.home, port=args.port, workers=max(1, args.workers))
    try:
        stack.start()
    except OSError as exc:
        print(f"cannot start: {exc} (is something else on port {args.port}? try PORT=...)",
              file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    assert stack.sandbox is not None
    print(f"""sfr3-payments is running
  API            {stack.url}   (e.g. GET {stack.url}/residents/res-1/balance)
  API docs       {stack.url}/swagger   (Swagger UI of docs/openapi.json)
  Stripe (local) {stack.sandbox.url}   webhooks forwarded to {stack.url}/webhooks/stripe
  data           {stack.home}
  finance page   {stack.finance_page.url}   (payment health; paste a staff token)
tokens:
  export RESIDENT=$(.venv/bin/sfr3 dev-token --resident res-1)
  export MANAGER=$(.venv/bin/sfr3 dev-token --staff pm-1 --group property-managers)
  export FINANCE=$(.venv/bin/sfr3 dev-token --staff fin-1 --group finance)
  curl -H "Authorization: Bearer $RESIDENT" {stack.url}/residents/res-1/balance
The README's "End-to-end walkthrough" goes through every step. Ctrl-C stops.""", flush=True)
    try:
        stop.wait()
    finally:
        print("stopping…", flush=True)
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
