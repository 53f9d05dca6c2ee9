"""The payments read model: every payment of a resident, by (resident, payment), so history
pages and per-payment reads cost the same after 10 or 5,000 events (issue 17).

Why: archived payments (archiving.py) leave the aggregate's state, and reading one used to
replay the resident's whole history with archiving off (O(history) per read, O(n²) for a
receipts backlog). Here each payment is a row holding the `Payment` as the aggregate last
had it, keyed so that a page newest first is one indexed range read:

- **Projection.** For every stored ledger event that names a payment (`payment_id`), the
  resident's current ledger is loaded once per batch and each named payment still in
  state is written with the aggregate's version; a row is replaced only by a newer
  version, so a replayed or redelivered event writes nothing new. A payment no longer in
  state was archived, i.e. final for the archive window: its row was written long
  before, unless the projection is catching up a backlog older than the window; then
  (with `full_history`) the resident's history is replayed once to write the missing
  rows. `rebuild` replays each resident's full history once.
- **Freshness.** The projection also notes, per resident, the ledger version its rows
  are complete up to (`mark_seen`). A page first reads the ledger's latest version (one
  indexed read of the event store, no state loaded); when the index has seen it, the page
  is the index's alone: one range read, whatever the history.
- **Pages.** Otherwise `history_page` merges the live aggregate (the payments still in state: the
  recent ones, read consistently, so a payment made a moment ago is listed even before
  the projection has seen it, and with its current status) with one page of rows from
  the index (everything, archived included). Order: `initiated_at` then `payment_id`,
  newest first; the cursor is the last (initiated_at, payment_id) returned, exclusive.
  The union's first `limit` are exactly the full history's first `limit`: a payment not
  in state is in the index, and among the index's rows it ranks no lower than in the
  full history.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

import attrs

from sfr3_ledger.errors import InvalidCommand
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.records import Payment

DEFAULT_PAGE = 50
MAX_PAGE = 200


@attrs.frozen(order=True)
class Position:
    """Where a page ends: the last payment listed (the next page starts after it)."""

    initiated_at: datetime
    payment_id: str

    def encode(self) -> str:
        text = f"{self.initiated_at.astimezone(UTC).isoformat()}|{self.payment_id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            padded = cursor + "=" * (-len(cursor) % 4)
            stamp, payment_id = base64.urlsafe_b64decode(padded.encode()).decode().split("|", 1)
            moment = datetime.fromisoformat(stamp)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise InvalidCommand("cursor is not one this API returned") from None
        if moment.tzinfo is None or not payment_id:
            raise InvalidCommand("cursor is not one this API returned")
        return cls(moment, payment_id)


def position_of(payment: Payment) -> Position:
    return Position(payment.initiated_at, payment.payment_id)


def without_acceptance(payment: Payment) -> Payment:
    """The payment as a row keeps it: without the resident's IP address and User-Agent.

    A manual ACH payment's `mandate_acceptance` is the resident's personal data, kept as
    proof in the ledger's own event (`PaymentInitiated`) and read from the live aggregate
    by everything that sends it to the provider (every attempt and re-drive: retries and
    recovery never decide on a row). No reader of a row needs it, so no row stores it.
    """
    if payment.mandate_acceptance is None:
        return payment
    return attrs.evolve(payment, mandate_acceptance=None)


@attrs.frozen
class PaymentRow:
    resident_id: str
    payment: Payment = attrs.field(converter=without_acceptance)
    version: int  # the resident ledger's version the row was read at


@attrs.frozen
class HistoryPage:
    payments: list[Payment]
    next_cursor: str | None


class PaymentsIndex(Protocol):
    """The read model's table (SQLite locally, DynamoDB deployed)."""

    def put(self, rows: Sequence[PaymentRow]) -> None:
        """Store each row unless a row of the same or a newer version is stored."""

    def get(self, resident_id: str, payment_id: str) -> Payment | None: ...

    def mark_seen(self, versions: Mapping[str, int]) -> None:
        """Note, per resident, the ledger version the rows are complete up to (kept as
        the maximum seen)."""

    def seen_version(self, resident_id: str) -> int | None: ...

    def page(self, resident_id: str, *, before: Position | None, start: datetime | None,
             end: datetime | None, method_id: str | None, limit: int) -> list[Payment]:
        """Up to `limit` payments with initiated_at in [start, end), strictly before
        `before`, of `method_id` if given, newest first."""

    def clear(self) -> None:
        """Drop every row (before a rebuild)."""


def _names_payments(event: object) -> str | None:
    if isinstance(event, ResidentLedger.Event):
        pid = getattr(event, "payment_id", None)
        return pid if isinstance(pid, str) else None
    return None


