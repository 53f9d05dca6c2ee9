"""Charge and credit ids are unique for ever: one record per id, saved with the ledger.

Why: the ledger refuses a second fact under a known id (the same content is a retry and
changes nothing, other content is a 409), but it only knows the ids in its state, and a
fact leaves the state when it is archived (`archiving.py`, 540 days after it finished).
Without a memory outside the state, the same id would then be accepted again: a rent job
re-run for an old day would charge that month's rent a second time, an old credit
re-sent would be credited twice.

So every charge (late fees included) and every credit also gets a record: an aggregate
of one event whose id is derived from (resident, kind, fact id), saved in the same atomic
write as the ledger event that posts the fact (`LedgerApplication._update`). Version 1 of
an aggregate can be written once on every backend (SQLite's primary key, DynamoDB's
condition, POPO's check), so the second write of an id fails whatever the ledger still
holds, and the retry that follows finds the record and answers as for a known id.

Facts posted before records existed get theirs when their ledger adopts the rule that
paid charges leave the state (`rule_adoption.py`, before its
first command since): every charge and credit still in its state gets its record. Facts
archived before that (older than 540 days) stay unknown, as they were.

The records are bookkeeping, not money facts: they move no balance, publish no
integration event, and nothing else reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from sfr3_ledger.errors import ConflictingFact
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.records import Charge, Credit
from sfr3_ledger.values import ChargeType

FACT_NAMESPACE = UUID("0f6f8a52-8a0e-4d1e-9a49-5a1f3c2b7d64")


class ChargeRecord(Aggregate):
    """That `charge_id` was posted to `resident_id`'s ledger, and what it said."""

    @staticmethod
    def create_id(resident_id: str, charge_id: str) -> UUID:
        return uuid5(FACT_NAMESPACE, f"charge\x1f{resident_id}\x1f{charge_id}")

    @event("Recorded")
    def __init__(
        self,
        resident_id: str,
        charge_id: str,
        charge_type: str,
        amount: int,
        description: str,
        due_date: date | None,
        posted_at: datetime,
        posted_by: str,
        property_id: str,
        us_state: str,
        late_fee_for: str | None,
    ) -> None:
        self.resident_id = resident_id
        self.charge_id = charge_id
        self.charge_type = charge_type
        self.amount = amount
        self.description = description
        self.due_date = due_date
        self.posted_at = posted_at
        self.posted_by = posted_by
        self.property_id = property_id
        self.us_state = us_state
        self.late_fee_for = late_fee_for

    @classmethod
    def of(cls, resident_id: str, charge: Charge) -> ChargeRecord:
        return cls(
            resident_id=resident_id, charge_id=charge.charge_id,
            charge_type=charge.charge_type.value, amount=charge.amount,
            description=charge.description, due_date=charge.due_date,
            posted_at=charge.posted_at, posted_by=charge.posted_by,
            property_id=charge.property_id, us_state=charge.us_state,
            late_fee_for=charge.late_fee_for,
        )

    def as_charge(self) -> Charge:
        """The charge as it was posted (what it was paid by is not recorded here)."""
        return Charge(
            charge_id=self.charge_id, charge_type=ChargeType(self.charge_type),
            amount=self.amount, description=self.description, due_date=self.due_date,
            posted_at=self.posted_at, posted_by=self.posted_by,
            property_id=self.property_id, us_state=self.us_state,
            late_fee_for=self.late_fee_for,
        )


class CreditRecord(Aggregate):
    """That `credit_id` was credited to `resident_id`, and how much."""

    @staticmethod
    def create_id(resident_id: str, credit_id: str) -> UUID:
        return uuid5(FACT_NAMESPACE, f"credit\x1f{resident_id}\x1f{credit_id}")

    @event("Recorded")
    def __init__(
        self,
        resident_id: str,
        credit_id: str,
        amount: int,
        reason: str,
        applied_at: datetime,
        applied_by: str,
    ) -> None:
        self.resident_id = resident_id
        self.credit_id = credit_id
        self.amount = amount
        self.reason = reason
        self.applied_at = applied_at
        self.applied_by = applied_by

    @classmethod
    def of(cls, resident_id: str, credit: Credit) -> CreditRecord:
        return cls(resident_id=resident_id, credit_id=credit.credit_id, amount=credit.amount,
                   reason=credit.reason, applied_at=credit.applied_at,
                   applied_by=credit.applied_by)


FactRecord = ChargeRecord | CreditRecord


class AlreadyRecorded(Exception):
    """The command's new fact repeats one recorded earlier and archived since: the
    command is a retry. Carries the record, so the caller answers as for a known id."""

    def __init__(self, record: FactRecord) -> None:
        super().__init__(f"{type(record).__name__} {record.id} already exists")
        self.record = record


def new_facts(ledger_events: Iterable[object]) -> list[tuple[str, str]]:
    """(kind, id) of the charges and credits the pending events post."""
    found: list[tuple[str, str]] = []
    for pending in ledger_events:
        if isinstance(pending, ResidentLedger.ChargePosted | ResidentLedger.LateFeeApplied):
            found.append(("charge", pending.charge_id))
        elif isinstance(pending, ResidentLedger.CreditApplied):
            found.append(("credit", pending.credit_id))
    return found


def record_id(resident_id: str, kind: str, fact_id: str) -> UUID:
    if kind == "charge":
        return ChargeRecord.create_id(resident_id, fact_id)
    return CreditRecord.create_id(resident_id, fact_id)


def records_of_new_facts(
    resident_id: str, facts: Iterable[tuple[str, str]],
    charges: Mapping[str, Charge], credits: Mapping[str, Credit],
) -> list[FactRecord]:
    """The records to save with the events posting `facts` (read from the new state)."""
    return [
        ChargeRecord.of(resident_id, charges[fact_id]) if kind == "charge"
        else CreditRecord.of(resident_id, credits[fact_id])
        for kind, fact_id in facts
    ]


def record_of(resident_id: str, fact: Charge | Credit) -> FactRecord:
    if isinstance(fact, Charge):
        return ChargeRecord.of(resident_id, fact)
    return CreditRecord.of(resident_id, fact)


def check_repeat(recorded: FactRecord, new: FactRecord) -> None:
    """A new fact under a recorded id: the same fact (a retry; AlreadyRecorded) or a
    conflict (ConflictingFact), compared as the ledger compares facts it still holds."""
    if isinstance(recorded, ChargeRecord) and isinstance(new, ChargeRecord):
        same = (recorded.amount, recorded.charge_type, recorded.description) == (
            new.amount, new.charge_type, new.description)
        if not same or recorded.late_fee_for != new.late_fee_for:
            raise ConflictingFact(
                f"Charge {new.charge_id} was already posted with other details")
    elif (isinstance(recorded, CreditRecord) and isinstance(new, CreditRecord)
          and recorded.amount != new.amount):
        raise ConflictingFact(f"Credit {new.credit_id} was already applied with other details")
    raise AlreadyRecorded(recorded)
