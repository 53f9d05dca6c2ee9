"""scheduleProjection: the events table's stream -> the schedule read model.

A second consumer of the same DynamoDB stream as streamProcessor (same filter: only
notification-log items carry events). Each record's stored events are decoded with the
ledger application's mapper and applied by `ScheduleProjection`: lease events rewrite the
resident's lease row (loaded through the ledger application, guarded by version), RENT
charges of leased residents add a late-fee candidate, late fees remove theirs, and autopay
enrollment events (enrolled, changed, paused, resumed, cancelled) rewrite the resident's
autopay row and charge-day row (loaded likewise, guarded by version). Every
write is idempotent, so a redelivered record rewrites the same rows.

Why a function of its own rather than a step of streamProcessor (docs/architecture.md):
the read model and the event backbone fail independently (a Firehose or EventBridge
outage must not hold back tomorrow's due list, nor a read-model throttle the bus), each
has its own retries, DLQ and lag alarm, and the roles stay narrow (streamProcessor
remains the only publisher; only this function and the jobs write the schedule table).

Order matters (a lease before its rent): records are applied in stream order and the
first failure stops the batch; it and everything after it are reported as failed, so
Lambda retries from there (bisecting on errors, then the DLQ after 10 attempts).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from sfr3_adapters.dynamodb.stream import stored_events_from_stream_record
from sfr3_lambdas import wiring
from sfr3_ledger.read_models.schedule import ScheduleIndex, ScheduleProjection, rebuild

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from sfr3_ledger import LedgerApplication

logger = Logger(service="scheduleProjection")
_lock = threading.Lock()
_projection: ScheduleProjection | None = None


def projection() -> ScheduleProjection:
    global _projection
    with _lock:
        if _projection is None:
            app = wiring.ledger()
            _projection = ScheduleProjection(wiring.schedule_index(), app.find_lease,
                                             load_autopay=app.find_autopay)
        return _projection


def reset() -> None:
    global _projection
    with _lock:
        _projection = None


def handle(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    app = wiring.ledger()
    project = projection()
    records = event.get("Records", [])
    applied = 0
    for position, record in enumerate(records):
        try:
            events = [app.mapper.to_domain_event(s)
                      for s in stored_events_from_stream_record(record)]
            applied += project.process(events)
        except Exception as exc:
            failed = [str(r["dynamodb"]["SequenceNumber"]) for r in records[position:]]
            logger.exception("schedule projection failed; retrying from this record",
                             extra={"sequenceNumber": failed[0], "error": repr(exc)})
            return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
    logger.info("batch projected", extra={"records": len(records), "applied": applied})
    return {"batchItemFailures": []}


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle(event, context)


def notification_batches(app: LedgerApplication, page: int = 500) -> Iterator[list[Any]]:
    """Every stored domain event of the application's notification log, in order."""
    position: int | None = None
    while True:
        notifications = app.recorder.select_notifications(
            start=position, limit=page, inclusive_of_start=position is None)
        if not notifications:
            return
        yield [app.mapper.to_domain_event(n) for n in notifications]
        position = notifications[-1].id


def rebuild_index(app: LedgerApplication, index: ScheduleIndex) -> int:
    """Drop and rebuild the read model from the whole event log (docs/operations.md).

    Run it with the stream consumer paused (disable its event source mapping), then
    re-enable it: events that arrive meanwhile are applied again, harmlessly."""
    return rebuild(index, ScheduleProjection(index, app.find_lease,
                                             load_autopay=app.find_autopay),
                   notification_batches(app))
