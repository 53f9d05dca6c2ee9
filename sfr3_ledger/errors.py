"""Domain errors. Each is a rule of the business, so adapters map them to 4xx answers.

`LedgerError.code` is stable and machine-readable; `str(error)` is the human message the
API returns as `error`.
"""

from __future__ import annotations


class LedgerError(Exception):
    """A command was refused by a business rule; nothing was recorded."""

    code = "ledger_error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def details(self) -> dict[str, object]:
        """Extra fields for the API's error body."""
        return {}


class InvalidAmount(LedgerError):
    code = "invalid_amount"


class InvalidCommand(LedgerError):
    code = "invalid_request"


class NoBalanceDue(LedgerError):
    code = "no_balance_due"

    def __init__(self) -> None:
        super().__init__("No balance due")


class AmountExceedsBalance(LedgerError):
    """`balance` is what may still be paid: the balance less payments still PENDING."""

    code = "amount_exceeds_balance"

    def __init__(self, balance: int, pending: int = 0) -> None:
        super().__init__("Amount exceeds current balance")
        self.balance = balance
        self.pending = pending

    def details(self) -> dict[str, object]:
        out: dict[str, object] = {"balance": self.balance}
        if self.pending:
            out["pendingPayments"] = self.pending
        return out


class NotFound(LedgerError):
    code = "not_found"
    status = 404


class PaymentNotFound(NotFound):
    code = "payment_not_found"

    def __init__(self, payment_id: str) -> None:
        super().__init__(f"Payment {payment_id} not found")


class PaymentMethodNotFound(NotFound):
    code = "payment_method_not_found"

    def __init__(self, method_id: str) -> None:
        super().__init__(f"Payment method {method_id} not found")


class DisputeNotFound(NotFound):
    code = "dispute_not_found"

    def __init__(self, dispute_id: str) -> None:
        super().__init__(f"Dispute {dispute_id} not found")


class ChargeNotFound(NotFound):
    code = "charge_not_found"

    def __init__(self, charge_id: str) -> None:
        super().__init__(f"Charge {charge_id} not found")


class PaymentNotRefundable(LedgerError):
    code = "payment_not_refundable"

    def __init__(self, payment_id: str, status: str) -> None:
        super().__init__(f"Payment {payment_id} is {status}; only SETTLED payments can be refunded")
        self.status_name = status

    def details(self) -> dict[str, object]:
        return {"status": self.status_name}


class RefundExceedsPayment(LedgerError):
    code = "refund_exceeds_payment"

    def __init__(self, refundable: int) -> None:
        super().__init__("Refund exceeds the refundable amount of the payment")
        self.refundable = refundable

    def details(self) -> dict[str, object]:
        return {"refundable": self.refundable}


class DuplicateRefund(LedgerError):
    """A refund identical to one just made for this payment, sent without an Idempotency-Key."""

    code = "duplicate_refund"
    status = 409

    def __init__(self, payment_id: str, refund_id: str | None, amount: int) -> None:
        super().__init__(
            "An identical refund of this payment was just made; send an Idempotency-Key "
            "to make another one deliberately"
        )
        self.payment_id, self.refund_id, self.amount = payment_id, refund_id, amount

    def details(self) -> dict[str, object]:
        return {"paymentId": self.payment_id, "refundId": self.refund_id, "amount": self.amount}


class ConflictingFact(LedgerError):
    """The same id was used before for a different fact: a client or integration bug."""

    code = "conflicting_fact"
    status = 409


class FactLeftState(Exception):
    """The command repeats a fact that is no longer in the ledger's state (a paid charge):
    the application answers it from the fact's record (fact_records.py)."""

    def __init__(self, fact_id: str) -> None:
        super().__init__(fact_id)
        self.fact_id = fact_id


class ConcurrencyConflict(LedgerError):
    """Too many writers raced on one resident; the command was not applied."""

    code = "concurrency_conflict"
    status = 409
