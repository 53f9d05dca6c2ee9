"""The events table's stream -> the finance read models (run by scheduleProjection's
handler, sfr3_lambdas/jobs/read_models.py: the stream's second reader feeds every read
model): settled facts by day (sfr3_ledger/read_models/settled_by_day.py) and disputes
(read_models/disputes.py). A
dispute's first projection mails finance (`FINANCE_EMAIL`); the read model's first insert is
the guard, so a redelivered record alerts no one again. (`ChargebackReceived` is counted by
the stream processor from the `dispute.opened` envelope.)
Records are applied in order; the first failure and everything after it are reported as
failed (Lambda retries from there, then the DLQ).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from sfr3_adapters.dynamodb.stream import stored_events_from_stream_record
from sfr3_lambdas import finance_wiring, wiring
from sfr3_ledger.dispute_alerts import OpenedAlert
from sfr3_ledger.read_models.disputes import DisputesProjection
from sfr3_ledger.read_models.settled_by_day import SettledFactsProjection

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="scheduleProjection")
_lock = threading.Lock()
_projections: list[Any] = []


def projections() -> list[Any]:
    with _lock:
        if not _projections:
            alert = OpenedAlert(finance_wiring.mailer(), finance_wiring.finance_email())
            _projections.extend([SettledFactsProjection(finance_wiring.settled_facts()),
                                 DisputesProjection(finance_wiring.disputes_index(), alert)])
        return list(_projections)


def reset() -> None:
    with _lock:
        _projections.clear()


def handle(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    app = wiring.ledger()
    records = event.get("Records", [])
    applied = 0
    for position, record in enumerate(records):
        try:
            events = [app.mapper.to_domain_event(s)
                      for s in stored_events_from_stream_record(record)]
            for projection in projections():
                applied += projection.process(events)
        except Exception as exc:
            failed = [str(r["dynamodb"]["SequenceNumber"]) for r in records[position:]]
            logger.exception("finance projection failed; retrying from this record",
                             extra={"sequenceNumber": failed[0], "error": repr(exc)})
            return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
    logger.info("batch projected", extra={"records": len(records), "applied": applied})
    return {"batchItemFailures": []}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)
