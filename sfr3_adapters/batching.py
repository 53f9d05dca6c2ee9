"""AWS batch APIs that accept part of a call: EventBridge PutEvents, Firehose PutRecordBatch.

Both take a bounded number of entries and bytes per call and answer per entry; the
mechanism is the same, so it lives once here: cut into batches, send, re-send only the
rejected entries with backoff, and hand back whatever is still rejected (never drop it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

T = TypeVar("T")


def batches(
    items: Sequence[T], size: int, max_bytes: int, weigh: Callable[[T], int]
) -> Iterator[list[T]]:
    """Consecutive runs of at most `size` items and `max_bytes` total weight."""
    batch: list[T] = []
    weight = 0
    for item in items:
        w = weigh(item)
        if batch and (len(batch) >= size or weight + w > max_bytes):
            yield batch
            batch, weight = [], 0
        batch.append(item)
        weight += w
    if batch:
        yield batch


def backoff(attempt: int) -> float:
    return float(min(0.05 * 2**attempt, 2.0))


def send_with_retries(
    batch: list[T],
    send: Callable[[list[T]], list[dict[str, Any]]],
    *,
    max_attempts: int,
    sleep: Callable[[float], None],
) -> list[T]:
    """Send `batch`; `send` answers one result per entry, an `ErrorCode` marking a rejection.

    A call that fails as a whole leaves every entry pending. Returns the entries still
    rejected after the last attempt.
    """
    pending = batch
    for attempt in range(max_attempts):
        if attempt:
            sleep(backoff(attempt))
        try:
            results = send(pending)
        except (ClientError, BotoCoreError):
            continue
        pending = [e for e, r in zip(pending, results, strict=True) if r.get("ErrorCode")]
        if not pending:
            return []
    return pending
