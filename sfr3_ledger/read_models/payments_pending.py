"""The payment-watch read model: payments PENDING since when, and retries due when.

Two kinds of rows, both keyed by (resident, payment), each with the instant it is due:

- `PENDING`: a payment reserved PENDING (a first attempt or a retry), due for the
  recovery job `recover_after` (default 15 minutes) after it was reserved. Removed when
  it settles or fails. The job moves a row it found still processing at Stripe further
  out (`defer`), so a 4-day ACH debit is asked about a few times, not every 15 minutes.
- `RETRY`: a failed payment whose next attempt is scheduled, due at `retry_at`. Removed
  when the retry starts, is cancelled, or the payment ends (permanently failed, or a
  late success settled it).

Maintained from the notification log (locally) or the events table's stream (deployed),
like the schedule read model. Every write is a put or delete derived from one event, so
replaying is harmless; an old event redelivered after a newer one can at worst re-add a
row for a payment that has moved on, and the job, which always reads the ledger before
acting, finds nothing to do and removes it. So the model is rebuildable from events
alone (`rebuild`), and a rebuilt model only ever causes one extra, idempotent look.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

import attrs

from sfr3_ledger.ledger import ResidentLedger

Kind = Literal["PENDING", "RETRY"]
PENDING: Kind = "PENDING"
RETRY: Kind = "RETRY"
DEFAULT_RECOVER_AFTER = timedelta(minutes=15)


@attrs.frozen
class WatchRow:
    kind: Kind
    resident_id: str
    payment_id: str
    due_at: datetime
    since: datetime
    attempt: int = 1


class PaymentWatch(Protocol):
    """The read model's table (SQLite locally, DynamoDB deployed)."""

    def put(self, row: WatchRow) -> None:
        """Store `row`, replacing the row of the same kind, resident and payment."""

    def remove(self, kind: Kind, resident_id: str, payment_id: str) -> None: ...

    def due(self, kind: Kind, through: datetime, limit: int = 1000) -> list[WatchRow]:
        """Rows with `due_at <= through`, soonest first."""

    def clear(self) -> None:
        """Drop every row (before a rebuild)."""


class PaymentWatchProjection:
    """Applies stored domain events to the watch; safe to replay from any position."""

    def __init__(self, watch: PaymentWatch, *,
                 recover_after: timedelta = DEFAULT_RECOVER_AFTER) -> None:
        self.watch = watch
        self.recover_after = recover_after

    def process(self, events: Iterable[Any]) -> int:
        applied = 0
        for event in events:
            if not isinstance(event, _WATCHED):
                continue
            applied += 1
            rid, pid, at = event.resident_id, event.payment_id, event.timestamp
            if isinstance(event, ResidentLedger.PaymentInitiated):
                self._pending(rid, pid, at, 1)
            elif isinstance(event, ResidentLedger.PaymentRetryStarted):
                self.watch.remove(RETRY, rid, pid)
                self._pending(rid, pid, at, event.attempt)
            elif isinstance(event, ResidentLedger.PaymentFailed):
                self.watch.remove(PENDING, rid, pid)
                if event.retry_at is not None:
                    self.watch.put(WatchRow(RETRY, rid, pid, event.retry_at, at,
                                            (event.attempt or 1) + 1))
            elif isinstance(event, ResidentLedger.PaymentSettled):
                self.watch.remove(PENDING, rid, pid)
                self.watch.remove(RETRY, rid, pid)
            else:  # permanently failed, retry cancelled
                self.watch.remove(RETRY, rid, pid)
        return applied

    def _pending(self, rid: str, pid: str, at: datetime, attempt: int) -> None:
        self.watch.put(WatchRow(PENDING, rid, pid, at + self.recover_after, at, attempt))


_WATCHED = (
    ResidentLedger.PaymentInitiated, ResidentLedger.PaymentRetryStarted,
    ResidentLedger.PaymentFailed, ResidentLedger.PaymentSettled,
    ResidentLedger.PaymentPermanentlyFailed, ResidentLedger.PaymentRetryCancelled,
)


def rebuild(watch: PaymentWatch, projection: PaymentWatchProjection,
            batches: Iterable[Sequence[Any]]) -> int:
    """Drop the watch and replay every event: the read model from events alone."""
    watch.clear()
    return sum(projection.process(batch) for batch in batches)
