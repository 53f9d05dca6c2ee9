"""The application's side of paid charges out of the state (a mixin of LedgerApplication).

The rule itself is in `paid_charges.py` (why) and `allocation.py` (when a charge leaves
or comes back). Here: what a ledger command changes in the book (saved atomically with it by
`LedgerApplication._update`), the paid charges a reversal re-opens, and the readers that
list charges paid or not (the statement, allocations).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from eventsourcing.application import AggregateNotFoundError

from sfr3_ledger.allocation import Allocation, due_order
from sfr3_ledger.archiving import ARCHIVE_AFTER_DAYS
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.paid_charges import PaidCharges, next_events
from sfr3_ledger.records import Charge

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.application import Repository
    from eventsourcing.domain import DomainEventProtocol



class PaidChargeBooks:
    if TYPE_CHECKING:  # provided by LedgerApplication
        repository: Repository[Any]

        def ledger(self, resident_id: str) -> ResidentLedger: ...

        def _last_version(self, originator_id: UUID) -> int | None: ...

    def _book(self, resident_id: str) -> PaidCharges | None:
        try:
            book: object = self.repository.get(PaidCharges.create_id(resident_id))
        except AggregateNotFoundError:
            return None
        assert isinstance(book, PaidCharges)
        return book

    def _book_changes(
        self, ledger: ResidentLedger, held: dict[str, Charge]
    ) -> list[DomainEventProtocol[UUID]]:
        """The book's events to save with the ledger's: the charges these events paid in
        full (held before, gone now) enter it, the paid charges a reversal carried back
        into the state leave it. The book itself is not loaded."""
        if not ledger.paid_charges_leave:
            return []
        carried = {c.charge_id for e in ledger.pending_events
                   if isinstance(e, ResidentLedger.ChargesReinstated) for c in e.charges}
        added = [c for cid, c in held.items() if cid not in ledger.charges]
        reopened = [cid for cid in carried if cid in ledger.charges]
        if not added and not reopened:
            return []
        version = self._last_version(PaidCharges.create_id(ledger.resident_id))
        return next_events(ledger.resident_id, version, added, reopened)

    def _paid_out(self, ledger: ResidentLedger, payment_id: str) -> list[Charge]:
        """The paid charges out of the state that `payment_id` paid (some of): what a
        reversal of it may re-open (its command keeps those it reaches)."""
        payment = ledger.payments.get(payment_id)
        if not ledger.paid_charges_leave or payment is None or payment.settled_at is None:
            return []
        book = self._book(ledger.resident_id)
        if book is None:
            return []
        # Only what the state would still hold: the archive's last sweep dropped paid
        # charges older than its window (archiving.py), and a reversal of those is owed as
        # `unassigned_debt`, as before (the book forgets them only once a month).
        cutoff = (ledger.archived_at - timedelta(days=ledger.archive_after_days)
                  if ledger.archived_at is not None else None)
        return [c for c in book.paid_by(payment_id)
                if cutoff is None or (c.paid_at or c.posted_at) >= cutoff]

    def paid_charges(self, ledger: ResidentLedger) -> list[Charge]:
        """The charges paid in full and out of the ledger's state, paid within the archive
        window (the ones the state used to hold)."""
        book = self._book(ledger.resident_id) if ledger.paid_charges_leave else None
        if book is None:
            return []
        since = ledger.modified_on - timedelta(days=ARCHIVE_AFTER_DAYS)
        return [c for c in book.charges.values()
                if c.charge_id not in ledger.charges and (c.paid_at or c.posted_at) >= since]

    def statement(self, resident_id: str) -> tuple[ResidentLedger, list[Charge]]:
        """The ledger and every charge of the statement: the open ones (the state) and
        those paid within the archive window (the book)."""
        # The ledger and the book are two reads: a reversal saved between them would move
        # a charge from the book to a state this read no longer sees. The ledger's last
        # version, read again after the book, tells; then both are read again.
        while True:
            ledger = self.ledger(resident_id)
            paid = self.paid_charges(ledger)
            if self._last_version(ledger.id) in (None, ledger.version):
                return ledger, [*ledger.charges.values(), *paid]

    def allocations(self, resident_id: str) -> list[Allocation]:
        """Which payment or credit paid which charge (charges oldest due first)."""
        _, charges = self.statement(resident_id)
        return allocations_of(charges)


def late_fee_of(ledger: ResidentLedger, charge: Charge) -> str | None:
    """The id of the late fee assessed on `charge`, in the state or out of it."""
    return ledger.late_fees.get(charge.charge_id) or charge.late_fee_id


def allocations_of(charges: Iterable[Charge]) -> list[Allocation]:
    return [
        Allocation(source=source, charge_id=charge.charge_id, amount=amount)
        for charge in sorted(charges, key=due_order)
        for source, amount in charge.paid_by.items()
    ]
