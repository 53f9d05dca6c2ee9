"""The ledger application: commands and queries over resident ledgers and payment methods.

It runs on any eventsourcing persistence module (POPO, SQLite, the project's DynamoDB
recorder), chosen by `PERSISTENCE_MODULE` in the environment, exactly like the library's
own applications.

A command loads the aggregate, decides, and appends its new events at the next version.
If another writer appended first the store refuses with IntegrityError; the command is
then re-run against fresh state (never a blind overwrite), so a rule such as "no
overpayment" is checked against everything recorded before it.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import IntegrityError, JSONTranscoder

from sfr3_ledger.autopay_commands import AutopayCommands
from sfr3_ledger.balances import balance_of
from sfr3_ledger.charge_commands import ChargeCommands
from sfr3_ledger.errors import ConcurrencyConflict, InvalidCommand
from sfr3_ledger.fact_records import (
    ChargeRecord,
    CreditRecord,
    FactRecord,
    check_repeat,
    new_facts,
    records_of_new_facts,
)
from sfr3_ledger.lease_commands import LeaseCommands
from sfr3_ledger.ledger import OutstandingCharge, ResidentLedger
from sfr3_ledger.method_commands import MethodCommands
from sfr3_ledger.paid_charge_books import PaidChargeBooks
from sfr3_ledger.paid_charges import BOOK_SNAPSHOT_INTERVAL, PaidCharges
from sfr3_ledger.payment_commands import PaymentCommands
from sfr3_ledger.payment_commands import PaymentStarted as PaymentStarted  # its old home
from sfr3_ledger.payment_methods import PaymentMethods
from sfr3_ledger.read_models.payments import (
    HistoryPage,
    PaymentsIndex,
    check_limit,
    history_page,
)
from sfr3_ledger.records import Charge, Payment
from sfr3_ledger.refund_commands import RefundCommands
from sfr3_ledger.retry_commands import RetryCommands
from sfr3_ledger.rule_adoption import PaidChargesRuleAdoption
from sfr3_ledger.transcodings import register_ledger_transcodings
from sfr3_ledger.values import new_id as new_id  # imported from here by callers

T = TypeVar("T")
A = TypeVar("A", ResidentLedger, PaymentMethods)

DEFAULT_SNAPSHOT_INTERVAL = 10
MAX_ATTEMPTS = 20


class LedgerApplication(ChargeCommands, PaymentCommands, MethodCommands, LeaseCommands,
                        AutopayCommands, RefundCommands, RetryCommands, PaidChargeBooks,
                        PaidChargesRuleAdoption, Application[UUID]):
    """Resident ledgers and payment methods, with snapshots every N events.

    The use cases are mixins, one module per concept (charge_commands, payment_commands,
    method_commands, lease_commands, autopay_commands, refund_commands, retry_commands);
    this class holds the plumbing they share (load, retrying update) and the queries.

    `SFR3_SNAPSHOT_INTERVAL` in the environment sets N (default 10; 0 turns snapshots off).
    """

    name = "Sfr3Ledger"
    # The payments read model, when the deployment has one (wiring attaches it): what
    # archived payments and history pages are read from (read_models/payments.py).
    payments_index: PaymentsIndex | None = None
    snapshotting_intervals: ClassVar[dict[Any, int]] = {
        ResidentLedger: DEFAULT_SNAPSHOT_INTERVAL,
        PaymentMethods: DEFAULT_SNAPSHOT_INTERVAL,
    }

    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        merged = {**os.environ, **(env or {})}
        interval = int(merged.get("SFR3_SNAPSHOT_INTERVAL", DEFAULT_SNAPSHOT_INTERVAL))
        if interval < 0:
            raise ValueError("SFR3_SNAPSHOT_INTERVAL must be >= 0")
        env = dict(env or {})
        if interval == 0:
            env["IS_SNAPSHOTTING_ENABLED"] = "n"
        # The library reads the intervals through the instance, so one per instance works.
        self.snapshotting_intervals = (  # type: ignore[misc]
            {ResidentLedger: interval, PaymentMethods: interval} if interval else {}
        )
        super().__init__(env)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_ledger_transcodings(transcoder)

    # ---- plumbing -------------------------------------------------------------------

    def _load(self, cls: type[A], resident_id: str) -> A | None:
        try:
            aggregate: object = self.repository.get(cls.create_id(resident_id))
        except AggregateNotFoundError:
            return None
        assert isinstance(aggregate, cls)
        return aggregate

    def _update(
        self,
        cls: type[A],
        resident_id: str,
        command: Callable[[A], T],
        *,
        opener: Callable[[], A],
    ) -> T:
        """Run `command` on fresh state and save, retrying when another writer won."""
        if not isinstance(resident_id, str) or not resident_id or len(resident_id) > 200:
            raise InvalidCommand("residentId must be a non-empty string")
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                # Jittered backoff so racing writers stop colliding in lockstep.
                time.sleep(random.uniform(0, 0.002 * min(attempt, 10)))
            aggregate = self._load(cls, resident_id) or opener()
            if isinstance(aggregate, ResidentLedger) and not aggregate.paid_charges_leave:
                # A ledger opened before paid charges left the state adopts the rule in
                # saves of its own (rule_adoption.py); the command then runs on the result.
                self._adopt_paid_charges_rule(aggregate)
                continue
            # Annotated: mypy checks this body once per constraint of A, and for
            # PaymentMethods the isinstance branch cannot be taken.
            held: dict[str, Charge] = (
                dict(aggregate.charges) if isinstance(aggregate, ResidentLedger) else {}
            )
            result = command(aggregate)
            if not aggregate.pending_events:
                return result
            # A ledger command's new charges and credits are saved with their records,
            # and the charges it paid in full with the resident's book, atomically
            # (fact_records.py, paid_charges.py); after a failed save, a new fact may
            # repeat an archived one, so its record is looked up first.
            companions: list[Aggregate | DomainEventProtocol[UUID]] = []
            if isinstance(aggregate, ResidentLedger):
                companions += self._fact_records(aggregate, recheck=attempt > 0)
                companions += self._book_changes(aggregate, held)
            try:
                self.save(aggregate, *companions)
            except IntegrityError:
                continue
            self._snapshot_book(companions)
            return result
        raise ConcurrencyConflict(
            f"Too many concurrent updates for resident {resident_id}; try again"
        )

    def _fact_records(self, ledger: ResidentLedger, *, recheck: bool) -> list[FactRecord]:
        """The records to save with the ledger's new events: one per charge or credit
        they post. Raises AlreadyRecorded or ConflictingFact when a new fact's id has a
        record (`recheck`: only after a failed save, so the common path reads nothing)."""
        records = records_of_new_facts(ledger.resident_id, new_facts(ledger.pending_events),
                                       ledger.charges, ledger.credits)
        if recheck:
            for record in records:
                found = self._stored_record(record.id)
                if found is not None:
                    check_repeat(found, record)
        return records

    def _snapshot_book(self, saved: Sequence[object]) -> None:
        """After a save: a snapshot of the book every BOOK_SNAPSHOT_INTERVAL versions
        (none when snapshots are off), so a reader loads a snapshot and at most one event,
        never its history. Its events are appended without loading it (paid_charges.py),
        so the library, which snapshots the aggregates it saves, cannot take these."""
        interval = BOOK_SNAPSHOT_INTERVAL
        if self.snapshots is None or not self.snapshotting_intervals:
            return
        versions = [e.originator_version for e in saved if isinstance(e, PaidCharges.Event)]
        if versions and max(versions) // interval > (min(versions) - 1) // interval:
            self.take_snapshot(book_id_of(saved), version=max(versions))

    def _last_version(self, originator_id: UUID) -> int | None:
        """An aggregate's last version, from one indexed read (None: not stored)."""
        last = self.recorder.select_events(originator_id, desc=True, limit=1)
        return last[0].originator_version if last else None

    def _stored_record(self, record_id: UUID) -> FactRecord | None:
        try:
            found: object = self.repository.get(record_id)
        except AggregateNotFoundError:
            return None
        assert isinstance(found, ChargeRecord | CreditRecord)
        return found

    def _ledger_update(self, resident_id: str, command: Callable[[ResidentLedger], T]) -> T:
        return self._update(
            ResidentLedger,
            resident_id,
            command,
            opener=lambda: ResidentLedger(resident_id=resident_id, property_id="", us_state="",
                                          paid_charges_leave=True),
        )

    def _methods_update(self, resident_id: str, command: Callable[[PaymentMethods], T]) -> T:
        return self._update(
            PaymentMethods,
            resident_id,
            command,
            opener=lambda: PaymentMethods(resident_id=resident_id),
        )

    # ---- queries ----------------------------------------------------------------------

    def ledger(self, resident_id: str) -> ResidentLedger:
        """The resident's ledger (an empty one if nothing was ever recorded)."""
        return self._load(ResidentLedger, resident_id) or ResidentLedger(
            resident_id=resident_id, property_id="", us_state="", paid_charges_leave=True
        )

    def balance(self, resident_id: str) -> int:
        return self.ledger(resident_id).balance

    def full_history(self, resident_id: str) -> ResidentLedger:
        """Replay every stored event with archiving off: the ledger's whole life.

        O(history), unlike `ledger()`: for old records and audits, not for commands.
        """
        replayed: ResidentLedger | None = None
        for domain_event in self.events.get(ResidentLedger.create_id(resident_id)):
            assert isinstance(domain_event, ResidentLedger.Event)
            replayed = domain_event.mutate(replayed)
            if replayed is not None and replayed.version == 1:
                replayed.archive_after_days = 0
        return replayed or self.ledger(resident_id)

    def payment(self, resident_id: str, payment_id: str) -> Payment:
        """A payment by id, archived ones included: from the payments read model when one
        is attached and has seen the ledger's latest event (no state loaded), else from
        the live state, else (archived) from the read model; never replaying a history
        unless there is no read model."""
        index = self.payments_index
        if index is not None and self._index_is_current(index, resident_id):
            row = index.get(resident_id, payment_id)
            if row is not None:
                return row
        ledger = self.ledger(resident_id)
        if payment_id in ledger.payments or not ledger.archived_payments:
            return ledger.get_payment(payment_id)
        if self.payments_index is not None:
            found = self.payments_index.get(resident_id, payment_id)
            if found is not None:
                return found
        return self.full_history(resident_id).get_payment(payment_id)

    def payment_history_page(
        self,
        resident_id: str,
        *,
        limit: int | None = None,
        cursor: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        method_id: str | None = None,
    ) -> HistoryPage:
        """One page of payments initiated in [start, end), newest first; `next_cursor`
        continues it. Its cost does not grow with the history (read_models/payments.py)."""
        index = self.payments_index
        live: ResidentLedger | None = None
        if index is None or not self._index_is_current(index, resident_id):
            live = self.ledger(resident_id)
            if index is not None and live.archived_payments and \
                    index.seen_version(resident_id) is None:
                index = None  # never indexed (a read model newer than the data): replay
        return history_page(
            resident_id, live, index, limit=check_limit(limit),
            cursor=cursor, start=start, end=end, method_id=method_id,
            full_history=lambda: self.full_history(resident_id))

    def _index_is_current(self, index: PaymentsIndex, resident_id: str) -> bool:
        """Has the payments read model seen the ledger's latest event? (One indexed read
        of the event store; no state is loaded.)"""
        latest = self.recorder.select_events(ResidentLedger.create_id(resident_id),
                                             desc=True, limit=1)
        if not latest:
            return True  # no ledger: nothing to merge
        seen = index.seen_version(resident_id)
        return seen is not None and seen >= latest[0].originator_version

    def payment_history(
        self,
        resident_id: str,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        method_id: str | None = None,
    ) -> list[Payment]:
        ledger = self.ledger(resident_id)
        if not ledger.holds_payments_since(start):
            ledger = self.full_history(resident_id)
        return ledger.payment_history(start=start, end=end, method_id=method_id)

    def outstanding_charges(self, resident_id: str) -> list[OutstandingCharge]:
        return self.ledger(resident_id).outstanding_charges()

    def balance_as_of(self, resident_id: str, at: datetime) -> int:
        """The balance at instant `at`, folded from the stored events (not snapshots)."""
        if at.tzinfo is None:
            raise InvalidCommand("at must be timezone-aware")
        events = self.events.get(ResidentLedger.create_id(resident_id))
        return balance_of(events, until=at)

    def payment_methods(self, resident_id: str) -> PaymentMethods:
        return self._load(PaymentMethods, resident_id) or PaymentMethods(resident_id=resident_id)


def book_id_of(saved: Sequence[object]) -> UUID:
    """The id of the book whose events are among `saved` (one book per save)."""
    for item in saved:
        if isinstance(item, PaidCharges.Event):
            return UUID(str(item.originator_id))
    raise ValueError("no book event saved")
