"""The dispute (chargeback) commands of ResidentLedger, kept out of ledger.py to keep it
readable.

A dispute is the resident's bank contesting a settled payment. It opens, may get our
evidence, and closes WON (nothing changes) or LOST: the money left us, so what we still
held of the payment is owed again (ChargebackApplied). Every step arrives from the
provider and may arrive twice, so each command is a no-op when its fact is already
recorded.

These are plain functions of the ledger; `ResidentLedger` exposes each as a method of the
same name, so callers still write `ledger.open_dispute(...)`. Like every command they
decide and trigger the aggregate's events; the events (defined in ledger.py, where their
stored topics point) are the only code that changes state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sfr3_ledger import allocation
from sfr3_ledger.errors import DisputeNotFound
from sfr3_ledger.records import Charge, Dispute
from sfr3_ledger.validation import valid_text
from sfr3_ledger.values import SYSTEM, DisputeStatus, cents

if TYPE_CHECKING:
    from sfr3_ledger.ledger import ResidentLedger


def get_dispute(ledger: ResidentLedger, dispute_id: str) -> Dispute:
    try:
        return ledger.disputes[dispute_id]
    except KeyError:
        raise DisputeNotFound(dispute_id) from None


def open_dispute(
    ledger: ResidentLedger, *, dispute_id: str, payment_id: str, amount: int, reason: str
) -> Dispute:
    """Record that the bank contests `amount` of a payment (once per dispute id)."""
    if dispute_id in ledger.disputes:
        return ledger.disputes[dispute_id]
    payment = ledger.get_payment(payment_id)
    ledger._trigger(
        ledger.DisputeOpened,
        SYSTEM,
        dispute_id=dispute_id,
        payment_id=payment_id,
        amount=cents(amount),
        reason=valid_text(reason or "general", "reason"),
        property_id=payment.property_id,
        us_state=payment.us_state,
    )
    return ledger.disputes[dispute_id]


def submit_dispute_evidence(ledger: ResidentLedger, *, dispute_id: str, actor: str) -> Dispute:
    """An OPEN dispute goes UNDER_REVIEW once we have answered it."""
    dispute = ledger.get_dispute(dispute_id)
    if dispute.status == DisputeStatus.OPEN:
        ledger._trigger(ledger.DisputeEvidenceSubmitted, actor, dispute_id=dispute_id)
    return dispute


def close_dispute(
    ledger: ResidentLedger, *, dispute_id: str, won: bool, paid_out: Sequence[Charge] = (),
) -> Dispute:
    """WON changes no balance; LOST reinstates what we still held of the payment, and
    re-opens the charges it paid (`paid_out`: those out of the state, as for a refund)."""
    dispute = ledger.get_dispute(dispute_id)
    if dispute.status in (DisputeStatus.WON, DisputeStatus.LOST):
        return dispute
    payment = ledger.payments[dispute.payment_id]
    if won:
        ledger._trigger(ledger.DisputeWon, SYSTEM, dispute_id=dispute_id)
    else:
        amount = min(dispute.amount, payment.net_collected)
        ledger._reinstate(allocation.reached_by(ledger, payment.payment_id, amount, paid_out))
        ledger._trigger(
            ledger.ChargebackApplied,
            SYSTEM,
            dispute_id=dispute_id,
            payment_id=payment.payment_id,
            amount=amount,
            property_id=payment.property_id,
            us_state=payment.us_state,
        )
    return dispute


# ---- state changes (called only from the events' apply) -----------------------------

def applied_opened(ledger: ResidentLedger, event: ResidentLedger.DisputeOpened) -> None:
    ledger.disputes[event.dispute_id] = Dispute(
        dispute_id=event.dispute_id,
        payment_id=event.payment_id,
        amount=event.amount,
        reason=event.reason,
        status=DisputeStatus.OPEN,
        opened_at=event.timestamp,
    )


def applied_evidence_submitted(
    ledger: ResidentLedger, event: ResidentLedger.DisputeEvidenceSubmitted
) -> None:
    ledger.disputes[event.dispute_id].status = DisputeStatus.UNDER_REVIEW


def applied_won(ledger: ResidentLedger, event: ResidentLedger.DisputeWon) -> None:
    dispute = ledger.disputes[event.dispute_id]
    dispute.status = DisputeStatus.WON
    dispute.closed_at = event.timestamp


def applied_chargeback(ledger: ResidentLedger, event: ResidentLedger.ChargebackApplied) -> None:
    dispute = ledger.disputes[event.dispute_id]
    dispute.status = DisputeStatus.LOST
    dispute.closed_at = event.timestamp
    dispute.chargeback = event.amount
    ledger.payments[event.payment_id].charged_back += event.amount
    ledger.balance += event.amount
    ledger._unfund(event.payment_id, event.amount)
