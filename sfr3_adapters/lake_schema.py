"""The events lake's columns, once: the Glue table (resources/lake.yml) that Firehose converts
records to Parquet with, and the local lake's Parquet files (sfr3_adapters.local_sinks).

One row per integration-event envelope (docs/events.md). `data` is a struct of every field
an envelope may carry; a field absent from an envelope is null, and a field not listed here
is dropped by both writers (Firehose's record format conversion keeps only the Glue
schema's columns), so a new envelope field must be added here and in resources/lake.yml
(tests/backbone/test_lake_schema.py compares the two and the envelope fields).

Types are Hive's, as the Glue table declares them; `arrow_schema()` is their Parquet twin.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

DATA_FIELDS: tuple[tuple[str, str], ...] = (
    ("residentId", "string"),
    ("propertyId", "string"),
    ("state", "string"),
    ("amount", "bigint"),
    ("currency", "string"),
    ("paymentMethod", "string"),
    ("failureReason", "string"),
    ("stripeRef", "string"),
    ("paymentId", "string"),
    ("chargeId", "string"),
    ("chargeType", "string"),
    ("description", "string"),
    ("dueDate", "string"),
    ("lateFeeFor", "string"),
    ("refundId", "string"),
    ("refundRequestId", "string"),
    ("leaseId", "string"),
    ("startDate", "string"),
    ("endDate", "string"),
    ("effectiveFrom", "string"),
    ("enrollmentId", "string"),
    ("chargeDay", "bigint"),
    ("chargeDate", "string"),
    ("period", "string"),
    ("maxAmount", "bigint"),
    ("mandateId", "string"),
    ("methodLabel", "string"),
    ("disputeId", "string"),
    ("creditId", "string"),
    ("reason", "string"),
    ("methodType", "string"),
    ("last4", "string"),
    ("brand", "string"),
    ("actor", "string"),
    ("attempt", "bigint"),
    ("attempts", "bigint"),
    ("retryAt", "string"),
    ("retryable", "boolean"),
    ("action", "string"),
    ("outcome", "string"),
    ("runId", "string"),
    ("day", "string"),
    ("counts", "map<string,bigint>"),
    ("mismatches", "bigint"),
    ("reportKey", "string"),
    ("paymentResidentId", "string"),
    ("balanceEffect", "bigint"),
)

COLUMNS: tuple[tuple[str, str], ...] = (
    ("eventId", "string"),
    ("eventType", "string"),
    ("source", "string"),
    ("timestamp", "string"),
    ("version", "int"),
    ("data", "struct<" + ",".join(f"{n}:{t}" for n, t in DATA_FIELDS) + ">"),
)
# The partition columns (Hive-style directories, not stored in the files).
PARTITION_KEYS: tuple[str, ...] = ("year", "month", "day")

_ARROW = {"string": pa.string(), "bigint": pa.int64(), "int": pa.int32(),
          "boolean": pa.bool_(), "map<string,bigint>": pa.map_(pa.string(), pa.int64())}


def arrow_type(hive: str) -> pa.DataType:
    if hive.startswith("struct<"):
        return pa.struct([pa.field(n, _ARROW[t]) for n, t in DATA_FIELDS])
    return _ARROW[hive]


def arrow_schema() -> pa.Schema:
    return pa.schema([pa.field(name, arrow_type(kind)) for name, kind in COLUMNS])


def _coerce(value: Any, hive: str) -> Any:
    """A JSON value as the column's type, or null when it cannot be one (what Firehose's
    conversion does with a value of the wrong type is to fail the record; here the lake
    keeps the row and loses only the value)."""
    if value is None:
        return None
    if hive in ("bigint", "int"):
        if isinstance(value, bool):
            return int(value)
        try:
            return int(value)
        except (TypeError, ValueError):
            return None
    if hive == "boolean":
        return value if isinstance(value, bool) else None
    if hive.startswith("map<"):
        if not isinstance(value, Mapping):
            return None
        out = [(str(k), _coerce(v, "bigint")) for k, v in value.items()]
        return [(k, v) for k, v in out if v is not None]
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True) if isinstance(value, (dict, list)) else str(value)


def row(envelope: Mapping[str, Any]) -> dict[str, Any]:
    """The lake row of one envelope (unknown data fields dropped, types coerced)."""
    data = envelope.get("data") or {}
    out: dict[str, Any] = {name: _coerce(envelope.get(name), kind)
                           for name, kind in COLUMNS if name != "data"}
    out["data"] = {name: _coerce(data.get(name), kind) for name, kind in DATA_FIELDS}
    return out


def table(envelopes: Sequence[Mapping[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([row(e) for e in envelopes], schema=arrow_schema())
