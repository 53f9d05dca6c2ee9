"""jobsScheduler: one job run per (job, time zone, day), invoked by EventBridge Scheduler.

Input (the schedule's `Input`, or a manual `aws lambda invoke` to re-run a day):

    {"job": "recurring-charges" | "autopay-sweep" | "autopay-reminders" | "late-fees",
     "timeZone": "<IANA zone>" | "*",
     "date": "YYYY-MM-DD"}          # optional; default: today in that zone

`"*"` runs every zone that has a lease or a not-cancelled autopay enrollment
(`index.time_zones()`), each for its own today. Planning reads the schedule read model
only; the items go to SQS in batches, and the run is recorded after everything was queued
(sfr3_ledger.jobs.run), so a failed invocation is simply retried: re-planning the same day
queues the same items, and the workers are idempotent.

The jobs that pay through Stripe (`PAYMENT_JOBS`: the autopay sweep) queue on the payments
queue, whose worker concurrency is capped to share Stripe's rate limit
(sfr3_adapters.rate_limit); the others queue on the jobs queue, so posting rent is never
slowed down by Stripe's limit.

Zones with leases or enrollments but no schedule of their own (a lease's zone override outside
`custom.jobs.timeZones`) are logged and counted (`UnscheduledTimeZones`, alarmed): their
rent would otherwise never be posted. `SCHEDULED_TIME_ZONES` (comma-separated) lists the
zones that have schedules.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from sfr3_lambdas import wiring
from sfr3_lambdas.consumers import metrics_for
from sfr3_lambdas.log_context import function_logger
from sfr3_ledger import jobs
from sfr3_ledger.schedules import check_time_zone, local_date

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("jobsScheduler")
metrics = metrics_for("jobsScheduler")
ALL_ZONES = "*"
PAYMENT_JOBS: frozenset[str] = frozenset({"autopay-sweep"})


class BadJobInput(ValueError):
    """The invocation's input is not a job run (a misconfigured schedule or manual call)."""


def parse(event: dict[str, Any]) -> tuple[jobs.JobName, str, date | None]:
    if not isinstance(event, dict):
        raise BadJobInput("input must be a JSON object")
    job = event.get("job")
    if job not in jobs.JOBS:
        raise BadJobInput(f"job must be one of {', '.join(jobs.JOBS)}")
    zone = event.get("timeZone")
    if zone != ALL_ZONES:
        try:
            zone = check_time_zone(zone)  # type: ignore[arg-type]
        except Exception as exc:
            raise BadJobInput(f"timeZone: {exc}") from None
    raw = event.get("date")
    day = None
    if raw is not None:
        try:
            day = date.fromisoformat(str(raw))
        except ValueError:
            raise BadJobInput("date must be YYYY-MM-DD") from None
    return job, str(zone), day  # type: ignore[return-value]


def scheduled_zones() -> set[str]:
    return {z.strip() for z in os.environ.get("SCHEDULED_TIME_ZONES", "").split(",") if z.strip()}


def run(event: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    job, zone, day = parse(event)
    index = wiring.schedule_index()
    queue = wiring.payments_queue() if job in PAYMENT_JOBS else wiring.work_queue()
    indexed = index.time_zones() if zone == ALL_ZONES else None
    zones = indexed if indexed is not None else [zone]
    at = now or datetime.now(UTC)
    reports = []
    for each in zones:
        run_day = day or local_date(at, each)
        report = jobs.run(index, queue, job, each, run_day,
                          sweeps=wiring.autopay_sweeps() if job == "autopay-sweep" else None)
        reports.append({"job": job, "timeZone": each, "date": run_day.isoformat(),
                        "from": report.first.isoformat(), "queued": report.queued})
        metrics.add_metric(name="JobItemsQueued", unit=MetricUnit.Count, value=report.queued)
    unscheduled = _unscheduled(indexed)
    logger.info("job run", extra={"runs": reports, "unscheduled": unscheduled})
    return {"runs": reports, "unscheduledTimeZones": unscheduled}


def _unscheduled(indexed: list[str] | None) -> list[str]:
    """Zones with leases that no schedule fires for (one Query; skipped without the list)."""
    configured = scheduled_zones()
    if not configured:
        return []
    zones = indexed if indexed is not None else wiring.schedule_index().time_zones()
    missing = sorted(set(zones) - configured)
    if missing:
        logger.warning("leases or enrollments in time zones without a schedule",
                       extra={"zones": missing})
    metrics.add_metric(name="UnscheduledTimeZones", unit=MetricUnit.Count, value=len(missing))
    return missing


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run(event)
