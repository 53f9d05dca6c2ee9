"""Decoding the events table's DynamoDB Stream records into stored events.

Only notification-log items (`k` = "log") carry events for consumers: each holds a run
of one commit's events in notification order, ids `f`, `f`+1, ... `sk`. Heads, chunks,
the sequence counter and tracking items produce no events (chunks repeat the log's
events per aggregate). Subscribe with a Lambda event filter on
`{"dynamodb": {"NewImage": {"k": {"S": ["log"]}}}}` to skip them at no cost.
"""

from __future__ import annotations

import base64
from typing import Any

from eventsourcing.persistence import Notification, StoredEvent

from sfr3_adapters.dynamodb import codec


def _binary(value: dict[str, Any]) -> bytes:
    raw = value["B"]
    # Lambda delivers binary attributes base64-encoded; boto3's streams client, as bytes.
    return bytes(raw) if isinstance(raw, bytes | bytearray) else base64.b64decode(raw)


def _new_image(record: dict[str, Any]) -> dict[str, Any]:
    if "dynamodb" in record:
        return dict(record["dynamodb"].get("NewImage") or {})
    if "NewImage" in record:
        return dict(record["NewImage"] or {})
    return record


def notifications_from_stream_record(record: dict[str, Any]) -> list[Notification]:
    """A stream record (as Lambda receives it, or just its NewImage) as notifications."""
    image = _new_image(record)
    if image.get("k", {}).get("S") != "log" or "b" not in image:
        return []
    first = int(image["f"]["N"])
    return [
        Notification(
            id=first + offset,
            originator_id=event.originator_id,
            originator_version=event.originator_version,
            topic=event.topic,
            state=event.state,
        )
        for offset, event in enumerate(codec.decode(_binary(image["b"])))
    ]


def stored_events_from_stream_record(record: dict[str, Any]) -> list[StoredEvent]:
    """The stored events a stream record carries (each a `Notification`, so the
    notification id is `.id`); empty for items that are not notification-log items."""
    return list(notifications_from_stream_record(record))
