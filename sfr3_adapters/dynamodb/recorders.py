"""eventsourcing recorders on DynamoDB: the import path the factory, tests and docs use.

The recorders live in one module per concern and are re-exported here:

* `base`: limits, the datastore (client, table, namespace, notification mode), requests,
  paged strongly consistent queries, the transaction writer and its retry rules;
* `aggregate`: events (chunks + head in counter mode, one item per event in stream
  mode) and snapshots;
* `application`: the notification log (sequence counter + log items) and its
  subscription, in counter mode; stream mode keeps none;
* `tracking`: tracking records and the process recorder.

Layout, notification modes and their trade-offs: docs/dynamodb.md.
"""

from __future__ import annotations

from sfr3_adapters.dynamodb.aggregate import DynamoDBAggregateRecorder
from sfr3_adapters.dynamodb.application import (
    DynamoDBApplicationRecorder,
    DynamoDBSubscription,
    _sequence_state,
    _SequenceState,
)
from sfr3_adapters.dynamodb.base import (
    COUNTER,
    ITEM_OVERHEAD_BYTES,
    KIND_CHUNK,
    KIND_HEAD,
    KIND_LOG,
    KIND_SEQUENCE,
    KIND_TRACKING,
    MAX_BLOB_BYTES,
    MAX_ITEM_BYTES,
    MAX_PARTS,
    MAX_SEQUENCE_ATTEMPTS,
    MAX_TRANSACTION_BYTES,
    MAX_TRANSACTION_ITEMS,
    MAX_TRANSIENT_ATTEMPTS,
    NOTIFICATION_MODES,
    PART_SLOTS,
    STREAM,
    TRANSIENT_REASONS,
    CommitTooLargeError,
    DynamoDBDatastore,
    DynamoDBRecorder,
)
from sfr3_adapters.dynamodb.tracking import DynamoDBProcessRecorder, DynamoDBTrackingRecorder

__all__ = [
    "COUNTER",
    "ITEM_OVERHEAD_BYTES",
    "KIND_CHUNK",
    "KIND_HEAD",
    "KIND_LOG",
    "KIND_SEQUENCE",
    "KIND_TRACKING",
    "MAX_BLOB_BYTES",
    "MAX_ITEM_BYTES",
    "MAX_PARTS",
    "MAX_SEQUENCE_ATTEMPTS",
    "MAX_TRANSACTION_BYTES",
    "MAX_TRANSACTION_ITEMS",
    "MAX_TRANSIENT_ATTEMPTS",
    "NOTIFICATION_MODES",
    "PART_SLOTS",
    "STREAM",
    "TRANSIENT_REASONS",
    "CommitTooLargeError",
    "DynamoDBAggregateRecorder",
    "DynamoDBApplicationRecorder",
    "DynamoDBDatastore",
    "DynamoDBProcessRecorder",
    "DynamoDBRecorder",
    "DynamoDBSubscription",
    "DynamoDBTrackingRecorder",
    "_SequenceState",
    "_sequence_state",
]
