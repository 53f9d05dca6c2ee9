"""Finance's scheduled jobs (EventBridge Scheduler, resources/reconciliation.yml):

- `{"job": "reconciliation", "day"?: "YYYY-MM-DD"}` at 02:00 UTC: reconcile the previous
  UTC day (or `day`) against Stripe's balance transactions (sfr3_ledger/reconciliation_job.py),
  write the report to the reports bucket and answer the counts. `ReconciliationMismatch`
  by type is counted by the stream processor from the run's `reconciliation.completed`
  envelope (sfr3_adapters/payment_metrics.py; its alarm tells finance of any);
- `{"job": "dispute-reminders"}` at 09:00 UTC: remind finance of disputes whose evidence is
  due soon and not submitted (sfr3_ledger/dispute_alerts.py).

Both are idempotent per day: a retried or re-run invocation writes the same report and
marks, heals and reminds nothing twice. A failure raises, so EventBridge Scheduler retries
and finally sends the event to its DLQ (alarmed).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sfr3_lambdas import finance_wiring, wiring
from sfr3_lambdas.log_context import function_logger
from sfr3_ledger.dispute_alerts import DisputeReminders
from sfr3_ledger.reconciliation_job import Reconciler

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("financeJobs")


def reconcile(day: date) -> dict[str, Any]:
    result = Reconciler(wiring.ledger(), wiring.payment_service(), wiring.provider(),
                        finance_wiring.settled_facts(), finance_wiring.reports_store()).run(day)
    logger.info("reconciled", extra={"day": day.isoformat(), "runId": result.run_id,
                                     "counts": result.counts, "healed": len(result.healed),
                                     "listCalls": result.list_calls})
    return {"day": day.isoformat(), "runId": result.run_id, "counts": result.counts,
            "mismatches": result.mismatches, "healed": result.healed,
            "report": result.summary_key}


def remind(now: datetime) -> dict[str, Any]:
    email = finance_wiring.finance_email()
    if not email:
        logger.warning("FINANCE_EMAIL is not set: no dispute reminders")
        return {"sent": []}
    sent = DisputeReminders(finance_wiring.disputes_index(), wiring.provider(),
                            finance_wiring.mailer(), finance_wiring.alert_log(),
                            email).run(now)
    return {"sent": sent}


def handle(event: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    job = event.get("job")
    if job == "reconciliation":
        raw = event.get("day")
        day = date.fromisoformat(str(raw)) if raw else now.date() - timedelta(days=1)
        return reconcile(day)
    if job == "dispute-reminders":
        return remind(now)
    raise ValueError(f"unknown finance job {job!r}")


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event)
