"""The ledger laws' reference model: the ledger as plain arithmetic, and the agreement check.

`laws.py` drives random histories through the application and keeps this model in step
with what each step should have done; after every step `check_agreement` compares the
stored ledger with it (balance, pending, every payment, allocation to the cent), replays
the stored events to the same state, and checks no fact was applied twice. Kept apart
from the state machine so the rules of the model read on their own. Needs `hypothesis`
(the `testing` extra) for the amounts the laws draw.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import attrs

from sfr3_ledger.laws_support import st
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.values import PaymentStatus

AMOUNTS = st.integers(min_value=1, max_value=300_000)


@attrs.define
class ModelPayment:
    amount: int
    status: PaymentStatus = PaymentStatus.PENDING
    refunded: int = 0
    charged_back: int = 0
    refunds: dict[str, int] = attrs.Factory(dict)
    # Refund requests in flight (reserved, not yet recorded): request id -> amount.
    requests: dict[str, int] = attrs.Factory(dict)

    @property
    def unrefunded(self) -> int:
        """What a refund *fact* may still take (the provider's own limit)."""
        if self.status not in (PaymentStatus.SETTLED, PaymentStatus.PARTIALLY_REFUNDED):
            return 0
        return self.amount - self.refunded - self.charged_back

    @property
    def refundable(self) -> int:
        """What a new refund *request* may ask for: requests in flight are reserved."""
        return max(self.unrefunded - sum(self.requests.values()), 0)

    def record_refund(self, refund_id: str, amount: int) -> None:
        self.refunded += amount
        self.refunds[refund_id] = amount
        self.status = (
            PaymentStatus.REFUNDED
            if self.refunded + self.charged_back >= self.amount
            else PaymentStatus.PARTIALLY_REFUNDED
        )


@attrs.define
class Model:
    """The ledger as arithmetic: what every backend must agree with."""

    charges: int = 0
    late_fees: int = 0
    refunds: int = 0
    chargebacks: int = 0
    settled: int = 0
    credits: int = 0
    pending: int = 0
    # Only staff credits and a late success of a failed payment may push the payable
    # balance below zero; `floor` is the lowest those have taken it.
    floor: int = 0
    payments: dict[str, ModelPayment] = attrs.Factory(dict)
    rent_charges: list[str] = attrs.Factory(list)
    fined: set[str] = attrs.Factory(set)
    history: list[tuple[datetime, int]] = attrs.Factory(list)

    @property
    def balance(self) -> int:
        return (
            self.charges
            + self.late_fees
            + self.refunds
            + self.chargebacks
            - self.settled
            - self.credits
        )

    @property
    def payable(self) -> int:
        return self.balance - self.pending


def check_agreement(ledger: ResidentLedger, model: Model, events: Sequence[object]) -> None:
    """The stored ledger agrees with the model; its `events` replay to it, each fact once."""
    # The ledger agrees with the arithmetic of the model.
    assert ledger.balance == model.balance
    assert ledger.pending_total == model.pending
    assert ledger.payable >= model.floor, "payments overdrew the balance"
    assert set(ledger.payments) == set(model.payments)
    for pid, expected in model.payments.items():
        actual = ledger.payments[pid]
        assert actual.status == expected.status
        assert actual.refunded == expected.refunded
        assert actual.refund_pending == sum(expected.requests.values())
        assert actual.refundable == expected.refundable
        assert actual.refunded + actual.charged_back <= actual.amount
    # Allocation accounts for every cent: what charges still owe, plus money
    # reinstated against archived charges, less money waiting for a charge.
    outstanding = ledger.outstanding_charges()
    assert all(o.remaining > 0 for o in outstanding)
    owed = sum(o.remaining for o in outstanding)
    waiting = sum(ledger.unallocated.values())
    assert owed + ledger.unassigned_debt - waiting == ledger.balance

    # Reloading from the stored events alone (no snapshot) gives the same state.
    replayed: ResidentLedger | None = None
    for domain_event in events:
        assert isinstance(domain_event, ResidentLedger.Event)
        replayed = domain_event.mutate(replayed)
    assert replayed is not None
    assert state_of(replayed) == state_of(ledger)

    # No fact is applied twice.
    keys: Counter[tuple[str, str]] = Counter()
    for e in events:
        field = FACT_KEYS.get(type(e))
        if field is not None:
            keys[(type(e).__name__, getattr(e, field))] += 1
    assert not [k for k, n in keys.items() if n > 1], keys.most_common(3)


# Each fact's identity: a second event with the same key would be a fact applied twice.
FACT_KEYS: dict[type[object], str] = {
    ResidentLedger.ChargePosted: "charge_id",
    ResidentLedger.LateFeeApplied: "late_fee_for",
    ResidentLedger.PaymentInitiated: "payment_id",
    ResidentLedger.PaymentSubmitted: "payment_id",
    ResidentLedger.PaymentSettled: "payment_id",
    ResidentLedger.PaymentFailed: "payment_id",
    ResidentLedger.RefundApplied: "refund_id",
    ResidentLedger.RefundRequested: "request_id",
    ResidentLedger.RefundRequestFailed: "request_id",
    ResidentLedger.RefundRequestCompleted: "request_id",
    ResidentLedger.DisputeOpened: "dispute_id",
    ResidentLedger.DisputeEvidenceSubmitted: "dispute_id",
    ResidentLedger.DisputeWon: "dispute_id",
    ResidentLedger.ChargebackApplied: "dispute_id",
    ResidentLedger.CreditApplied: "credit_id",
}


def state_of(aggregate: object) -> dict[str, object]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


__all__ = ["AMOUNTS", "FACT_KEYS", "Model", "ModelPayment", "check_agreement", "state_of"]
