"""A `Payment` as JSON, for the payments read model's rows (SQLite and DynamoDB alike)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import cattrs

from sfr3_ledger.records import Payment

_converter = cattrs.Converter()
_converter.register_unstructure_hook(datetime, lambda d: d.isoformat())
_converter.register_structure_hook(datetime, lambda v, _: datetime.fromisoformat(v))


def dumps(payment: Payment) -> str:
    return json.dumps(_converter.unstructure(payment), separators=(",", ":"), sort_keys=True)


def loads(text: str) -> Payment:
    data: Any = json.loads(text)
    payment: Payment = _converter.structure(data, Payment)
    return payment


def sort_key(payment: Payment) -> str:
    """`<initiated_at UTC, fixed width>#<payment_id>`: sorts as the history does."""
    return position_key(payment.initiated_at, payment.payment_id)


def stamp_key(moment: datetime) -> str:
    """An instant as fixed-width UTC text (sorts as time does)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def position_key(moment: datetime, payment_id: str) -> str:
    return f"{stamp_key(moment)}#{payment_id}"
