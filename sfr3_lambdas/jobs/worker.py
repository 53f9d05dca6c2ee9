"""jobsWorker: the jobs queue's consumer (SQS event source, ReportBatchItemFailures).

Each message is one `WorkItem` (sfr3_ledger.jobs): one resident's share of a job run. The
`Worker` does it against that resident's aggregates and is idempotent per item (charges
under deterministic ids, one late fee per charge), so a redelivered or re-planned item
changes nothing. Records are processed one by one under Powertools' `BatchProcessor`: a
failing record (a poison message, a conflict that outlived the ledger's retries) is
reported in `batchItemFailures` and only it returns to the queue; after 5 receives SQS
moves it to the jobs DLQ (alarmed).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from sfr3_lambdas import wiring
from sfr3_ledger.jobs import Worker, WorkItem

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="jobsWorker")
metrics = Metrics(
    namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "SFR3Payments"),
    service="jobsWorker",
)
processor = BatchProcessor(event_type=EventType.SQS)


def work(record: SQSRecord) -> str:
    item = WorkItem.from_json(json.loads(record.body))
    outcome = Worker(wiring.ledger(), wiring.schedule_index())(item)
    logger.info("job item", extra={"job": item.job, "residentId": item.resident_id,
                                   "chargeId": item.charge_id, "outcome": outcome})
    if outcome in ("posted", "fined"):
        name = "LateFeeApplied" if outcome == "fined" else "RecurringChargesPosted"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return outcome


def handle(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=work, processor=processor, context=context)
    for exc_info in processor.exceptions:
        logger.error("job item failed", extra={"error": repr(exc_info[1])})
    return response  # type: ignore[no-any-return]


@metrics.log_metrics
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
