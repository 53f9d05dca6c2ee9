"""sfr3_ledger: the event-sourced resident ledger, with no AWS or Stripe imports.

    >>> from sfr3_ledger import LedgerApplication
    >>> app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    >>> charge = app.post_charge(
    ...     "res-1", amount=2100, charge_type="RENT", description="Rent", actor="pm-7"
    ... )

Persistence is chosen like any eventsourcing application: `PERSISTENCE_MODULE`
(`eventsourcing.popo`, `eventsourcing.sqlite` with `SQLITE_DBNAME`, or
`sfr3_adapters.dynamodb`).
"""

from sfr3_ledger.application import LedgerApplication, PaymentStarted
from sfr3_ledger.balances import balance_of
from sfr3_ledger.errors import (
    AmountExceedsBalance,
    ConcurrencyConflict,
    ConflictingFact,
    DuplicateRefund,
    InvalidAmount,
    InvalidCommand,
    LedgerError,
    NoBalanceDue,
    NotFound,
    PaymentMethodNotFound,
    PaymentNotFound,
    PaymentNotRefundable,
    RefundExceedsPayment,
)
from sfr3_ledger.late_fees import LateFeePolicy, late_fees_due
from sfr3_ledger.ledger import Allocation, OutstandingCharge, ResidentLedger
from sfr3_ledger.payment_methods import PaymentMethods
from sfr3_ledger.records import Charge, Dispute, Payment, PaymentMethod
from sfr3_ledger.values import (
    CURRENCY,
    MAX_AMOUNT_CENTS,
    ChargeType,
    DisputeStatus,
    MethodType,
    PaymentStatus,
    new_id,
)

__all__ = [
    "CURRENCY",
    "MAX_AMOUNT_CENTS",
    "Allocation",
    "AmountExceedsBalance",
    "Charge",
    "ChargeType",
    "ConcurrencyConflict",
    "ConflictingFact",
    "Dispute",
    "DisputeStatus",
    "DuplicateRefund",
    "InvalidAmount",
    "InvalidCommand",
    "LateFeePolicy",
    "LedgerApplication",
    "LedgerError",
    "MethodType",
    "NoBalanceDue",
    "NotFound",
    "OutstandingCharge",
    "Payment",
    "PaymentMethod",
    "PaymentMethodNotFound",
    "PaymentMethods",
    "PaymentNotFound",
    "PaymentNotRefundable",
    "PaymentStarted",
    "PaymentStatus",
    "RefundExceedsPayment",
    "ResidentLedger",
    "balance_of",
    "late_fees_due",
    "new_id",
]
