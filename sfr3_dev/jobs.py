"""The daily jobs on one machine: `sfr3 jobs ...` and the scheduler inside `make run`.

Deployed, EventBridge Scheduler fires each job at its local time in each zone and SQS fans
the work out to worker Lambdas. Here the same planning (`sfr3_ledger.jobs.run`) reads the
same read model (SQLite, maintained by the local backbone) and an in-process queue hands
each item straight to the same `Worker`.

    sfr3 jobs run recurring-charges|autopay-sweep|autopay-reminders|late-fees|all
              [--date YYYY-MM-DD] [--time-zone ZONE]
    sfr3 jobs simulate --from YYYY-MM-DD --to YYYY-MM-DD   # both jobs, every day, in order
    ... [--resident ID]   only that resident's work (the zone's run is then not recorded)
    sfr3 jobs rebuild                                      # the read models, from events
    sfr3 jobs run payment-retries|payment-recovery [--at ISO-INSTANT]   # see payment_jobs.py

`--date` is the property-local calendar day the run is for (default: today in each zone).
A run first catches the backbone up (so the read model has every lease and charge), and
catches it up again after posting, so a late-fee run sees the rent it must judge.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sfr3_dev.follower import PollingThread, notification_batches
from sfr3_dev.progress import Progress
from sfr3_ledger import jobs
from sfr3_ledger.payment_jobs import PAYMENT_JOBS
from sfr3_ledger.read_models.schedule import rebuild
from sfr3_ledger.schedules import days, local_date

log = logging.getLogger(__name__)

# Local time of day each job runs in a property's zone (the architecture's late fees at
# 23:00; recurring charges just after midnight, so rent is posted on its due day).
RUN_AT: dict[jobs.JobName, time] = {"recurring-charges": time(0, 5), "autopay-sweep": time(6, 0),
                                    "autopay-reminders": time(9, 0), "late-fees": time(23, 0)}


class InlineQueue:
    """The SQS queue of a deployment, in-process: each item is worked on as it is sent.

    A failing item is logged and counted, not raised, like a message going back to the
    queue; the next run re-plans it (every step is idempotent)."""

    def __init__(self, worker: jobs.Worker, progress: Progress | None = None) -> None:
        self.worker = worker
        self.progress = progress
        self.outcomes: dict[str, int] = {}
        self.failures = 0

    def send(self, items: Sequence[jobs.WorkItem]) -> None:
        for item in items:
            try:
                outcome = self.worker(item)
            except Exception:
                log.exception("job item failed: %s", item)
                self.failures += 1
                continue
            finally:
                if self.progress is not None:
                    self.progress.advance()
            self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1


class LocalJobs:
    """`payments` (a PaymentService) is what the autopay sweep pays through; without one the
    sweep's items fail (and are re-planned by the next run)."""

    def __init__(self, backbone: Any, payments: Any = None) -> None:
        self.backbone = backbone
        self.app = backbone.app
        self.index = backbone.schedule_index
        self.payments = payments
        # The sweep's run tally, in the read models' file (autopay.sweep.completed).
        from sfr3_adapters.autopay_runs_sqlite import SQLiteSweepTally
        from sfr3_ledger.autopay_runs import AutopaySweeps

        self.sweeps = AutopaySweeps(self.app, SQLiteSweepTally(
            Path(backbone.home) / "read-models.db"))

    def run(self, job: jobs.JobName, day: date | None = None, time_zone: str | None = None,
            residents: frozenset[str] | None = None, progress: Progress | None = None,
            ) -> list[tuple[jobs.RunReport, InlineQueue]]:
        """Run `job` for `day` in each zone (or one). With `residents`, only their items are
        worked and the run is not recorded, so the zone's own runs still cover everyone.
        `progress` counts the items worked (a terminal's line), the zone as its detail."""
        self.backbone.run_until_caught_up()
        zones = [time_zone] if time_zone else self.index.time_zones()
        reports = []
        for zone in zones:
            if progress is not None:
                progress.update(detail=zone)
            queue = InlineQueue(jobs.Worker(self.app, self.index, self.payments,
                                            sweeps=self.sweeps), progress)
            run_day = day or local_date(datetime.now(UTC), zone)
            if residents is None:
                report = jobs.run(self.index, queue, job, zone, run_day, sweeps=self.sweeps)
            else:
                items = [i for i in jobs.plan(self.index, job, zone, run_day)
                         if i.resident_id in residents]
                queue.send(items)
                report = jobs.RunReport(job=job, time_zone=zone, day=run_day,
                                        first=run_day, queued=len(items))
            reports.append((report, queue))
        self.backbone.run_until_caught_up()
        return reports

    def rebuild(self, progress: Progress | None = None) -> int:
        """The schedule read model from the whole log; `progress` follows the log's ids."""

        def batches() -> Iterator[list[Any]]:
            for events, last in notification_batches(self.app, None):
                yield events
                if progress is not None:
                    progress.update(last)

        if progress is not None:
            progress.update(0, total=self.app.recorder.max_notification_id() or 0)
        return rebuild(self.index, self.backbone.schedule, batches())

    def rebuild_payments(self) -> int:
        """The payments read model from each resident's full history (issue 17)."""
        from sfr3_ledger.read_models.payments import rebuild as rebuild_payments
        from sfr3_ledger.read_models.payments import residents_in

        residents: dict[str, None] = {}
        for events, _ in notification_batches(self.app, None):
            for rid in residents_in(events):
                residents[rid] = None
        return rebuild_payments(self.backbone.payments_index, residents,
                                self.app.full_history)


