"""What the SQS-fed Lambdas and the metric-emitting ones share (Powertools, configured once).

* `metrics_for(service)`: Powertools `Metrics` in the project's namespace
  (`POWERTOOLS_METRICS_NAMESPACE`, default SFR3Payments), so every function's EMF lands in
  the namespace the alarms watch (resources/alarms.yml).
* `sqs_batch(...)`: Powertools' `BatchProcessor` over an SQS batch with
  ReportBatchItemFailures: each record is handled on its own, a failing one is reported in
  `batchItemFailures` (only it returns to its queue, then its DLQ after the queue's receive
  count), and each failure is logged with the consumer's own message.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics

if TYPE_CHECKING:  # imported by `sqs_batch` when a batch comes: a function that only
    # emits metrics (the webhook's HTTP path) never pays for the batch utility.
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord


def metrics_for(service: str) -> Metrics:
    return Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "SFR3Payments"),
                   service=service)


def sqs_batch(event: dict[str, Any], record_handler: Callable[[SQSRecord], Any],
              processor: BatchProcessor, logger: Logger, failed: str,
              context: Any = None) -> dict[str, Any]:
    """The batch's partial response; `failed` is the log message for each failed record."""
    from aws_lambda_powertools.utilities.batch import process_partial_response

    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context)
    for exc_info in processor.exceptions:
        logger.error(failed, extra={"error": repr(exc_info[1])})
    return dict(response)
