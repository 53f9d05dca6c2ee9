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
- a new charge takes what is waiting in `unallocated` first.

These functions change the ledger in place and must only be called from an event's
`apply` (directly or through those methods), so a replay recomputes the same result.
"""

from __future__ import annotations

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