class LocalScheduler:
    """Runs each job once a day at its local time in every zone that has a lease."""

    def __init__(self, local_jobs: LocalJobs, *, poll_seconds: float = 30.0) -> None:
        self.jobs = local_jobs
        self.poll_seconds = poll_seconds
        self._thread: PollingThread | None = None

    def tick(self, now: datetime | None = None) -> int:
        """Run what is due at `now`; how many runs were made."""
        now = now or datetime.now(UTC)
        runs = 0
        for zone in self.jobs.index.time_zones():
            local = now.astimezone(ZoneInfo(zone))
            for job, at in RUN_AT.items():
                last = self.jobs.index.last_run(job, zone)
                if local.time() >= at and (last is None or last < local.date()):
                    self.jobs.run(job, local.date(), zone)
                    runs += 1
        return runs

    def start(self) -> LocalScheduler:
        self._thread = PollingThread(self.tick, name="sfr3-scheduler", every=self.poll_seconds,
                                     logger=log,
                                     failure="local scheduler tick failed; next tick retries"
                                     ).start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()


def _print(reports: list[tuple[jobs.RunReport, InlineQueue]], *, quiet: bool = True,
           progress: Progress | None = None) -> None:
    for report, queue in reports:
        if quiet and not report.queued:
            continue
        if progress is not None:
            progress.clear()  # the report line, not over the terminal's progress line
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(queue.outcomes.items())) or "-"
        failed = f", {queue.failures} failed" if queue.failures else ""
        print(f"{report.day}  {report.job:<17} {report.time_zone:<20} "
              f"{report.queued:>4} items: {outcomes}{failed}")


def _payments(app: Any, home: Path) -> Any:
    """The autopay sweep pays through the running `make run` (its stripeService route)."""
    from sfr3_adapters.stripe_service_client import StripeServiceClient
    from sfr3_ledger.payment_service import PaymentService

    key_file = Path(home) / "stripe-service-api-key"
    url = os.environ.get("STRIPE_SERVICE_URL") or \
        f"http://127.0.0.1:{os.environ.get('PORT', '8000')}"
    key = os.environ.get("STRIPE_SERVICE_API_KEY") or (
        key_file.read_text().strip() if key_file.exists() else "")
    if not key:
        return None
    return PaymentService(app, StripeServiceClient(url, key))


def _instant(text: str) -> datetime:
    """An ISO 8601 instant with its offset (`Z` allowed)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("--at needs a UTC offset, e.g. 2027-01-01T12:00:00Z")
    return moment


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sfr3 jobs", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", type=Path,
                        default=Path(os.environ.get("SFR3_HOME") or ".sfr3"))
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run one job (or all) for a day")
    run.add_argument("job", choices=[*jobs.JOBS, "all", *PAYMENT_JOBS])
    run.add_argument("--date", type=date.fromisoformat)
    run.add_argument("--at", type=_instant,
                     help="payment-retries/payment-recovery: the instant (default now)")
    run.add_argument("--time-zone")
    run.add_argument("--resident", action="append",
                     help="only this resident's items (repeatable; the run is not recorded)")
    sim = sub.add_parser("simulate", help="run both jobs for every day of a range")
    sim.add_argument("--from", dest="first", type=date.fromisoformat, required=True)
    sim.add_argument("--to", dest="last", type=date.fromisoformat, required=True)
    sim.add_argument("--time-zone")
    sim.add_argument("--resident", action="append",
                     help="only this resident's items (repeatable; runs are not recorded)")
    sub.add_parser("rebuild", help="rebuild the schedule read model from the event log")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.command == "simulate" and args.last < args.first:
        parser.error("--to must not be before --from")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    from sfr3_dev.backbone import LocalBackbone
    from sfr3_dev.local_stack import home_environment
    from sfr3_ledger import LedgerApplication

    for key, value in home_environment(args.home).items():
        os.environ.setdefault(key, value)
    app = LedgerApplication()
    local = LocalJobs(LocalBackbone(app, args.home), _payments(app, args.home))
    who = frozenset(args.resident) if getattr(args, "resident", None) else None
    if args.command == "rebuild":
        with Progress("rebuilding the schedule read model", unit="notifications") as progress:
            count = local.rebuild(progress)
        print(f"rebuilt the schedule read model from {count} events")
        print(f"rebuilt the payments read model: {local.rebuild_payments()} payments")
        from sfr3_dev.payment_jobs import PaymentWatchFollower
        print(f"rebuilt the payment watch from "
              f"{PaymentWatchFollower(app, args.home).rebuild()} payment events")
        return 0
    if args.command == "run" and args.job in PAYMENT_JOBS:
        from sfr3_dev.payment_jobs import run_from_cli
        return run_from_cli(app, args.home, local.payments, args.job, args.at)
    # The read models first follow the whole ledger (each run would, silently): the long
    # part on a large home that `make run` has not followed.
    with Progress("catching the read models up", unit="events") as progress:
        local.backbone.run_until_caught_up(progress)
    if args.command == "run":
        names = list(jobs.JOBS) if args.job == "all" else [args.job]
        for name in names:
            with Progress(name, unit="items") as progress:
                reports = local.run(name, args.date, args.time_zone, who, progress)
            _print(reports, quiet=False)
        return 0
    span = list(days(args.first, args.last))
    with Progress("simulating", len(span) * len(jobs.JOBS), unit="runs") as progress:
        for day in span:
            for name in jobs.JOBS:
                progress.update(detail=f"{day} {name}")
                _print(local.run(name, day, args.time_zone, who), progress=progress)
                progress.advance()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
