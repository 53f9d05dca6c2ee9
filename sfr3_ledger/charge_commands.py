"""The charge use cases of LedgerApplication (a mixin, like refund_commands.py): charges,
late fees and credits.

Each runs one ResidentLedger command on fresh state through the application's retrying
`_ledger_update`; the rules themselves are in `charges.py`. A charge posted without a
home takes the resident's lease's property and US state, so reports by state work.
Ids are unique for ever, archived facts included (fact_records.py): a repeat of a charge
paid and out of the state is answered with the book's copy (what paid it) while the book
holds it, after that with the charge as posted; a repeat of an archived credit with the
balance; other details under a known id are a ConflictingFact (409).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from sfr3_ledger.errors import FactLeftState
from sfr3_ledger.fact_records import AlreadyRecorded, ChargeRecord, FactRecord
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.paid_charges import PaidCharges, copies
from sfr3_ledger.records import Charge
from sfr3_ledger.values import SYSTEM, new_id

if TYPE_CHECKING:
    from sfr3_ledger.leases import Lease

T = TypeVar("T")


class ChargeCommands:
    if TYPE_CHECKING:  # provided by LedgerApplication (retrying, on fresh state)
        def _ledger_update(
            self, resident_id: str, command: Callable[[ResidentLedger], T]
        ) -> T: ...

        def find_lease(self, resident_id: str) -> Lease | None: ...  # LeaseCommands

        def _stored_record(self, record_id: UUID) -> FactRecord | None: ...

        def _book(self, resident_id: str) -> PaidCharges | None: ...  # PaidChargeBooks

    def _charge_record(self, resident_id: str, charge_id: str) -> ChargeRecord:
        record = self._stored_record(ChargeRecord.create_id(resident_id, charge_id))
        assert isinstance(record, ChargeRecord)
        return record

    def _posted_before(self, resident_id: str, record: FactRecord) -> Charge:
        """The answer to a repeat of a charge that is no longer in the state: it was paid
        in full. The book's copy says by what while the book holds it (paid within the
        archive window), so a retried post does not answer "nothing paid" for a paid
        charge; after that, the charge as posted (what paid it is in the event log)."""
        assert isinstance(record, ChargeRecord)
        book = self._book(resident_id)
        if book is not None and record.charge_id in book.charges:
            (charge,) = copies([book.charges[record.charge_id]])
            return charge
        return record.as_charge()

    def post_charge(
        self,
        resident_id: str,
        *,
        amount: int,
        charge_type: str,
        description: str,
        actor: str,
        due_date: date | None = None,
        charge_id: str | None = None,
        property_id: str | None = None,
        us_state: str | None = None,
    ) -> Charge:
        charge_id = charge_id or new_id("chg")
        if property_id is None and us_state is None:
            # A resident with a lease: the charge carries its home, so reports by state work.
            lease = self.find_lease(resident_id)
            if lease is not None:
                property_id, us_state = lease.property_id, lease.us_state
        try:
            return self._ledger_update(resident_id, lambda ledger: ledger.post_charge(
                charge_id=charge_id, charge_type=charge_type, amount=amount,
                description=description, due_date=due_date, actor=actor,
                property_id=property_id, us_state=us_state))
        except AlreadyRecorded as repeat:
            # Posted before and paid since (out of the state): a retry.
            return self._posted_before(resident_id, repeat.record)

    def apply_late_fee(
        self,
        resident_id: str,
        charge_id: str,
        *,
        amount: int,
        fee_id: str | None = None,
        actor: str = SYSTEM,
        due_date: date | None = None,
    ) -> Charge:
        fee_id = fee_id or f"late_{charge_id}"
        try:
            return self._ledger_update(resident_id, lambda ledger: ledger.apply_late_fee(
                fee_id=fee_id, late_fee_for=charge_id, amount=amount, actor=actor,
                due_date=due_date))
        except AlreadyRecorded as repeat:
            return self._posted_before(resident_id, repeat.record)
        except FactLeftState as paid:  # the fee exists, paid and out of the state
            return self._posted_before(resident_id, self._charge_record(resident_id,
                                                                         paid.fact_id))

    def apply_credit(
        self,
        resident_id: str,
        *,
        amount: int,
        reason: str,
        actor: str,
        credit_id: str | None = None,
    ) -> int:
        """Credit the resident once per credit id (for ever); returns the balance after."""
        credit_id = credit_id or new_id("crd")
        try:
            return self._ledger_update(resident_id, lambda ledger: ledger.apply_credit(
                credit_id=credit_id, amount=amount, reason=reason, actor=actor))
        except AlreadyRecorded:
            return self._ledger_update(resident_id, lambda ledger: ledger.balance)
