"""The resident ledger: one aggregate per resident, the consistency boundary for money.

Every fact that moves a resident's balance (charges, payments, refunds, chargebacks, late
fees, credits) is an event of this one aggregate. That is deliberate: the overpayment rule
compares a new payment with the balance *and* the payments still pending, so both must be
read and written under one optimistic-concurrency version. Two racing payments then
cannot both be appended at the same version: the loser is retried against fresh state and
sees the winner's pending payment.

Commands validate and trigger events; events' `apply` methods are the only code that
changes state, so replaying the stored events rebuilds exactly the same object. Commands
that repeat a fact already recorded (same id, same content) change nothing: webhooks and
retries deliver facts more than once.

This module holds the aggregate: its state, events and commands. Stored events and
snapshots name their classes by topic (`sfr3_ledger.ledger:ResidentLedger.ChargePosted`),
so the aggregate and its nested events stay here under these names (checked by
tests/ledger/test_stored_topics.py). What the commands decide and what the events' `apply`
change lives beside it, one module per concept, called from here: `charges` (charges,
late fees, credits), `payments`, `attempts` (retries), `refunds`, `disputes`,
`allocation`, `archiving` and `validation`; the balance as of a past instant, folded
from the stored events, is `balances`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from sfr3_ledger import allocation, archiving, attempts, charges, disputes, payments, refunds
from sfr3_ledger.allocation import Allocation, OutstandingCharge
from sfr3_ledger.archiving import ARCHIVE_AFTER_DAYS
from sfr3_ledger.mandate_acceptance import MandateAcceptance
from sfr3_ledger.records import Charge, Credit, Dispute, Payment
from sfr3_ledger.refunds import REFUND_DUPLICATE_WINDOW
from sfr3_ledger.values import SYSTEM

# What other modules import from here (some of it is defined next door).
__all__ = [
    "ARCHIVE_AFTER_DAYS", "LEDGER_NAMESPACE", "REFUND_DUPLICATE_WINDOW", "SYSTEM", "Allocation",
    "OutstandingCharge", "ResidentLedger",
]

LEDGER_NAMESPACE = UUID("4b0d5d0e-5a3c-4c52-9a57-0b8a3f1f5e21")


class ResidentLedger(Aggregate):
    """All money facts of one resident. Balance > 0 means the resident owes us."""

    @staticmethod
    def create_id(resident_id: str) -> UUID:
        return uuid5(LEDGER_NAMESPACE, resident_id)

    # Read by ledgers from before the rule until their `PaidChargesLeave` (old snapshots).
    paid_charges_leave: bool = False

    @event("Opened")
    def __init__(
        self, resident_id: str, property_id: str, us_state: str,
        paid_charges_leave: bool = False,
    ) -> None:
        self.resident_id = resident_id
        self.property_id = property_id
        self.us_state = us_state
        self.balance = 0
        self.pending_total = 0
        self.charges: dict[str, Charge] = {}
        self.payments: dict[str, Payment] = {}
        self.disputes: dict[str, Dispute] = {}
        self.credits: dict[str, Credit] = {}
        self.refund_index: dict[str, str] = {}  # refund id -> payment id
        self.late_fees: dict[str, str] = {}  # charge id -> late fee charge id
        # Money received but not matched to a charge yet (an overpayment waits here for
        # the next charge), by source, and money reinstated against archived charges.
        self.unallocated: dict[str, int] = {}
        self.unassigned_debt = 0
        # 0 keeps every fact in state (the full-history view used for old records).
        self.archive_after_days = ARCHIVE_AFTER_DAYS
        self.archived_at: datetime | None = None
        self.archived_payments = 0
        # Paid charges leave the state for the resident's book (paid_charges.py).
        self.paid_charges_leave = paid_charges_leave

    # ---- events -------------------------------------------------------------------

    class Event(Aggregate.Event):
        """The ledger's base event, defined here rather than by eventsourcing: events that
        subclass it are made dataclasses once instead of being redefined under it
        (half the event classes to build at import; docs/operations.md)."""

    class LedgerEvent(Event):
        """Every ledger fact records whose, who, where (property, US state) and when.

        `resident_id` is on every event (not only `Opened`) so a consumer of one event,
        such as the stream processor, needs no lookup to say whose money moved.
        """

        resident_id: str
        actor: str
        property_id: str
        us_state: str

        def balance_effect(self) -> int:
            """Signed cents this fact adds to the balance (charges +, payments -)."""
            return 0

        def apply(self, aggregate: Any) -> None:
            raise NotImplementedError

    class ChargePosted(LedgerEvent):
        charge_id: str
        charge_type: str
        amount: int
        description: str
        due_date: date | None

        def balance_effect(self) -> int:
            return self.amount

        def apply(self, aggregate: Any) -> None:
            charges.applied_charge_posted(aggregate, self)

    class LateFeeApplied(LedgerEvent):
        charge_id: str  # the late fee's own charge id
        late_fee_for: str  # the overdue charge
        amount: int
        description: str
        # The property-local day it was assessed on (the job's day); older events: None.
        due_date: date | None = None

        def balance_effect(self) -> int:
            return self.amount

        def apply(self, aggregate: Any) -> None:
            charges.applied_late_fee(aggregate, self)

    class PaymentInitiated(LedgerEvent):
        payment_id: str
        amount: int
        method_id: str
        # The ACH mandate of an autopay debit (None: on-session, or stored before mandates).
        mandate_id: str | None = None
        # A manual ACH payment's online acceptance (None: a card, autopay, or stored
        # before manual ACH payments recorded one: those are re-driven as they were sent).
        mandate_acceptance: MandateAcceptance | None = None

        def apply(self, aggregate: Any) -> None:
            payments.applied_initiated(aggregate, self)

    class PaymentSubmitted(LedgerEvent):
        """The provider accepted the payment for processing under `stripe_ref`."""

        payment_id: str
        stripe_ref: str

        def apply(self, aggregate: Any) -> None:
            payments.applied_submitted(aggregate, self)

    class PaymentSettled(LedgerEvent):
        payment_id: str
        amount: int
        stripe_ref: str | None

        def balance_effect(self) -> int:
            return -self.amount

        def apply(self, aggregate: Any) -> None:
            payments.applied_settled(aggregate, self)

    class PaymentFailed(LedgerEvent):
        payment_id: str
        amount: int
        reason: str
        stripe_ref: str | None
        # The attempt that failed and the retry policy's decision (attempts.py); None on
        # events stored before retries existed.
        attempt: int | None = None
        retry_at: datetime | None = None
        retryable: bool | None = None

        def apply(self, aggregate: Any) -> None:
            payments.applied_failed(aggregate, self)

    class PaymentPermanentlyFailed(LedgerEvent):
        """A retryable payment failed on its last attempt: no more are made."""

        payment_id: str
        amount: int
        attempts: int
        reason: str
        method_id: str

        def apply(self, aggregate: Any) -> None:
            attempts.applied_retry_ended(aggregate.payments[self.payment_id],
                                         attempts.EXHAUSTED)

    class PaymentRetryStarted(LedgerEvent):
        """The next attempt of a failed payment: `amount` is reserved again (PENDING)."""

        payment_id: str
        attempt: int
        amount: int
        method_id: str

        def apply(self, aggregate: Any) -> None:
            attempts.applied_retry_started(aggregate, aggregate.payments[self.payment_id],
                                           self.attempt, self.amount)

    class PaymentRetryCancelled(LedgerEvent):
        payment_id: str
        attempt: int
        reason: str

        def apply(self, aggregate: Any) -> None:
            attempts.applied_retry_ended(aggregate.payments[self.payment_id],
                                         f"{attempts.CANCELLED}: {self.reason}")

    class PaymentRecovered(LedgerEvent):
        """The recovery job resolved a payment left PENDING (a crash or a lost webhook)."""

        payment_id: str
        attempt: int
        action: str
        outcome: str
        stripe_ref: str | None

        def apply(self, aggregate: Any) -> None:
            pass

    class RefundRequested(LedgerEvent):
        """A refund is about to be asked of the provider: `amount` is reserved until then."""

        request_id: str
        payment_id: str
        amount: int
        requested: int | None

        def apply(self, aggregate: Any) -> None:
            refunds.applied_requested(aggregate, self)

    class RefundRequestFailed(LedgerEvent):
        """The provider refused the refund: nothing moved, the reservation is released."""

        request_id: str
        payment_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            refunds.applied_request_failed(aggregate, self)

    class RefundRequestCompleted(LedgerEvent):
        """The request's refund was already recorded (its webhook came first)."""

        request_id: str
        payment_id: str
        refund_id: str

        def apply(self, aggregate: Any) -> None:
            refunds.applied_request_completed(aggregate, self)

    class RefundApplied(LedgerEvent):
        refund_id: str
        payment_id: str
        amount: int
        stripe_ref: str | None
        # The request this refund answers (None for refunds made outside our API).
        request_id: str | None = None

        def balance_effect(self) -> int:
            return self.amount

        def apply(self, aggregate: Any) -> None:
            refunds.applied_refund(aggregate, self)

    class DisputeOpened(LedgerEvent):
        dispute_id: str
        payment_id: str
        amount: int
        reason: str

        def apply(self, aggregate: Any) -> None:
            disputes.applied_opened(aggregate, self)

    class DisputeEvidenceSubmitted(LedgerEvent):
        dispute_id: str

        def apply(self, aggregate: Any) -> None:
            disputes.applied_evidence_submitted(aggregate, self)

    class DisputeWon(LedgerEvent):
        dispute_id: str

        def apply(self, aggregate: Any) -> None:
            disputes.applied_won(aggregate, self)

    class ChargebackApplied(LedgerEvent):
        """A dispute was lost: the money left us, so the amount is owed again."""

        dispute_id: str
        payment_id: str
        amount: int

        def balance_effect(self) -> int:
            return self.amount

        def apply(self, aggregate: Any) -> None:
            disputes.applied_chargeback(aggregate, self)

    class CreditApplied(LedgerEvent):
        credit_id: str
        amount: int
        reason: str

        def balance_effect(self) -> int:
            return -self.amount

        def apply(self, aggregate: Any) -> None:
            charges.applied_credit(aggregate, self)

    class ChargesReinstated(LedgerEvent):
        """Paid charges (out of the state, paid_charges.py) back as they were, just before
        the reversal that re-opens them (at most charges.REINSTATED_PER_EVENT per event)."""

        charges: list[Charge]

        def apply(self, aggregate: Any) -> None:
            allocation.reinstate(aggregate, self.charges)

    class PaidChargesLeave(LedgerEvent):
        """From here on a charge paid in full leaves the state (paid_charges.py): the
        ledger's paid charges leave it now. Once, on a ledger opened before that rule."""

        def apply(self, aggregate: Any) -> None:
            aggregate.paid_charges_leave = True
            allocation.depart_paid(aggregate)

    # ---- allocation.py and archiving.py (called only from events' apply) ------------

    _fund = allocation.fund
    _unfund = allocation.unfund
    _archive = archiving.archive

    def _charge_added(self, charge: Charge, at: datetime) -> None:
        allocation.charge_added(self, charge, at)
        self._archive(at)

    def _trigger(self, event_class: type[LedgerEvent], actor: str, **kwargs: Any) -> None:
        kwargs.setdefault("resident_id", self.resident_id)
        kwargs.setdefault("property_id", self.property_id)
        kwargs.setdefault("us_state", self.us_state)
        self.trigger_event(event_class, actor=actor, **kwargs)

    # ---- commands -------------------------------------------------------------------

    # Commands are plain functions of the ledger, kept in their concept's module and bound
    # here as methods of the same name: charges and credits (charges.py), a payment's life
    # (payments.py), its retries (attempts.py), refunds (refunds.py), disputes (disputes.py).
    post_charge = charges.post_charge
    apply_late_fee = charges.apply_late_fee
    apply_credit = charges.apply_credit
    initiate_payment = payments.initiate_payment
    record_submission = payments.record_submission
    settle_payment = payments.settle_payment
    fail_payment = payments.fail_payment
    start_retry = attempts.start_retry
    cancel_retry = attempts.cancel_retry
    record_recovery = attempts.record_recovery
    refundable_amount = refunds.refundable_amount
    request_refund = refunds.request_refund
    fail_refund_request = refunds.fail_refund_request
    apply_refund = refunds.apply_refund
    open_dispute = disputes.open_dispute
    submit_dispute_evidence = disputes.submit_dispute_evidence
    close_dispute = disputes.close_dispute

    # Paid charges out of the state and back (charges.py, paid_charges.py).
    _reinstate = charges.reinstate_paid
    leave_paid_charges = charges.leave_paid_charges

    # ---- queries --------------------------------------------------------------------

    @property
    def payable(self) -> int:
        """What a new payment may still cover: the balance less payments in flight."""
        return self.balance - self.pending_total

    # A payment or dispute by id and the payments in a window (payments.py, disputes.py);
    # which money paid which charge (allocation.py); whether state still holds the payments
    # since a date, or some were archived (archiving.py).
    get_payment = payments.get_payment
    payment_history = payments.payment_history
    get_dispute = disputes.get_dispute
    allocations = allocation.allocations
    outstanding_charges = allocation.outstanding_charges
    holds_payments_since = archiving.holds_payments_since

