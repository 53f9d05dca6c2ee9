"""Which envelopes each sink already accepted, in DynamoDB: a redelivered stream batch
publishes nothing new.

Items live in the Powertools idempotency table (key `id`, TTL attribute `expiration`) as
`published#<sink>#<eventId>`. They are written only *after* the sink accepted the
envelope, so a crash in between republishes (same eventId: consumers dedupe) rather than
loses. Stream records are redelivered for at most 24 hours; items expire after 7 days.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from sfr3_adapters.aws_clients import client as aws_client

TTL_SECONDS = 7 * 24 * 3600
MAX_GET = 100
MAX_WRITE = 25


class DynamoDBPublishedLog:
    def __init__(self, table: str, *, client: Any = None) -> None:
        self.table = table
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws_client("dynamodb")

    @staticmethod
    def key(sink: str, event_id: str) -> str:
        return f"published#{sink}#{event_id}"

    def delivered(self, sink: str, event_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        ids = list(dict.fromkeys(event_ids))
        for start in range(0, len(ids), MAX_GET):
            keys: list[dict[str, Any]] = [
                {"id": {"S": self.key(sink, i)}} for i in ids[start : start + MAX_GET]
            ]
            request: dict[str, Any] = {
                self.table: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "id"}
            }
            for attempt in range(10):
                response = self.client.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self.table, []):
                    found.add(item["id"]["S"].rsplit("#", 1)[1])
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                time.sleep(0.05 * (attempt + 1))
            else:
                raise RuntimeError("published log: keys left unprocessed")
        return found

    def mark_delivered(self, sink: str, event_ids: Sequence[str]) -> None:
        expires = str(int(time.time()) + TTL_SECONDS)
        ids = list(dict.fromkeys(event_ids))
        for start in range(0, len(ids), MAX_WRITE):
            writes: list[dict[str, Any]] = [
                {
                    "PutRequest": {
                        "Item": {"id": {"S": self.key(sink, i)}, "expiration": {"N": expires}}
                    }
                }
                for i in ids[start : start + MAX_WRITE]
            ]
            request: dict[str, Any] = {self.table: writes}
            for attempt in range(10):
                response = self.client.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}
                if not request:
                    break
                time.sleep(0.05 * (attempt + 1))
            else:
                raise RuntimeError("published log: items left unprocessed")
