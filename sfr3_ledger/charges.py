"""What the resident owes and what we forgive: charges, late fees and credits.

The commands and state changes of ResidentLedger's charge facts (ChargePosted,
LateFeeApplied, CreditApplied), kept out of ledger.py to keep it readable. Like
`refunds.py`, these are plain functions of the ledger: `ResidentLedger` binds each
command as a method of the same name (callers still write `ledger.post_charge(...)`),
and the events, nested in ResidentLedger where their stored topics point, call the
`applied_*` functions here from their `apply`, the only code that changes state.

A charge or credit repeated with the same id and content is the same fact (a retried
request) and changes nothing; the same id with other content is a conflict.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sfr3_ledger.errors import ChargeNotFound, ConflictingFact, FactLeftState, InvalidCommand
from sfr3_ledger.records import Charge, Credit
from sfr3_ledger.validation import valid_text, valid_us_state
from sfr3_ledger.values import SYSTEM, ChargeType, cents

if TYPE_CHECKING:
    from sfr3_ledger.ledger import ResidentLedger

# Charges per ChargesReinstated event (~500 bytes each): well inside DynamoDB's 400 KB item.
REINSTATED_PER_EVENT = 200


# ---- state changes (called only from the events' apply) -----------------------------

def applied_charge_posted(ledger: ResidentLedger, event: ResidentLedger.ChargePosted) -> None:
    ledger.charges[event.charge_id] = Charge(
        charge_id=event.charge_id,
        charge_type=ChargeType(event.charge_type),
        amount=event.amount,
        description=event.description,
        due_date=event.due_date,
        posted_at=event.timestamp,
        posted_by=event.actor,
        property_id=event.property_id,
        us_state=event.us_state,
    )
    ledger.property_id = event.property_id
    ledger.us_state = event.us_state
    ledger.balance += event.amount
    ledger._charge_added(ledger.charges[event.charge_id], event.timestamp)


def applied_late_fee(ledger: ResidentLedger, event: ResidentLedger.LateFeeApplied) -> None:
    ledger.charges[event.charge_id] = Charge(
        charge_id=event.charge_id,
        charge_type=ChargeType.LATE_FEE,
        amount=event.amount,
        description=event.description,
        due_date=event.due_date or event.timestamp.date(),
        posted_at=event.timestamp,
        posted_by=event.actor,
        property_id=event.property_id,
        us_state=event.us_state,
        late_fee_for=event.late_fee_for,
    )
    ledger.late_fees[event.late_fee_for] = event.charge_id
    ledger.balance += event.amount
    ledger._charge_added(ledger.charges[event.charge_id], event.timestamp)


def applied_credit(ledger: ResidentLedger, event: ResidentLedger.CreditApplied) -> None:
    ledger.credits[event.credit_id] = Credit(
        credit_id=event.credit_id,
        amount=event.amount,
        reason=event.reason,
        applied_at=event.timestamp,
        applied_by=event.actor,
    )
    ledger.balance -= event.amount
    ledger._fund(event.credit_id, event.amount, event.timestamp)
    ledger._archive(event.timestamp)


# ---- commands -------------------------------------------------------------------------

def post_charge(
    ledger: ResidentLedger,
    *,
    charge_id: str,
    charge_type: str,
    amount: int,
    description: str,
    due_date: date | None,
    actor: str,
    property_id: str | None = None,
    us_state: str | None = None,
) -> Charge:
    """Post a charge once; it may move the ledger to another property or US state."""
    amount = cents(amount)
    try:
        kind = ChargeType(charge_type)
    except ValueError:
        allowed = ", ".join(t.value for t in ChargeType)
        raise InvalidCommand(f"chargeType must be one of {allowed}") from None
    description = valid_text(description, "description")
    if due_date is not None and (
        not isinstance(due_date, date) or isinstance(due_date, datetime)
    ):
        raise InvalidCommand("dueDate must be a date (YYYY-MM-DD)")
    us_state = valid_us_state(us_state)
    existing = ledger.charges.get(charge_id)
    if existing is not None:
        same = (existing.amount, existing.charge_type, existing.description)
        if same != (amount, kind, description):
            raise ConflictingFact(f"Charge {charge_id} was already posted with other details")
        return existing
    ledger._trigger(
        ledger.ChargePosted,
        actor,
        charge_id=charge_id,
        charge_type=kind.value,
        amount=amount,
        description=description,
        due_date=due_date,
        property_id=property_id if property_id is not None else ledger.property_id,
        us_state=us_state if us_state is not None else ledger.us_state,
    )
    return ledger.charges[charge_id]


def apply_late_fee(
    ledger: ResidentLedger,
    *,
    fee_id: str,
    late_fee_for: str,
    amount: int,
    actor: str = SYSTEM,
    due_date: date | None = None,
) -> Charge:
    """Assess a late fee on `late_fee_for`; a second fee for the same charge is a no-op."""
    amount = cents(amount)
    if late_fee_for not in ledger.charges:
        raise ChargeNotFound(late_fee_for)
    if late_fee_for in ledger.late_fees:
        fee = ledger.charges.get(ledger.late_fees[late_fee_for])
        if fee is None:  # paid, and out of the state (paid_charges.py)
            raise FactLeftState(ledger.late_fees[late_fee_for])
        return fee
    if fee_id in ledger.charges:
        raise ConflictingFact(f"Charge {fee_id} already exists")
    overdue = ledger.charges[late_fee_for]
    ledger._trigger(
        ledger.LateFeeApplied,
        actor,
        charge_id=fee_id,
        late_fee_for=late_fee_for,
        amount=amount,
        description=f"Late fee: {overdue.description}",
        due_date=due_date,
        property_id=overdue.property_id,
        us_state=overdue.us_state,
    )
    return ledger.charges[fee_id]


def apply_credit(
    ledger: ResidentLedger, *, credit_id: str, amount: int, reason: str, actor: str
) -> int:
    """Credit the resident once per credit id; returns the balance after it."""
    amount = cents(amount)
    reason = valid_text(reason, "reason")
    if credit_id in ledger.credits:
        if ledger.credits[credit_id].amount != amount:
            raise ConflictingFact(f"Credit {credit_id} was already applied with other details")
        return ledger.balance
    ledger._trigger(ledger.CreditApplied, actor, credit_id=credit_id, amount=amount, reason=reason)
    return ledger.balance


def reinstate_paid(ledger: ResidentLedger, charges: list[Charge]) -> None:
    """Bring back the paid charges (out of the state, paid_charges.py) that a reversal
    about to be triggered reaches, in events small enough for any store."""
    for start in range(0, len(charges), REINSTATED_PER_EVENT):
        ledger._trigger(ledger.ChargesReinstated, SYSTEM,
                        charges=charges[start:start + REINSTATED_PER_EVENT])


def leave_paid_charges(ledger: ResidentLedger) -> None:
    """Adopt the rule that paid charges leave the state (a ledger opened before it)."""
    if not ledger.paid_charges_leave:
        ledger._trigger(ledger.PaidChargesLeave, SYSTEM)
