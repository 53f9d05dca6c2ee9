"""Late-fee policy: which overdue rent charges owe a fee today, and how much.

The ledger itself guarantees "once per charge cycle" (a second fee for the same charge is
a no-op); this module only decides what is due, so a daily sweep can run it repeatedly.
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs

from sfr3_ledger.errors import InvalidCommand
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.values import ChargeType


@attrs.frozen
class LateFeePolicy:
    """Per property or lease: a grace period and either a flat fee or a percentage.

    `percent_bps` is in basis points of the overdue charge (500 = 5%), rounded half up
    to the cent; `cap_cents` bounds it (many states cap late fees).
    """

    grace_days: int = 5
    flat_cents: int | None = None
    percent_bps: int | None = None
    cap_cents: int | None = None

    def __attrs_post_init__(self) -> None:
        if (self.flat_cents is None) == (self.percent_bps is None):
            raise InvalidCommand("a late-fee policy is either flat or a percentage")
        if self.grace_days < 0:
            raise InvalidCommand("grace_days must be >= 0")

    def fee_for(self, charge_amount: int) -> int:
        if self.flat_cents is not None:
            fee = self.flat_cents
        else:
            assert self.percent_bps is not None
            fee = (charge_amount * self.percent_bps + 5_000) // 10_000
        if self.cap_cents is not None:
            fee = min(fee, self.cap_cents)
        return fee


def late_fees_due(
    ledger: ResidentLedger, policy: LateFeePolicy, today: date
) -> list[tuple[str, int]]:
    """(charge id, fee) for each RENT charge past its grace period, unpaid, not yet fined."""
    due: list[tuple[str, int]] = []
    for outstanding in ledger.outstanding_charges():
        charge = outstanding.charge
        if charge.charge_type != ChargeType.RENT or charge.charge_id in ledger.late_fees:
            continue
        if today > charge.effective_due + timedelta(days=policy.grace_days):
            fee = policy.fee_for(charge.amount)
            if fee > 0:
                due.append((charge.charge_id, fee))
    return due
