"""EventBridge publisher: envelopes as events on the bus, `detail-type` = eventType.

PutEvents takes at most 10 entries (and 256 KiB) per call and may accept some entries
while rejecting others; only the rejected entries are sent again, with backoff. Whatever
is still rejected after the last attempt is returned to the caller, never dropped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sfr3_adapters.aws_clients import client as aws_client
from sfr3_adapters.batching import batches, send_with_retries
from sfr3_ledger.integration_events import Envelope

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024


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
        return send_with_retries(
            batch,
            lambda pending: self.client.put_events(Entries=[self.entry(e) for e in pending]).get(
                "Entries", []
            ),
            max_attempts=self.max_attempts,
            sleep=self._sleep,
        )
