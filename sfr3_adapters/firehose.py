"""Firehose lake writer: one JSON line per envelope into the events-lake delivery stream.

PutRecordBatch takes at most 500 records and 4 MiB per call and reports failures per
record; only the failed records are sent again. Firehose partitions the objects by arrival
day (the stream's prefix `events/year=…/month=…/day=…/`); the newline makes every object
a JSON-lines file that the Glue table (JsonSerDe) reads as one row per envelope.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from sfr3_adapters.aws_clients import client as aws_client
from sfr3_adapters.batching import batches, send_with_retries
from sfr3_ledger.integration_events import Envelope

MAX_RECORDS = 500
MAX_REQUEST_BYTES = 4 * 1024 * 1024


def json_line(envelope: Envelope) -> bytes:
    return (json.dumps(envelope, separators=(",", ":"), sort_keys=True) + "\n").encode()


class FirehoseLakeWriter:
    def __init__(
        self,
        stream_name: str,
        *,
        client: Any = None,
        max_attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.stream_name = stream_name
        self._client = client
        self.max_attempts = max_attempts
        self._sleep = sleep

    @property
    def client(self) -> Any:
        return self._client or aws_client("firehose")

    def write(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        failed: list[Envelope] = []
        weigh = lambda e: len(json_line(e))  # noqa: E731
        for batch in batches(envelopes, MAX_RECORDS, MAX_REQUEST_BYTES, weigh):
            failed.extend(self._put(batch))
        return failed

    def _put(self, batch: list[Envelope]) -> list[Envelope]:
        return send_with_retries(
            batch,
            lambda pending: self.client.put_record_batch(
                DeliveryStreamName=self.stream_name,
                Records=[{"Data": json_line(e)} for e in pending],
            ).get("RequestResponses", []),
            max_attempts=self.max_attempts,
            sleep=self._sleep,
        )
