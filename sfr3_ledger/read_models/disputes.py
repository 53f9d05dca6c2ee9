"""The disputes read model: every dispute across residents, for finance to list and answer.

A projection of the ledger's dispute events (one row per dispute id), so listing the
disputes of the portfolio reads one table, never every resident's ledger:

- `DisputeOpened` -> OPEN, with payment, amount, reason and opening time;
- `DisputeEvidenceSubmitted` -> UNDER_REVIEW, `evidence_submitted_at`;
- `DisputeWon` -> WON; `ChargebackApplied` -> LOST with the chargeback amount.

Events of one dispute come from one resident aggregate, so they arrive in order (stream
and notification log alike); each write is a put of the row derived from the previous
row and the event, with the aggregate version as a guard, so a redelivered event writes
nothing new and a rebuild from events gives the same rows. Stripe's own status and
evidence due date are read from Stripe when one dispute is shown (they change at
Stripe's pace, not the ledger's).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import attrs

from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.values import DisputeStatus


@attrs.frozen
class DisputeRow:
    dispute_id: str
    resident_id: str
    payment_id: str
    amount: int
    reason: str
    status: str
    opened_at: datetime
    version: int
    property_id: str = ""
    evidence_submitted_at: datetime | None = None
    closed_at: datetime | None = None
    chargeback: int = 0


@attrs.frozen
class DisputeQuery:
    status: str | None = None
    resident_id: str | None = None
    opened_from: datetime | None = None  # inclusive
    opened_to: datetime | None = None  # exclusive
    limit: int = 50
    after: tuple[datetime, str] | None = None  # (opened_at, dispute_id) of the last row seen


class DisputesIndex(Protocol):
    def put(self, row: DisputeRow) -> None:
        """Store `row` unless a row of the same or a newer version is stored."""

    def get(self, dispute_id: str) -> DisputeRow | None: ...

    def query(self, query: DisputeQuery) -> list[DisputeRow]:
        """Newest opened first, (opened_at, dispute_id) descending, after `query.after`."""

    def clear(self) -> None: ...


class DisputesProjection:
    """`on_opened` is called once per dispute, when its row is first written (the finance
    alert and metric, sfr3_ledger/dispute_alerts.py); a rebuild passes none."""

    def __init__(self, index: DisputesIndex,
                 on_opened: Callable[[DisputeRow], None] | None = None) -> None:
        self.index = index
        self.on_opened = on_opened

    def process(self, events: Iterable[Any]) -> int:
        applied = 0
        L = ResidentLedger
        for e in events:
            version = int(e.originator_version)
            if isinstance(e, L.DisputeOpened):
                new = self.on_opened is not None and self.index.get(e.dispute_id) is None
                opened = DisputeRow(
                    dispute_id=e.dispute_id, resident_id=e.resident_id,
                    payment_id=e.payment_id, amount=e.amount, reason=e.reason,
                    status=DisputeStatus.OPEN.value, opened_at=e.timestamp, version=version,
                    property_id=e.property_id)
                self.index.put(opened)
                if new and self.on_opened is not None:
                    self.on_opened(opened)
                applied += 1
                continue
            if not isinstance(e, (L.DisputeEvidenceSubmitted, L.DisputeWon,
                                  L.ChargebackApplied)):
                continue
            row = self.index.get(e.dispute_id)
            if row is None or row.version >= version:
                continue
            if isinstance(e, L.DisputeEvidenceSubmitted):
                row = attrs.evolve(row, status=DisputeStatus.UNDER_REVIEW.value,
                                   evidence_submitted_at=e.timestamp, version=version)
            elif isinstance(e, L.DisputeWon):
                row = attrs.evolve(row, status=DisputeStatus.WON.value, closed_at=e.timestamp,
                                   version=version)
            else:
                row = attrs.evolve(row, status=DisputeStatus.LOST.value, closed_at=e.timestamp,
                                   chargeback=e.amount, version=version)
            self.index.put(row)
            applied += 1
        return applied


def rebuild(index: DisputesIndex, projection: DisputesProjection,
            batches: Iterable[Sequence[Any]]) -> int:
    index.clear()
    return sum(projection.process(batch) for batch in batches)
