"""Archiving: finished facts leave the ledger's state so a load costs the same for ever.

A resident's events stay in the store for ever, but a payment settled two years ago
need not be in the aggregate (nor in every snapshot) that each new command loads. Once
a day at most, the events' `apply` methods (through `ResidentLedger._archive`) drop the
payments, charges, disputes and credits that finished before the archive window and can
no longer change. `LedgerApplication.full_history` replays with archiving off
(`archive_after_days = 0`) when a query needs an archived fact.

It lives apart from ledger.py so the aggregate's module holds its events and commands,
and so the whole "what may leave state, and when" rule can be read in one place.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sfr3_ledger.values import DisputeStatus, PaymentStatus

if TYPE_CHECKING:
    from sfr3_ledger.ledger import ResidentLedger

# Facts finished longer ago than this leave the aggregate's state (their events stay in
# the store forever), so a load costs the same after 10 or 5,000 events. 540 days is past
# every window in which a card network or bank can still reverse a payment.
ARCHIVE_AFTER_DAYS = 540


def archive(ledger: ResidentLedger, now: datetime) -> None:
    """Drop facts finished before the archive window; at most one sweep a day."""
    if not ledger.archive_after_days:
        return
    if ledger.archived_at is not None and now - ledger.archived_at < timedelta(days=1):
        return
    ledger.archived_at = now
    cutoff = now - timedelta(days=ledger.archive_after_days)
    open_disputes = {
        d.payment_id
        for d in ledger.disputes.values()
        if d.status in (DisputeStatus.OPEN, DisputeStatus.UNDER_REVIEW)
    }
    for pid, payment in list(ledger.payments.items()):
        finished = payment.settled_at or payment.failed_at
        if (
            payment.status != PaymentStatus.PENDING
            and finished is not None
            and finished < cutoff
            and pid not in open_disputes
            and pid not in ledger.unallocated
        ):
            del ledger.payments[pid]
            ledger.archived_payments += 1
            for refund_id in payment.refunds:
                ledger.refund_index.pop(refund_id, None)
    for charge_id, charge in list(ledger.charges.items()):
        if not charge.remaining and (charge.paid_at or charge.posted_at) < cutoff:
            del ledger.charges[charge_id]
            ledger.late_fees.pop(charge_id, None)
    for did, dispute in list(ledger.disputes.items()):
        if dispute.closed_at is not None and dispute.closed_at < cutoff:
            del ledger.disputes[did]
    for credit_id, credit in list(ledger.credits.items()):
        if credit.applied_at < cutoff and credit_id not in ledger.unallocated:
            del ledger.credits[credit_id]


def holds_payments_since(ledger: ResidentLedger, start: datetime | None) -> bool:
    """Whether every payment initiated at or after `start` is still in the ledger's state."""
    if not ledger.archived_payments:
        return True
    if start is None or ledger.archived_at is None:
        return False
    return start >= ledger.archived_at - timedelta(days=ledger.archive_after_days)
