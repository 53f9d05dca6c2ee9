"""The events table's stream -> the schedule read model (run by scheduleProjection's
handler, sfr3_lambdas/jobs/read_models.py, the same stream's second reader beside
streamProcessor; same filter: only notification-log items carry events).

Each record's stored events are decoded with the ledger application's mapper and applied
by `ScheduleProjection`: lease events rewrite the resident's lease row (loaded through
the ledger application, guarded by version), RENT charges of leased residents add a
late-fee candidate, late fees remove theirs, and autopay enrollment events (enrolled,
changed, paused, resumed, cancelled) rewrite the resident's autopay row and charge-day
row (loaded likewise, guarded by version). Every write is idempotent, so a redelivered
record rewrites the same rows.

Why a function apart from streamProcessor (docs/architecture.md):
the read model and the event backbone fail independently (a Firehose or EventBridge
outage must not hold back tomorrow's due list, nor a read-model throttle the bus), each
has its own retries, DLQ and lag alarm, and the roles stay narrow (streamProcessor
remains the only publisher; only this function and the jobs write the schedule table).

Order matters (a lease before its rent): records are applied in stream order and the
first failure stops the batch (sfr3_lambdas/jobs/stream_projection.py); it and everything
after it are reported as failed, so Lambda retries from there (bisecting on errors, then
the DLQ after 10 attempts).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sfr3_lambdas import wiring
from sfr3_lambdas.jobs.stream_projection import project_in_order
from sfr3_ledger.read_models.schedule import ScheduleIndex, ScheduleProjection, rebuild

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from sfr3_ledger import LedgerApplication

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
    """The schedule read model's share of the stream's second reader (read_models.py)."""
    return project_in_order(event, projection().process, "schedule")


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
