"""JSON transcodings so aggregates holding attrs records and dates can be snapshotted.

The library's JSONTranscoder calls `encode` for types it does not know, then encodes the
result recursively, so nested dates and records need no special care here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import attrs
from eventsourcing.persistence import JSONTranscoder, Transcoding

from sfr3_ledger.records import (
    Charge,
    Credit,
    Dispute,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    RefundRequest,
)


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class AttrsAsDict(Transcoding):
    """Shallow field dict; converters on the class restore enums on decode."""

    def __init__(self, cls: type[Any]) -> None:
        self.type = cls
        self.name = f"sfr3.{cls.__name__}"
        self._names = [f.name for f in attrs.fields(cls)]

    def encode(self, obj: Any) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._names}

    def decode(self, data: dict[str, Any]) -> Any:
        return self.type(**data)


def register_ledger_transcodings(transcoder: JSONTranscoder) -> None:
    from sfr3_ledger.late_fees import LateFeePolicy
    from sfr3_ledger.leases import LeaseTerms, RecurringCharge
    from sfr3_ledger.mandate_acceptance import MandateAcceptance

    transcoder.register(DateAsISO())
    for cls in (Charge, Credit, Payment, Dispute, PaymentMethod, RefundRequest,
                PaymentAttempt, LeaseTerms, RecurringCharge, LateFeePolicy,
                MandateAcceptance):
        transcoder.register(AttrsAsDict(cls))
