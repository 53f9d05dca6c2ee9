"""The payment jobs on one machine: `payment-retries` and `payment-recovery` in `make run`
and from the CLI.

Deployed, an EventBridge Scheduler rate schedule fires both every 15 minutes, SQS fans the
items out to worker Lambdas and a stream consumer keeps the payment-watch read model
(sfr3_lambdas/jobs/retries.py). Here:

- `PaymentWatchFollower` follows the notification log from its own stored position into
  the SQLite watch (`${SFR3_HOME}/read-models.db`), and reacts to
  `payment.permanently_failed` like the deployed alert function: the envelope is written
  to the local retry DLQ (`${SFR3_HOME}/retry-dlq/<eventId>.json`) and the property
  manager is mailed (`PROPERTY_MANAGER_EMAIL`, default `manager@localhost`, into
  `${SFR3_HOME}/mail/`). Every write is idempotent, so a replay after a crash repeats
  nothing visible.
- `LocalPaymentJobs.run(job, now)` plans from the watch and works each item in process
  through the same `PaymentJobWorker`.
- `LocalPaymentScheduler` runs both every `SFR3_PAYMENT_JOBS_EVERY` seconds (default 900).

    sfr3 jobs run payment-retries|payment-recovery [--at 2027-01-01T12:00:00Z]

`--at` is the instant the run is for (default now): retries due by then are made, and
payments PENDING since before then - 15 minutes are recovered.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sfr3_adapters.local_sinks import LocalMailer
from sfr3_adapters.payment_watch_sqlite import SQLitePaymentWatch
from sfr3_adapters.retry_alerts import PERMANENTLY_FAILED, RetryAlerts
from sfr3_dev.follower import PollingThread, notification_batches
from sfr3_ledger.integration_events import Envelope, ResidentResolver, envelopes_for
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.payment_jobs import (
    PAYMENT_JOBS,
    PaymentJobName,
    PaymentJobWorker,
    PaymentWorkItem,
    plan,
    run,
)
from sfr3_ledger.read_models.payments_pending import (
    DEFAULT_RECOVER_AFTER,
    PaymentWatchProjection,
    rebuild,
)
from sfr3_ledger.retries import parse_delays

log = logging.getLogger(__name__)
BATCH = 500
DEFAULT_EVERY_SECONDS = 900


def recover_after(env: Any = None) -> timedelta:
    """`SFR3_RECOVER_AFTER` (e.g. `15m`): how old a PENDING payment is before recovery."""
    text = (env or os.environ).get("SFR3_RECOVER_AFTER")
    return parse_delays(text)[0] if text else DEFAULT_RECOVER_AFTER


class LocalDeadLetters:
    """The retry DLQ as files: one per event id (a replay rewrites the same file)."""

    def __init__(self, home: Path) -> None:
        self.root = Path(home) / "retry-dlq"

    def put(self, envelope: Envelope) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / f"{envelope['eventId']}.json"
        path.write_text(json.dumps(envelope, sort_keys=True, indent=2))

    def messages(self) -> list[Envelope]:
        return [json.loads(p.read_text()) for p in sorted(self.root.glob("*.json"))]


class PaymentWatchFollower:
    """The payment-watch read model and the exhaustion alerts, following the log."""

    def __init__(self, app: Any, home: Path) -> None:
        self.app = app
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.watch = SQLitePaymentWatch(self.home / "read-models.db")
        self.projection = PaymentWatchProjection(self.watch, recover_after=recover_after())
        self.dead_letters = LocalDeadLetters(self.home)
        self.alerts = RetryAlerts(
            dead_letters=self.dead_letters, topic=None,
            mailer=LocalMailer(self.home, os.environ.get("FROM_EMAIL") or "payments@localhost"),
            manager_email=os.environ.get("PROPERTY_MANAGER_EMAIL") or "manager@localhost")
        self.resolver = ResidentResolver.for_application(app)
        self._position_file = self.home / "backbone" / "payment-watch-position"
        self._position_file.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._thread: PollingThread | None = None

    def _position(self) -> int | None:
        text = self._position_file.read_text().strip() if self._position_file.exists() else ""
        return int(text) if text else None

    def _batches(self, start: int | None) -> Iterator[tuple[list[Any], int]]:
        return notification_batches(self.app, start, BATCH)

    def catch_up(self) -> int:
        """Apply every event after the stored position; the position moves only after."""
        with self._lock:
            applied = 0
            for events, last in self._batches(self._position()):
                applied += self.projection.process(events)
                failures = [e for e in events
                            if isinstance(e, ResidentLedger.PaymentPermanentlyFailed)]
                for envelope in envelopes_for(failures, self.resolver):
                    if envelope["eventType"] == PERMANENTLY_FAILED:
                        self.alerts.handle(envelope)
                self._position_file.write_text(str(last))
            return applied

    def rebuild(self) -> int:
        with self._lock:
            notes = self._batches(None)
            return rebuild(self.watch, self.projection, (events for events, _ in notes))

    def start(self, poll_seconds: float = 0.2) -> PaymentWatchFollower:
        self._thread = PollingThread(self.catch_up, name="sfr3-payment-watch",
                                     every=poll_seconds, logger=log,
                                     failure="payment watch step failed; retrying").start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()


class InlinePaymentQueue:
    """The payment jobs' SQS queue, in process: each item is worked as it is sent; a
    failing one is logged and counted (the next run plans it again)."""

    def __init__(self, worker: PaymentJobWorker, now: datetime) -> None:
        self.worker, self.now = worker, now
        self.outcomes: dict[str, int] = {}
        self.failures = 0

    def send(self, items: Sequence[PaymentWorkItem]) -> None:
        for item in items:
            try:
                outcome = self.worker(item, self.now)
            except Exception:
                log.exception("payment job item failed: %s", item)
                self.failures += 1
                continue
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


class LocalPaymentJobs:
    def __init__(self, follower: PaymentWatchFollower, payments: Any) -> None:
        self.follower = follower
        self.payments = payments

    def run(self, job: PaymentJobName, now: datetime | None = None,
            residents: frozenset[str] | None = None) -> InlinePaymentQueue:
        """Run `job` as of `now`; with `residents`, only their payments' items (tests)."""
        now = now or datetime.now(UTC)
        self.follower.catch_up()
        queue = InlinePaymentQueue(PaymentJobWorker(self.payments, self.follower.watch), now)
        if residents is None:
            run(self.follower.watch, queue, job, now)
        else:
            queue.send([i for i in plan(self.follower.watch, job, now)
                        if i.resident_id in residents])
        self.follower.catch_up()
        return queue


