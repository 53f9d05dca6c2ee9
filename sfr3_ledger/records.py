"""The records an aggregate keeps about each fact: what queries and snapshots read.

They are mutable attrs classes owned by their aggregate: only the aggregate's event
handlers change them. Snapshots store them through `transcodings.py`.
"""

from __future__ import annotations

from datetime import date, datetime

import attrs

from sfr3_ledger.mandate_acceptance import MandateAcceptance
from sfr3_ledger.values import ChargeType, DisputeStatus, MethodType, PaymentStatus


@attrs.define
class Charge:
    charge_id: str
    charge_type: ChargeType = attrs.field(converter=ChargeType)
    amount: int
    description: str
    due_date: date | None
    posted_at: datetime
    posted_by: str
    property_id: str
    us_state: str
    # The charge a LATE_FEE was assessed on (once per charge cycle).
    late_fee_for: str | None = None
    # Which payment or credit paid how much of this charge, and when it was last paid.
    paid_by: dict[str, int] = attrs.Factory(dict)
    paid_at: datetime | None = None
    # The late fee assessed on it, kept with the charge while it is out of the ledger's
    # state (paid_charges.py); in the state, `ResidentLedger.late_fees` holds the link.
    late_fee_id: str | None = None

    @property
    def effective_due(self) -> date:
        return self.due_date or self.posted_at.date()

    @property
    def paid(self) -> int:
        return sum(self.paid_by.values())

    @property
    def remaining(self) -> int:
        return self.amount - self.paid


@attrs.define
class RefundRequest:
    """A refund we asked the provider for, reserved before the call so two never overlap.

    `requested` is what the caller asked for (None = all that remained), `amount` what
    was reserved. PENDING until the provider's refund is recorded (COMPLETED, under
    `refund_id`) or the provider refused it (FAILED, with `reason`).
    """

    request_id: str
    amount: int
    requested: int | None
    requested_at: datetime
    requested_by: str
    status: str = "PENDING"
    refund_id: str | None = None
    reason: str | None = None


@attrs.define
class PaymentAttempt:
    """One failed attempt of a payment (its own PaymentIntent), kept for the history."""

    number: int
    amount: int
    stripe_ref: str | None
    reason: str
    failed_at: datetime
    retry_at: datetime | None = None


@attrs.define
class Payment:
    payment_id: str
    amount: int
    method_id: str
    status: PaymentStatus = attrs.field(converter=PaymentStatus)
    initiated_at: datetime
    initiated_by: str
    property_id: str
    us_state: str
    stripe_ref: str | None = None
    settled_at: datetime | None = None
    failed_at: datetime | None = None
    failure_reason: str | None = None
    refunded: int = 0
    charged_back: int = 0
    refunds: dict[str, int] = attrs.Factory(dict)
    # Refunds asked of the provider and not yet recorded: reserved against `refundable`.
    refund_pending: int = 0
    refund_requests: dict[str, RefundRequest] = attrs.Factory(dict)
    # Retries (sfr3_ledger/attempts.py): the attempt under way or last made, the failed
    # ones, when the next is due, and how retrying ended (SCHEDULED, EXHAUSTED,
    # CANCELLED: <why>, or None: never failed or not retryable).
    attempt: int = 1
    attempts: list[PaymentAttempt] = attrs.Factory(list)
    retry_at: datetime | None = None
    retry_status: str | None = None
    # The ACH mandate an off-session debit is made under (autopay); every attempt and
    # re-drive of the payment sends it, so the idempotency key always sees the same request.
    mandate_id: str | None = None
    # The resident's own acceptance of an on-session bank debit (a manual ACH payment):
    # recorded once at the reservation and sent as `mandate_data` by every attempt and
    # re-drive, so each idempotency key always sees the same request.
    mandate_acceptance: MandateAcceptance | None = None

    @property
    def unrefunded(self) -> int:
        """What the provider could still refund: settled less refunds and chargebacks."""
        if self.status not in (PaymentStatus.SETTLED, PaymentStatus.PARTIALLY_REFUNDED):
            return 0
        return self.amount - self.refunded - self.charged_back

    @property
    def refundable(self) -> int:
        """What a new refund request may ask for: `unrefunded` less requests in flight."""
        return max(self.unrefunded - self.refund_pending, 0)

    def complete_refund_request(self, request_id: str, refund_id: str) -> None:
        """Release a PENDING request's reservation: its refund is now a recorded fact."""
        request = self.refund_requests.get(request_id)
        if request is not None and request.status == "PENDING":
            self.refund_pending -= request.amount
            request.status, request.refund_id = "COMPLETED", refund_id

    @property
    def net_collected(self) -> int:
        """What of this payment we still hold: settled less refunds and chargebacks."""
        if self.status in (PaymentStatus.PENDING, PaymentStatus.FAILED):
            return 0
        return self.amount - self.refunded - self.charged_back


@attrs.define
class Credit:
    credit_id: str
    amount: int
    reason: str
    applied_at: datetime
    applied_by: str


@attrs.define
class Dispute:
    dispute_id: str
    payment_id: str
    amount: int
    reason: str
    status: DisputeStatus = attrs.field(converter=DisputeStatus)
    opened_at: datetime
    closed_at: datetime | None = None
    chargeback: int = 0


@attrs.define
class PaymentMethod:
    method_id: str
    provider_id: str
    method_type: MethodType = attrs.field(converter=MethodType)
    last4: str
    label: str
    brand: str | None
    is_default: bool
    enrolled_at: datetime
    removed_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.removed_at is None