class PaymentsProjection:
    """Applies stored domain events to the index; safe to replay from any position."""

    def __init__(self, index: PaymentsIndex,
                 load_ledger: Callable[[str], ResidentLedger],
                 full_history: Callable[[str], ResidentLedger] | None = None) -> None:
        self.index = index
        self.load_ledger = load_ledger
        # For a backlog: payments archived before the projection saw them (one replay of
        # that resident's history, once; later events find their rows).
        self.full_history = full_history

    def process(self, events: Iterable[Any]) -> int:
        """Apply `events` (decoded, in log order); how many payment rows were written."""
        named: dict[str, set[str]] = {}
        seen: dict[str, int] = {}
        for domain_event in events:
            rid = getattr(domain_event, "resident_id", None)
            if not isinstance(domain_event, ResidentLedger.Event) or not isinstance(rid, str):
                continue
            seen[rid] = max(seen.get(rid, 0), int(domain_event.originator_version))
            pid = _names_payments(domain_event)
            if pid is not None:
                named.setdefault(rid, set()).add(pid)
        rows = []
        for rid, pids in named.items():
            # The live ledger may be ahead of this batch: its rows are current for the
            # payments named here, but `seen` stays the batch's own highest version, since
            # events not yet delivered may have changed other payments' rows.
            ledger = self.load_ledger(rid)
            rows += [PaymentRow(rid, ledger.payments[pid], ledger.version)
                     for pid in sorted(pids) if pid in ledger.payments]
            gone = sorted(pid for pid in pids if pid not in ledger.payments)
            if gone and self.full_history is not None and any(
                    self.index.get(rid, pid) is None for pid in gone):
                history = self.full_history(rid)  # every archived row at once
                rows += [PaymentRow(rid, p, history.version)
                         for pid, p in history.payments.items() if pid not in ledger.payments]
        if rows:
            self.index.put(rows)
        if seen:  # after the rows: a crash in between leaves reads on the safe path
            self.index.mark_seen(seen)
        return len(rows)


def rebuild(index: PaymentsIndex, resident_ids: Iterable[str],
            full_history: Callable[[str], ResidentLedger]) -> int:
    """Drop the index and write every payment of each resident from its full history."""
    index.clear()
    written = 0
    for rid in dict.fromkeys(resident_ids):
        ledger = full_history(rid)
        rows = [PaymentRow(rid, p, ledger.version) for p in ledger.payments.values()]
        if rows:
            index.put(rows)
        index.mark_seen({rid: ledger.version})
        written += len(rows)
    return written


def residents_in(events: Iterable[Any]) -> list[str]:
    """The residents whose ledger events are among `events` (for a rebuild from the log)."""
    seen: dict[str, None] = {}
    for domain_event in events:
        rid = getattr(domain_event, "resident_id", None)
        if isinstance(domain_event, ResidentLedger.Event) and isinstance(rid, str):
            seen[rid] = None
    return list(seen)


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidCommand(f"limit must be an integer from 1 to {MAX_PAGE}")
    return limit


def history_page(resident_id: str, live: ResidentLedger | None, index: PaymentsIndex | None,
                 *, limit: int, cursor: str | None, start: datetime | None,
                 end: datetime | None, method_id: str | None,
                 full_history: Callable[[], ResidentLedger] | None = None) -> HistoryPage:
    """One page of the resident's payment history, newest first (see the module doc).

    `live`: the resident's ledger, merged in; None when the index is known complete for
    the resident (its `seen_version` is the ledger's latest), so the page is the index's
    alone. Without an index (a bare library use), an archived resident falls back to
    `full_history` (the replay this module exists to avoid)."""
    limit = check_limit(limit)
    before = Position.decode(cursor) if cursor else None

    def wanted(p: Payment) -> bool:
        return ((start is None or p.initiated_at >= start)
                and (end is None or p.initiated_at < end)
                and (method_id is None or p.method_id == method_id)
                and (before is None or position_of(p) < before))

    merged: dict[str, Payment] = {}
    source: Iterable[Payment] = ()
    if index is not None:
        for p in index.page(resident_id, before=before, start=start, end=end,
                            method_id=method_id, limit=limit + 1):
            merged[p.payment_id] = p
        source = live.payments.values() if live is not None else ()
    elif live is None:
        pass
    elif live.archived_payments and full_history is not None:
        source = full_history().payments.values()
    else:
        source = live.payments.values()
    for p in source:  # the live state is the truth for what it holds
        if wanted(p):
            merged[p.payment_id] = p
    ordered = sorted(merged.values(), key=position_of, reverse=True)
    page = ordered[:limit]
    more = len(ordered) > limit
    return HistoryPage(page, position_of(page[-1]).encode() if more and page else None)


__all__ = ["DEFAULT_PAGE", "MAX_PAGE", "HistoryPage", "PaymentRow", "PaymentsIndex",
           "PaymentsProjection", "Position", "check_limit", "history_page", "rebuild",
           "residents_in"]