class LocalPaymentScheduler:
    """Both payment jobs every `every` seconds (the deployed rate schedule, locally)."""

    def __init__(self, jobs: LocalPaymentJobs, *, every: float | None = None) -> None:
        self.jobs = jobs
        self.every = every or float(os.environ.get("SFR3_PAYMENT_JOBS_EVERY")
                                    or DEFAULT_EVERY_SECONDS)
        self._thread: PollingThread | None = None

    def tick(self, now: datetime | None = None) -> dict[str, dict[str, int]]:
        return {job: self.jobs.run(job, now).outcomes for job in PAYMENT_JOBS}

    def start(self) -> LocalPaymentScheduler:
        self._thread = PollingThread(self.tick, name="sfr3-payment-jobs", every=self.every,
                                     logger=log,
                                     failure="payment jobs tick failed; the next tick retries"
                                     ).start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()


def run_from_cli(app: Any, home: Path, payments: Any, job: str, at: datetime | None) -> int:
    """`sfr3 jobs run payment-retries|payment-recovery [--at]` (sfr3_dev/jobs.py)."""
    if payments is None:
        print("the payment jobs need the running `make run` (its stripeService API key)")
        return 1
    follower = PaymentWatchFollower(app, home)
    queue = LocalPaymentJobs(follower, payments).run(job, at)  # type: ignore[arg-type]
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(queue.outcomes.items())) or "-"
    failed = f", {queue.failures} failed" if queue.failures else ""
    moment = (at or datetime.now(UTC)).isoformat()
    print(f"{moment}  {job:<17} {sum(queue.outcomes.values()):>4} items: {outcomes}{failed}")
    return 0
