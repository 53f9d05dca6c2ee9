"""The events stream into the payments read model (issue 17), one of the projections the
stream's second reader runs (sfr3_lambdas/jobs/read_models.py).

Each record's stored events are decoded with the ledger application's mapper and applied
by `PaymentsProjection` (sfr3_ledger/read_models/payments.py): the payments they name are
rewritten from the resident's current ledger, guarded by version, and the resident's seen
version is advanced. Idempotent, so a redelivered record writes nothing new. Without
`PAYMENTS_INDEX_TABLE` (no read model deployed) it applies nothing. As the other
projections: the first failing record and everything after it are reported failed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from sfr3_adapters.dynamodb.stream import stored_events_from_stream_record
from sfr3_lambdas import wiring
from sfr3_ledger.read_models.payments import PaymentsProjection

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="scheduleProjection")
_lock = threading.Lock()
_projection: PaymentsProjection | None = None


def projection() -> PaymentsProjection | None:
    global _projection
    with _lock:
        index = wiring.payments_index()
        if _projection is None and index is not None:
            app = wiring.ledger()
            _projection = PaymentsProjection(index, app.ledger, app.full_history)
        return _projection


def reset() -> None:
    global _projection
    with _lock:
        _projection = None


def handle(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    project = projection()
    records = event.get("Records", [])
    if project is None:
        return {"batchItemFailures": []}
    app = wiring.ledger()
    written = 0
    for position, record in enumerate(records):
        try:
            events = [app.mapper.to_domain_event(s)
                      for s in stored_events_from_stream_record(record)]
            written += project.process(events)
        except Exception as exc:
            failed = [str(r["dynamodb"]["SequenceNumber"]) for r in records[position:]]
            logger.exception("payments projection failed; retrying from this record",
                             extra={"sequenceNumber": failed[0], "error": repr(exc)})
            return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}
    logger.info("payments projected", extra={"records": len(records), "rows": written})
    return {"batchItemFailures": []}
