"""The step every read model's stream consumer shares: DynamoDB stream records -> stored
events -> domain events -> one projection, in order, with partial batch failures.

The stream's second reader (sfr3_lambdas/jobs/read_models.py) runs each read model's
projection over the same batch. Each applies the records in stream order and stops at its
first failure, reporting that record and everything after it (a lease before its rent:
order matters), so Lambda retries from there (bisecting on errors, then the DLQ). Every
projection is idempotent, so a record applied again writes the same rows.

Not Powertools' `BatchProcessor`: it processes every record whatever failed before, and a
projection must not apply a record past one it could not apply.

`decoded_once()` (the second reader wraps its batch in it) decodes each record once for all
the projections: decoding (decompression, decryption) is the same work for each of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from typing import Any

from sfr3_adapters.dynamodb.stream import stored_events_from_stream_record
from sfr3_lambdas import wiring
from sfr3_lambdas.log_context import function_logger

logger = function_logger("scheduleProjection")
Process = Callable[[Sequence[Any]], int]
_decoded: ContextVar[dict[str, list[Any]] | None] = ContextVar("decoded", default=None)


def sequence_number(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["SequenceNumber"])


def failures_from(records: Sequence[dict[str, Any]], position: int) -> dict[str, Any]:
    """The batch answer that retries from `records[position]` on."""
    return {"batchItemFailures": [{"itemIdentifier": sequence_number(r)}
                                  for r in records[position:]]}


@contextlib.contextmanager
def decoded_once() -> Iterator[None]:
    """Within it, a record's domain events are decoded once, whoever asks again."""
    token = _decoded.set({})
    try:
        yield
    finally:
        _decoded.reset(token)


def domain_events(record: dict[str, Any]) -> list[Any]:
    """The record's stored events, decoded with the ledger application's own mapper (so
    compression and encryption keep working)."""
    cache = _decoded.get()
    key = sequence_number(record)
    if cache is not None and key in cache:
        return cache[key]
    app = wiring.ledger()
    events = [app.mapper.to_domain_event(s) for s in stored_events_from_stream_record(record)]
    if cache is not None:
        cache[key] = events
    return events


def project_in_order(event: dict[str, Any], process: Process, name: str) -> dict[str, Any]:
    """Apply the batch's records to `process` in order; the first failure and everything
    after it are the batch's failures. `name` says which read model in the logs."""
    records = event.get("Records", [])
    applied = 0
    for position, record in enumerate(records):
        try:
            applied += process(domain_events(record))
        except Exception as exc:
            answer = failures_from(records, position)
            logger.exception(f"{name} projection failed; retrying from this record",
                             extra={"sequenceNumber": sequence_number(record),
                                    "error": repr(exc)})
            return answer
    logger.info("batch projected", extra={"projection": name, "records": len(records),
                                          "applied": applied})
    return {"batchItemFailures": []}
