"""Finance on one machine: the finance read models, the reconciliation job, `sfr3 reconcile`.

Deployed, the events table's stream drives `sfr3_lambdas.jobs.finance_projection` and
EventBridge Scheduler fires `sfr3_lambdas.jobs.reconciliation` at 02:00 UTC. Here a
follower of the ledger application's notification log keeps the same read models (SQLite,
`${SFR3_HOME}/finance-read-models.db`) with its own position
(`${SFR3_HOME}/backbone/finance-position`), and the same `Reconciler` runs in-process.

    sfr3 reconcile [--date YYYY-MM-DD]     # default: yesterday (UTC), as the 02:00 run
    sfr3 reconcile rebuild                 # the finance read models, from events
    sfr3 reconcile reminders               # the dispute-evidence reminders, now
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sfr3_adapters.finance_files import LocalFiles
from sfr3_adapters.finance_read_models_sqlite import (
    SQLiteAlertLog,
    SQLiteDisputes,
    SQLiteSettledFacts,
)
from sfr3_adapters.local_sinks import LocalMailer
from sfr3_dev.follower import PollingThread, notification_batches
from sfr3_ledger.dispute_alerts import DisputeReminders, OpenedAlert
from sfr3_ledger.read_models.disputes import DisputesProjection
from sfr3_ledger.read_models.settled_by_day import SettledFactsProjection, rebuild
from sfr3_ledger.reconciliation_job import Reconciler, RunResult

log = logging.getLogger(__name__)
BATCH = 500


class FinanceProjections:
    """The finance read models, following the notification log from a stored position."""

    def __init__(self, app: Any, home: Path) -> None:
        self.app = app
        self.home = Path(home)
        self.settled = SQLiteSettledFacts(self.home / "finance-read-models.db")
        self.disputes = SQLiteDisputes(self.home / "finance-read-models.db")
        self.mailer = LocalMailer(self.home, os.environ.get("FROM_EMAIL") or "payments@localhost")
        self.alert = OpenedAlert(self.mailer, finance_email())
        self.projections: list[Any] = [SettledFactsProjection(self.settled),
                                       DisputesProjection(self.disputes, self.alert)]
        self._position_file = self.home / "backbone" / "finance-position"
        self._position_file.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._thread: PollingThread | None = None

    def start(self, poll_seconds: float = 0.2) -> FinanceProjections:
        """Follow the log in the background (`make run`), like the local backbone."""
        self._thread = PollingThread(self.catch_up, name="sfr3-finance", every=poll_seconds,
                                     failure="finance projections step failed; retrying",
                                     logger=log).start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()

    def _position(self) -> int | None:
        if not self._position_file.exists():
            return None
        text = self._position_file.read_text().strip()
        return int(text) if text else None

    def _batches(self, start: int | None) -> Iterator[tuple[list[Any], int]]:
        return notification_batches(self.app, start, BATCH)

    def catch_up(self) -> int:
        """Apply every event after the stored position (idempotent: a crash replays)."""
        with self._lock:
            applied = 0
            position = self._position()
            for events, last in self._batches(position):
                for projection in self.projections:
                    applied += projection.process(events)
                self._position_file.write_text(str(last))
            return applied

    def rebuild(self) -> int:
        """Both read models from the whole log, without alerting anyone again."""
        # The position is the last notification both passes read, not the log's end when
        # they are done: an event appended meanwhile is then projected by the next catch-up
        # (replaying what one pass saw already is idempotent), never skipped.
        ends: list[int] = []

        def replay() -> Iterator[list[Any]]:
            last = 0
            for events, end in self._batches(None):
                last = end
                yield events
            ends.append(last)

        with self._lock:
            total = rebuild(self.settled, self.projections[0], replay())
            quiet = DisputesProjection(self.disputes)
            self.disputes.clear()
            total += sum(quiet.process(events) for events in replay())
            self._position_file.write_text(str(min(ends)))
            return total


def finance_email() -> str | None:
    return os.environ.get("FINANCE_EMAIL") or "finance@localhost"


def reminders(projections: FinanceProjections, provider: Any,
              now: datetime | None = None) -> list[str]:
    """The daily dispute-evidence reminders (09:00 UTC in `make run`)."""
    projections.catch_up()
    log_ = SQLiteAlertLog(projections.home / "finance-read-models.db")
    return DisputeReminders(projections.disputes, provider, projections.mailer, log_,
                            finance_email() or "").run(now or datetime.now(UTC))


class FinanceScheduler:
    """Finance's daily runs in `make run` (EventBridge Scheduler deployed, UTC):
    reconciliation of yesterday at 02:00, dispute-evidence reminders at 09:00."""

    RECONCILE_AT = time(2, 0)
    REMIND_AT = time(9, 0)

    def __init__(self, projections: FinanceProjections, payments: Any, *,
                 poll_seconds: float = 30.0) -> None:
        self.projections = projections
        self.payments = payments
        self.poll_seconds = poll_seconds
        self._thread: PollingThread | None = None

    def tick(self, now: datetime | None = None) -> list[str]:
        now = now or datetime.now(UTC)
        done = []
        alerts = SQLiteAlertLog(self.projections.home / "finance-read-models.db")
        day = yesterday(now)
        reconciled = Reconciler(self.projections.app, self.payments, self.payments.provider,
                                self.projections.settled,
                                reports_store(self.projections.home)).day_state(day)
        if now.time() >= self.RECONCILE_AT and (reconciled is None or not reconciled.runs):
            reconcile(self.projections.app, self.payments, self.payments.provider,
                      self.projections, day)
            done.append("reconciliation")
        key = f"reminders:{now.date().isoformat()}"
        if now.time() >= self.REMIND_AT and not alerts.seen(key):
            reminders(self.projections, self.payments.provider, now)
            alerts.mark(key)
            done.append("reminders")
        return done

    def start(self) -> FinanceScheduler:
        self._thread = PollingThread(self.tick, name="sfr3-finance-jobs",
                                     every=self.poll_seconds, logger=log,
                                     failure="finance scheduler tick failed; next tick retries"
                                     ).start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()


def reports_store(home: Path) -> LocalFiles:
    return LocalFiles(Path(home) / "reports")


def reconcile(app: Any, payments: Any, provider: Any, projections: FinanceProjections,
              day: date) -> RunResult:
    """One run for `day`, with the read model caught up before and after."""
    projections.catch_up()
    result = Reconciler(app, payments, provider, projections.settled,
                        reports_store(projections.home)).run(day)
    projections.catch_up()
    return result


def yesterday(now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).date() - timedelta(days=1)


def print_result(result: RunResult) -> None:
    counts = ", ".join(f"{k} {v}" for k, v in result.counts.items())
    print(f"{result.day}  reconciliation {result.run_id}: {result.transactions} Stripe "
          f"transactions in {result.list_calls} pages; {counts}; healed {len(result.healed)}; "
          f"report {result.csv_key}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sfr3 reconcile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", nargs="?", choices=["run", "rebuild", "reminders"],
                        default="run")
    parser.add_argument("--date", type=date.fromisoformat)
    parser.add_argument("--home", type=Path,
                        default=Path(os.environ.get("SFR3_HOME") or ".sfr3"))
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from sfr3_dev.jobs import _payments
    from sfr3_dev.local_stack import home_environment
    from sfr3_ledger import LedgerApplication

    for key, value in home_environment(args.home).items():
        os.environ.setdefault(key, value)
    app = LedgerApplication()
    projections = FinanceProjections(app, args.home)
    if args.command == "rebuild":
        print(f"rebuilt the finance read models from {projections.rebuild()} events")
        return 0
    payments = _payments(app, args.home)
    if payments is None:
        print("no stripeService key: start `make run` first", file=sys.stderr)
        return 2
    if args.command == "reminders":
        sent = reminders(projections, payments.provider)
        print(f"dispute reminders sent: {len(sent)} {' '.join(sent)}")
        return 0
    print_result(reconcile(app, payments, payments.provider, projections,
                           args.date or yesterday()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
