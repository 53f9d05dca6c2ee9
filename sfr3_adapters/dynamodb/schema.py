"""The tables, as boto3 `create_table` arguments: the single source of truth.

The deployment's CloudFormation declares the same tables (a test compares them), so
anything about key schema, streams or billing changes here first.

Two tables per base name `B`:

* `B` (events): every item the recorders write for the "events" purpose: per-aggregate
  event chunks and heads, the notification log, the sequence counter and tracking
  records. One table so that one `TransactWriteItems` covers a whole commit; its stream
  (NEW_IMAGE) carries the notification-log items (counter mode) and the aggregates'
  event items (both modes) the event backbone decodes (see
  `sfr3_adapters.dynamodb.stream`). The same table serves both notification modes.
* `B-snapshots`: snapshots, one item per snapshot, apart from the events so that a
  snapshot can never overwrite or be mistaken for an event, and so that snapshots
  (a cache, rebuildable from events) stay out of the events stream.

Both have the same key: `pk` (S, partition) and `sk` (N, sort). No GSIs: a GSI is only
eventually consistent, and every read the recorder makes must be strongly consistent.
Point-in-time recovery is a table setting, not a `create_table` argument: the
deployment turns it on (`POINT_IN_TIME_RECOVERY`), local runs do not need it.
"""

from __future__ import annotations

from typing import Any

PK = "pk"
SK = "sk"
POINT_IN_TIME_RECOVERY = True
SNAPSHOTS_PURPOSE = "snapshots"


def table_name(base_name: str, purpose: str = "events") -> str:
    """`B` for events, `B-<purpose>` for anything else (snapshots)."""
    return base_name if purpose == "events" else f"{base_name}-{purpose}"


def _table(name: str, *, stream: bool) -> dict[str, Any]:
    definition: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [
            {"AttributeName": PK, "KeyType": "HASH"},
            {"AttributeName": SK, "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": PK, "AttributeType": "S"},
            {"AttributeName": SK, "AttributeType": "N"},
        ],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if stream:
        definition["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": "NEW_IMAGE",
        }
    return definition


def table_definition(base_name: str, purpose: str = "events") -> dict[str, Any]:
    return _table(table_name(base_name, purpose), stream=purpose == "events")


def table_definitions(base_name: str) -> list[dict[str, Any]]:
    """`create_table` kwargs for every table the deployment declares."""
    return [
        table_definition(base_name, "events"),
        table_definition(base_name, SNAPSHOTS_PURPOSE),
    ]
