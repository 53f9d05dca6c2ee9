"""EventBridge publisher: envelopes as events on the bus, `detail-type` = eventType.

PutEvents takes at most 10 entries (and 256 KiB) per call and may accept some entries
while rejecting others; only the rejected entries are sent again, with backoff. Whatever
is still rejected after the last attempt is returned to the caller, never dropped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sfr3_adapters.aws_clients import client as aws_client
from sfr3_ledger.integration_events import Envelope

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024


def batches(
    items: Sequence[Any], size: int, max_bytes: int, weigh: Callable[[Any], int]
) -> Iterator[list[Any]]:
    """Consecutive runs of at most `size` items and `max_bytes` total weight."""
    batch: list[Any] = []
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


class EventBridgePublisher:
    def __init__(
        self,
        bus_name: str,
        *,
        client: Any = None,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bus_name = bus_name
        self._client = client
        self.max_attempts = max_attempts
        self._sleep = sleep

    @property
    def client(self) -> Any:
        return self._client or aws_client("events")

    def entry(self, envelope: Envelope) -> dict[str, Any]:
        return {
            "EventBusName": self.bus_name,
            "Source": envelope["source"],
            "DetailType": envelope["eventType"],
            "Detail": json.dumps(envelope, separators=(",", ":")),
            "Time": datetime.fromisoformat(str(envelope["timestamp"]).replace("Z", "+00:00")),
        }

    def publish(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        failed: list[Envelope] = []
        weigh = lambda e: len(json.dumps(e)) + 512  # noqa: E731 - detail plus entry overhead
        for batch in batches(envelopes, MAX_ENTRIES, MAX_REQUEST_BYTES, weigh):
            failed.extend(self._put(batch))
        return failed

    def _put(self, batch: list[Envelope]) -> list[Envelope]:
        pending = batch
        for attempt in range(self.max_attempts):
            if attempt:
                self._sleep(backoff(attempt))
            try:
                response = self.client.put_events(Entries=[self.entry(e) for e in pending])
            except (ClientError, BotoCoreError):
                continue  # the whole call failed: every entry is still pending
            results = response.get("Entries", [])
            pending = [e for e, r in zip(pending, results, strict=True) if r.get("ErrorCode")]
            if not pending:
                return []
        return pending
