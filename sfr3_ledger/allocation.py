"""Which money paid which charge: the ledger's allocation rules, kept out of ledger.py.

Allocation is derived state: it is recomputed by the events' `apply` methods (through
the ResidentLedger methods `_fund`, `_unfund` and `_charge_added`) and is never stored as
a fact of its own. It lives here so ledger.py reads as the aggregate's events and
commands, and so the whole "oldest due first" policy can be read in one place:

- money in (a payment settles, a credit is applied) first covers debt reinstated against
  archived charges, then pays open charges oldest due first; any excess waits in
  `unallocated` for the next charge;
- money back out (a refund, a chargeback) undoes that source's allocations latest due
  first, and what it cannot undo becomes `unassigned_debt`;
- a new charge takes what is waiting in `unallocated` first;
- once the ledger's paid charges leave its state (`paid_charges_leave`), money in and
  money back out end with `depart_paid`: what is paid in full leaves the state for the
  resident's book (paid_charges.py), and the paid charges a reversal reaches are first
  `reinstate`d (ChargesReinstated), so it re-opens them as if they had never left.

These functions change the ledger in place and must only be called from an event's
`apply` (directly or through those methods), so a replay recomputes the same result.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import attrs

from sfr3_ledger.records import Charge

if TYPE_CHECKING:
    from sfr3_ledger.ledger import ResidentLedger


@attrs.frozen
class OutstandingCharge:
    charge: Charge
    remaining: int


@attrs.frozen
class Allocation:
    """`amount` of the funding source `source` (a payment or credit id) paid `charge_id`."""

    source: str
    charge_id: str
    amount: int


def due_order(charge: Charge) -> tuple[date, datetime]:
    """The order charges are paid in: earliest due first, then earliest posted."""
    return (charge.effective_due, charge.posted_at)


def fund(ledger: ResidentLedger, source: str, amount: int, at: datetime) -> None:
    """Money in: pay open charges, oldest due first; keep any excess for later charges."""
    take = min(amount, ledger.unassigned_debt)
    ledger.unassigned_debt -= take
    amount -= take
    for charge in sorted(ledger.charges.values(), key=due_order):
        if not amount:
            break
        take = min(amount, charge.remaining)
        if take > 0:
            charge.paid_by[source] = charge.paid_by.get(source, 0) + take
            charge.paid_at = at
            amount -= take
    if amount:
        ledger.unallocated[source] = ledger.unallocated.get(source, 0) + amount
    depart_paid(ledger)


def unfund(ledger: ResidentLedger, source: str, amount: int) -> None:
    """Money back out (refund, chargeback): undo that source's payments, latest due first."""
    held = ledger.unallocated.get(source, 0)
    take = min(amount, held)
    if take:
        if take == held:
            del ledger.unallocated[source]
        else:
            ledger.unallocated[source] = held - take
        amount -= take
    paid = [c for c in ledger.charges.values() if source in c.paid_by]
    for charge in sorted(paid, key=due_order, reverse=True):
        if not amount:
            break
        take = min(amount, charge.paid_by[source])
        charge.paid_by[source] -= take
        if not charge.paid_by[source]:
            del charge.paid_by[source]
        amount -= take
    ledger.unassigned_debt += amount
    depart_paid(ledger)


def depart_paid(ledger: ResidentLedger) -> None:
    """Charges paid in full leave the state (for the resident's book), taking their late
    fee's link with them. Only once the ledger's paid charges leave it, and never in a
    full-history replay (`archive_after_days == 0` keeps every fact in state)."""
    if not (ledger.paid_charges_leave and ledger.archive_after_days):
        return
    for charge_id, charge in list(ledger.charges.items()):
        if charge.remaining <= 0:
            del ledger.charges[charge_id]
            charge.late_fee_id = ledger.late_fees.pop(charge_id, None)


def reached_by(
    ledger: ResidentLedger, source: str, amount: int, paid_out: Sequence[Charge]
) -> list[Charge]:
    """Which of `paid_out` (charges `source` paid, out of the state) undoing `amount` of
    `source` reaches, in `unfund`'s order: what waits unallocated first, then latest due
    first among these and the charges in the state that `source` paid. Those are what the
    ChargesReinstated events bring back before the reversal; the rest stay paid, and out."""
    amount -= min(amount, ledger.unallocated.get(source, 0))
    candidates = [c for c in ledger.charges.values() if source in c.paid_by]
    out = {c.charge_id for c in paid_out}
    candidates += [c for c in paid_out if c.charge_id not in ledger.charges]
    reached: list[Charge] = []
    for charge in sorted(candidates, key=due_order, reverse=True):
        if amount <= 0:
            break
        amount -= charge.paid_by[source]
        if charge.charge_id in out:
            reached.append(charge)
    return reached


def reinstate(ledger: ResidentLedger, charges: Sequence[Charge] | None) -> None:
    """Paid charges a reversal reaches come back into the state (copies: the event's
    records never change), with their late fee's link; ones never gone stay as they are."""
    for charge in charges or ():
        if charge.charge_id in ledger.charges:
            continue
        ledger.charges[charge.charge_id] = attrs.evolve(
            charge, paid_by=dict(charge.paid_by), late_fee_id=None)
        if charge.late_fee_id is not None:
            ledger.late_fees[charge.charge_id] = charge.late_fee_id


def charge_added(ledger: ResidentLedger, charge: Charge, at: datetime) -> None:
    """A new charge takes money waiting in `unallocated`, in the order it arrived."""
    for source in list(ledger.unallocated):
        if not charge.remaining:
            break
        held = ledger.unallocated[source]
        take = min(held, charge.remaining)
        charge.paid_by[source] = charge.paid_by.get(source, 0) + take
        charge.paid_at = at
        if take == held:
            del ledger.unallocated[source]
        else:
            ledger.unallocated[source] = held - take


def allocations(ledger: ResidentLedger) -> list[Allocation]:
    """Which payment or credit paid which charge (charges oldest due first)."""
    return [
        Allocation(source=source, charge_id=charge.charge_id, amount=amount)
        for charge in sorted(ledger.charges.values(), key=due_order)
        for source, amount in charge.paid_by.items()
    ]


def outstanding_charges(ledger: ResidentLedger) -> list[OutstandingCharge]:
    """Charges not fully paid, oldest due first, with what remains of each."""
    return [
        OutstandingCharge(charge=c, remaining=c.remaining)
        for c in sorted(ledger.charges.values(), key=due_order)
        if c.remaining > 0
    ]
