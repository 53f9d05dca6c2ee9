"""Paid charges live outside the ledger's state: in the resident's book of paid charges.

Why: the ledger's state is what every command and balance read loads (and every
snapshot copies). A fully paid charge cannot change any more unless a refund or a
chargeback of a payment that paid it re-opens it, yet it used to stay in the state for
540 days, so a resident with 2,000 recent charges loaded and snapshotted all 2,000
(issue 17: a balance read 13.7x dearer, a 780 KB snapshot). Now a charge leaves the
ledger's state in the event that pays it in full (`allocation.depart_paid`), and the
application saves it, in the same atomic write, into the resident's book (`PaidCharges`,
an aggregate whose id is derived from the resident's). The book forgets charges paid
more than 540 days ago, as the state did (`archiving.py`).

Writing to the book does not load it: the application reads only its last version (one
indexed read) and appends the next events (`next_events`), so a payment costs the same
whatever the book holds. The book is loaded only by the readers of paid charges:

- the statement (`LedgerApplication.statement`), which lists them;
- a reversal (refund, chargeback): the application reads the charges the payment paid
  from the book, and those the reversal reaches come back into the state first
  (`ResidentLedger.ChargesReinstated`), so the reversal re-opens them exactly as before
  (latest due first) and a replay needs nothing else; they leave the book in the same
  save.

A charge id posted again is answered from the id records (`fact_records.py`). Ledgers
that began before this change adopt it before their next command (`PaidChargesLeave`
moves their paid charges out); their earlier events replay as they always did.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid5

import attrs
from eventsourcing.domain import Aggregate, DomainEventProtocol, event

from sfr3_ledger.archiving import ARCHIVE_AFTER_DAYS
from sfr3_ledger.records import Charge

BOOK_NAMESPACE = UUID("6c1d3b8e-2f4a-4e7b-9d35-8a0c5e1f7b42")
# Charges per `Added` event: a migrating ledger may move many at once, and one stored
# event stays well under DynamoDB's 400 KB item.
ADDED_PER_EVENT = 200
PRUNE_EVERY = timedelta(days=30)
# A book's snapshot every 2 of its versions (about two payments): its readers load a
# snapshot and at most one event. Still far fewer bytes than the ledger's snapshots held
# when paid charges were in them (every 10 ledger events).
BOOK_SNAPSHOT_INTERVAL = 2


class PaidCharges(Aggregate):
    """The charges of `resident_id` paid in full (in the last 540 days) and not re-opened."""

    @staticmethod
    def create_id(resident_id: str) -> UUID:
        return uuid5(BOOK_NAMESPACE, resident_id)

    @event("Opened")
    def __init__(self, resident_id: str) -> None:
        self.resident_id = resident_id
        self.charges: dict[str, Charge] = {}
        self.pruned_at = self.created_on

    class Event(Aggregate.Event):
        """The book's base event, defined here rather than by eventsourcing: events that
        subclass it are made dataclasses once instead of being redefined under it
        (half the event classes to build at import; docs/operations.md)."""

    class Added(Event):
        charges: list[Charge]

        def apply(self, aggregate: Any) -> None:
            for charge in self.charges:
                aggregate.charges[charge.charge_id] = _copy(charge)
            # Forget charges paid before the archive window, at most once a month (the
            # statement reads only the window anyway; this keeps the book bounded).
            if self.timestamp - aggregate.pruned_at >= PRUNE_EVERY:
                aggregate.pruned_at = self.timestamp
                cutoff = self.timestamp - timedelta(days=ARCHIVE_AFTER_DAYS)
                for charge_id, charge in list(aggregate.charges.items()):
                    if (charge.paid_at or charge.posted_at) < cutoff:
                        del aggregate.charges[charge_id]

    class Reopened(Event):
        charge_ids: list[str]

        def apply(self, aggregate: Any) -> None:
            for charge_id in self.charge_ids:
                aggregate.charges.pop(charge_id, None)

    def paid_by(self, source: str) -> list[Charge]:
        return [c for c in self.charges.values() if source in c.paid_by]


def next_events(
    resident_id: str, version: int | None, added: Sequence[Charge], reopened: Sequence[str],
) -> list[DomainEventProtocol[UUID]]:
    """The book's next events after `version` (None: no book yet), without loading it:
    `reopened` leave it, `added` enter it."""
    events: list[DomainEventProtocol[UUID]] = []
    book_id = PaidCharges.create_id(resident_id)
    if version is None:
        book = PaidCharges(resident_id=resident_id)
        events += book.collect_events()
        version = book.version
    # The events' fields are the library's dataclass fields (mypy does not see them).
    reopened_event: Any = PaidCharges.Reopened
    added_event: Any = PaidCharges.Added
    if reopened:
        version += 1
        events.append(reopened_event(
            originator_id=book_id, originator_version=version,
            timestamp=PaidCharges.Event.create_timestamp(), charge_ids=list(reopened)))
    for start in range(0, len(added), ADDED_PER_EVENT):
        version += 1
        events.append(added_event(
            originator_id=book_id, originator_version=version,
            timestamp=PaidCharges.Event.create_timestamp(),
            charges=copies(added[start:start + ADDED_PER_EVENT])))
    return events


def _copy(charge: Charge) -> Charge:
    """A copy: a book never shares a mutable record with the ledger or an event."""
    return attrs.evolve(charge, paid_by=dict(charge.paid_by))


def copies(charges: Iterable[Charge]) -> list[Charge]:
    return [_copy(c) for c in charges]


__all__ = ["ADDED_PER_EVENT", "BOOK_SNAPSHOT_INTERVAL", "PaidCharges", "copies", "next_events"]
