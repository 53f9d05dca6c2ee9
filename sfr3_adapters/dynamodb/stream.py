"""Decoding the events table's DynamoDB Stream records into stored events.

Two kinds of item carry events, and a consumer reads exactly one of them:

* notification-log items (`k` = "log", counter mode only): a run of one commit's events
  in notification order, ids `f`, `f`+1, ... `sk`. Decoded by
  `stored_events_from_stream_record` / `notifications_from_stream_record`; Lambda event
  filter `{"dynamodb": {"NewImage": {"k": {"S": ["log"]}}}}`.
* aggregate event items (`k` = "ev", pk `<ns>#e#<originator id>`, both modes): in
  counter mode a chunk of one commit's events of one aggregate, in stream mode one event.
  Decoded by `aggregate_events_from_stream_record`; Lambda event filter
  `{"dynamodb": {"NewImage": {"k": {"S": ["ev"]}}}}`. This is the only source in stream
  mode, and it works the same in counter mode (chunks hold the same events as the log),
  so consumers can move to it before the table's mode changes.

Heads, the sequence counter and tracking items carry no events. Snapshots live in
`B-snapshots`, which has no stream, so every `ev` item on this stream is events.

Ordering: one partition key's records share a stream shard in write order, and a
Lambda reads a shard in order (parent shards before their children), so one
aggregate's events arrive in version order in practice (AWS documents the order per
item only); there is no order between aggregates, and delivery is at least once.
Consumers are idempotent by (originator id, version), as the backbone's envelope ids
(UUIDv5 of both) and the read models' version guards are.
"""

from __future__ import annotations

import base64
from typing import Any

from eventsourcing.persistence import Notification, StoredEvent

from sfr3_adapters.dynamodb import codec

KIND_LOG = "log"
KIND_EVENTS = "ev"


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
    if image.get("k", {}).get("S") != KIND_LOG or "b" not in image:
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
    """The stored events a notification-log record carries (each a `Notification`, so the
    notification id is `.id`); empty for items that are not notification-log items."""
    return list(notifications_from_stream_record(record))


def aggregate_events_from_stream_record(
    record: dict[str, Any], namespace: str | None = None
) -> list[StoredEvent]:
    """The stored events an aggregate event item carries, in version order (one event in
    stream mode, a commit's chunk in counter mode); empty for every other item, and for
    other applications' items when `namespace` (the application name, lower case) is
    given. No notification ids: consumers key on (originator id, version)."""
    image = _new_image(record)
    if image.get("k", {}).get("S") != KIND_EVENTS or "b" not in image:
        return []
    if namespace is not None and not image["pk"]["S"].startswith(f"{namespace}#e#"):
        return []
    return codec.decode(_binary(image["b"]))
