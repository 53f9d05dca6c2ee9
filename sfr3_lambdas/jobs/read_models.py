"""scheduleProjection's handler: the events stream into every read model (the schedule
read model, the finance ones and the payment watch of issue 13), in one consumer.

DynamoDB advises at most two readers per stream shard (more are throttled); the stream
processor is one, this is the other. Each projection applies the batch in order and
reports the first record it could not apply; the batch answer is the earliest of those
and everything after it, so Lambda retries from there. Re-applying records a projection
had already applied writes the same rows (every projection is idempotent). The step each
projection shares is sfr3_lambdas/jobs/stream_projection.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sfr3_lambdas.jobs import finance_projection, payments_projection, projection, retries
from sfr3_lambdas.jobs.stream_projection import decoded_once, failures_from, sequence_number
from sfr3_lambdas.log_context import function_logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("scheduleProjection")


def handle(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    records = event.get("Records", [])
    order = {sequence_number(r): n for n, r in enumerate(records)}
    first = len(records)
    with decoded_once():  # each record decoded once for every projection
        for project in (projection.handle, finance_projection.handle,
                        payments_projection.handle, retries.handle_projection):
            failed = project(event, context)["batchItemFailures"]
            if failed:
                first = min(first, min(order[f["itemIdentifier"]] for f in failed))
    return failures_from(records, first)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
