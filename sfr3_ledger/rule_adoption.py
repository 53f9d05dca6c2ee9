"""A ledger opened before paid charges left the state adopts that rule (a mixin of
LedgerApplication): `LedgerApplication._update` runs it before the ledger's next command.

Adoption writes three things: an id record for each charge and credit posted before records
existed (fact_records.py), the ledger's paid charges into the resident's book
(paid_charges.py), and the ledger's `PaidChargesLeave`, which takes them out of its state.
An old ledger may hold thousands of paid charges (everything paid in the last 540 days), and
one DynamoDB transaction holds at most 100 items and 4 MB, so each part is written in saves
of bounded size:

- records, RECORDS_PER_SAVE per save; a record already there is left alone, so a crash
  between saves is only resumed;
- the book, BOOK_EVENTS_PER_SAVE events per save, before the ledger's event: every reader
  of the book ignores it until the ledger's `PaidChargesLeave` (`paid_charge_books.py`), so
  a book filled part way is never read;
- the ledger's `PaidChargesLeave`, with the book's last events, in one save.

A concurrent writer makes a save fail; adoption then stops and the caller's loop starts again
from fresh state. A book found already there was left by an adoption interrupted after some of
its saves: what it holds is compared with what the ledger pays, so the resumed adoption adds
only what is missing and takes out what is no longer paid.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from eventsourcing.persistence import IntegrityError

from sfr3_ledger.fact_records import record_id, record_of
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.paid_charges import PaidCharges, next_events
from sfr3_ledger.records import Charge

if TYPE_CHECKING:
    from uuid import UUID

    from eventsourcing.domain import DomainEventProtocol, MutableOrImmutableAggregate
    from eventsourcing.persistence import ApplicationRecorder, Recording

# Id records per save: 2 items each in DynamoDB's counter mode, so 40 stay well inside a
# 100-item transaction.
RECORDS_PER_SAVE = 40
# Book events per save: 4 `Added` events of 200 charges, about 0.7 MB of DynamoDB items (a
# charge is ~440 bytes of event state, stored twice: aggregate and notification log), far
# inside a 4 MB transaction. In one save, 4,600 paid charges needed 4.05 MB.
BOOK_EVENTS_PER_SAVE = 4


class PaidChargesRuleAdoption:
    # Book events per save (an attribute, so the adoption law can try every split).
    book_events_per_save = BOOK_EVENTS_PER_SAVE

    if TYPE_CHECKING:  # provided by LedgerApplication
        recorder: ApplicationRecorder

        def save(self, *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID]
                 | None, **kwargs: Any) -> list[Recording[UUID]]: ...

        def _book(self, resident_id: str) -> PaidCharges | None: ...

        def _snapshot_book(self, saved: Sequence[object]) -> None: ...

    def _adopt_paid_charges_rule(self, ledger: ResidentLedger) -> None:
        """Give a ledger from before the rule its id records, its book, then its
        PaidChargesLeave (the module's docstring says in which saves)."""
        missing = [record_of(ledger.resident_id, fact)
                   for kind, facts in (("charge", ledger.charges), ("credit", ledger.credits))
                   for fact_id, fact in facts.items()
                   if not self.recorder.select_events(
                       record_id(ledger.resident_id, kind, fact_id), limit=1)]
        for start in range(0, len(missing), RECORDS_PER_SAVE):
            try:
                self.save(*missing[start:start + RECORDS_PER_SAVE])
            except IntegrityError:
                return  # written meanwhile by another writer: start again from fresh state
        held = dict(ledger.charges)
        ledger.leave_paid_charges()
        book = self._book_to_fill(ledger, [c for cid, c in held.items()
                                           if cid not in ledger.charges])
        per_save = self.book_events_per_save
        while len(book) > per_save:
            head, book = book[:per_save], book[per_save:]
            try:
                self.save(*head)
            except IntegrityError:
                return
            self._snapshot_book(head)
        try:
            self.save(ledger, *book)
        except IntegrityError:
            return
        self._snapshot_book(book)

    def _book_to_fill(self, ledger: ResidentLedger, paid: list[Charge]
                      ) -> list[DomainEventProtocol[UUID]]:
        """The book's events that make it hold exactly `paid`, the charges the ledger's
        PaidChargesLeave takes out of its state."""
        found = self._book(ledger.resident_id)  # only an interrupted adoption leaves one
        if found is None:
            return next_events(ledger.resident_id, None, paid, [])
        paid_ids = {c.charge_id for c in paid}
        gone = [cid for cid in found.charges if cid not in paid_ids]
        added = [c for c in paid if found.charges.get(c.charge_id) != c]
        return next_events(ledger.resident_id, found.version, added, gone)


__all__ = ["BOOK_EVENTS_PER_SAVE", "RECORDS_PER_SAVE", "PaidChargesRuleAdoption"]
