"""jobsWorker: the jobs queues' consumer (SQS event sources, ReportBatchItemFailures).

Each message is one `WorkItem` (sfr3_ledger.jobs): one resident's share of a job run. The
`Worker` does it against that resident's aggregates and is idempotent per item (charges
under deterministic ids, one late fee per charge, one autopay payment per enrollment and
period under `pay_auto_<enrollment>_<YYYY-MM>`, one reminder per period), so a redelivered
or re-planned item changes nothing.

Two queues feed it: the jobs queue (recurring charges, autopay reminders, late fees) and
the payments queue (the autopay sweep), whose event source's maximum concurrency bounds
how many workers call Stripe at once. Only a sweep item builds the PaymentService (the
stripeService client behind this process's share of Stripe's rate limit,
sfr3_adapters.rate_limit); the other jobs never need Stripe.

Records are processed one by one under Powertools' `BatchProcessor`: a failing record (a
poison message, a conflict that outlived the ledger's retries, Stripe unavailable) is
reported in `batchItemFailures` and only it returns to its queue; after 5 receives SQS
moves it to the jobs DLQ (alarmed).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from sfr3_lambdas import wiring
from sfr3_lambdas.consumers import metrics_for, sqs_batch
from sfr3_lambdas.log_context import function_logger
from sfr3_ledger.jobs import Worker, WorkItem

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("jobsWorker")
metrics = metrics_for("jobsWorker")
processor = BatchProcessor(event_type=EventType.SQS)


# Outcome -> the metric counting it (the rest are no-ops or repeats).
OUTCOME_METRICS = {
    "posted": "RecurringChargesPosted",
    "fined": "LateFeeApplied",
    "charged": "AutopayCharged",
    "declined": "AutopayDeclined",
    "skipped": "AutopaySkipped",
    "reminded": "AutopayRemindersSent",
}


def work(record: SQSRecord) -> str:
    item = WorkItem.from_json(json.loads(record.body))
    payments = wiring.jobs_payment_service() if item.job == "autopay-sweep" else None
    sweeps = wiring.autopay_sweeps() if item.job == "autopay-sweep" else None
    outcome = Worker(wiring.ledger(), wiring.schedule_index(), payments=payments,
                     sweeps=sweeps)(item)
    extra: dict[str, Any] = {"job": item.job, "residentId": item.resident_id,
                             "chargeId": item.charge_id, "outcome": outcome}
    if payments is not None:
        bucket = getattr(payments.provider, "bucket", None)
        if bucket is not None:  # how long this process has waited for Stripe's limit
            extra["rateLimitWaitedSeconds"] = round(bucket.waited_seconds, 3)
    logger.info("job item", extra=extra)
    metric = OUTCOME_METRICS.get(outcome)
    if metric is not None:
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=1)
    return outcome


def handle(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    return sqs_batch(event, work, processor, logger, "job item failed", context)


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
