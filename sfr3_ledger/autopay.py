"""Autopay: a resident's standing instruction to pay the payable balance on a charge day.

Its own aggregate (one per resident, `AutopayEnrollment.create_id(resident_id)`): the
instruction changes on the resident's say, never with the ledger's version. The sweep
(sfr3_ledger/jobs.py) pays through the same path as the API (`PaymentService.pay`), under
the payment id `pay_auto_<enrollmentId>_<YYYY-MM>`: the ledger reserves a payment id once,
and Stripe's idempotency key derives from it, so a re-run, a resumed crash or two sweeps at
once make at most one autopay payment per enrollment and period. What the sweep did for a
period is recorded here once (`Charged` or `Skipped`), and so is each period's reminder.

An ACH method is debited off-session under the resident's mandate (a Stripe SetupIntent
confirmed at enrollment with their online acceptance, autopay_mandates.py): its id is
recorded on `Enrolled` / `Changed` and named on each autopay debit; cards need none.

Status: ACTIVE → PAUSED (by the resident, because its payment method was removed, or
because Stripe reported its ACH mandate `inactive`: revoked at the bank or returned
unauthorized) → ACTIVE again on resume; CANCELLED is final (enrolling again starts a new
enrollment). A revoked mandate pauses autopay even when it is already paused (a second
`Paused`, reason `mandate_revoked`, naming the mandate), and resume is refused while the
enrollment still names that mandate: only a new mandate (enrolling again, or switching
to another method) is consent again.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from sfr3_ledger.errors import ConflictingFact, InvalidCommand, NotFound
from sfr3_ledger.schedules import check_due_day, check_time_zone, period_name
from sfr3_ledger.values import MAX_AMOUNT_CENTS, MIN_PAYMENT_CENTS

AUTOPAY_NAMESPACE = UUID("9c4e2a71-5b3d-4f86-a0e2-7d1b6c3f9a54")
ACTIVE, PAUSED, CANCELLED = "ACTIVE", "PAUSED", "CANCELLED"
# The pause reason when Stripe reports the enrollment's mandate inactive.
MANDATE_REVOKED = "mandate_revoked"
REMINDER_DAYS = 3
# Who autopay's debits are initiated by (the sweep), and so whose consent they rest on.
AUTOPAY_ACTOR = "system:autopay"


def autopay_still_consents(enrollment: AutopayEnrollment | None, method_id: str,
                           mandate_id: str | None = None) -> bool:
    """May an autopay debit on `method_id` be attempted again (a retry)? Only while the
    resident's enrollment is ACTIVE on that same method: pausing, cancelling or switching
    the method withdraws the consent the first attempt was made under. A debit made under
    a mandate (`mandate_id`) needs that very mandate still in force: one Stripe reported
    revoked, or replaced by a new one since, is no consent for this debit."""
    if enrollment is None or enrollment.status != ACTIVE or enrollment.method_id != method_id:
        return False
    return mandate_id is None or (mandate_id == enrollment.mandate_id
                                  and mandate_id != enrollment.revoked_mandate_id)


class MandateRevokedError(ConflictingFact):
    """Resume refused: the bank mandate autopay debits under was revoked (409)."""

    code = "mandate_revoked"

    def __init__(self, mandate_id: str) -> None:
        super().__init__(
            f"Autopay's bank authorization ({mandate_id}) was revoked: enroll in autopay "
            "again (cancel, then enroll) or switch it to another payment method, which "
            "records a new authorization")


class AutopayNotFound(NotFound):
    code = "autopay_not_found"

    def __init__(self, resident_id: str) -> None:
        super().__init__(f"Resident {resident_id} is not enrolled in autopay")


def check_cap(cap: object) -> int | None:
    if cap is None:
        return None
    if isinstance(cap, bool) or not isinstance(cap, int) or not (
        MIN_PAYMENT_CENTS <= cap <= MAX_AMOUNT_CENTS
    ):
        raise InvalidCommand(
            f"maxAmount must be whole cents from {MIN_PAYMENT_CENTS} to {MAX_AMOUNT_CENTS}")
    return cap


def payment_id_for(enrollment_id: str, period: date) -> str:
    return f"pay_auto_{enrollment_id}_{period_name(period)}"


class AutopayEnrollment(Aggregate):
    # Class defaults, so state restored from a snapshot taken before mandates reads None.
    mandate_id: str | None = None
    revoked_mandate_id: str | None = None

    @staticmethod
    def create_id(resident_id: str) -> UUID:
        return uuid5(AUTOPAY_NAMESPACE, resident_id)

    @event("Opened")
    def __init__(self, resident_id: str) -> None:
        self.resident_id = resident_id
        self.enrollment_id: str | None = None
        self.method_id = ""
        self.charge_day = 1
        self.max_amount: int | None = None
        self.time_zone = ""
        self.status = CANCELLED
        self.pause_reason: str | None = None
        # The Stripe mandate an ACH method is debited under off-session (None for cards).
        self.mandate_id: str | None = None
        # The last mandate Stripe reported inactive (resume is refused while it is current).
        self.revoked_mandate_id: str | None = None
        # period name -> ("CHARGED", payment id, amount) | ("SKIPPED", reason, 0)
        self.outcomes: dict[str, tuple[str, str, int]] = {}
        self.reminded: set[str] = set()
        self.changed_at: datetime | None = None

    class Event(Aggregate.Event):
        """The enrollment's base event, defined here rather than by eventsourcing: events that
        subclass it are made dataclasses once instead of being redefined under it
        (half the event classes to build at import; docs/operations.md)."""

    class AutopayEvent(Event):
        resident_id: str
        actor: str
        enrollment_id: str

        def apply(self, aggregate: Any) -> None:
            raise NotImplementedError

    class Enrolled(AutopayEvent):
        method_id: str
        charge_day: int
        max_amount: int | None
        time_zone: str
        # Events stored before mandates were recorded read as None.
        mandate_id: str | None = None

        def apply(self, aggregate: Any) -> None:
            a: AutopayEnrollment = aggregate
            a.enrollment_id, a.method_id, a.charge_day = (
                self.enrollment_id, self.method_id, self.charge_day)
            a.max_amount, a.time_zone, a.status, a.pause_reason = (
                self.max_amount, self.time_zone, ACTIVE, None)
            a.outcomes, a.reminded, a.changed_at = {}, set(), self.timestamp
            a.mandate_id = self.mandate_id

    class Changed(AutopayEvent):
        method_id: str
        charge_day: int
        max_amount: int | None
        # The mandate in effect after the change (the new method's; None for a card, or
        # in an event stored before mandates were recorded, when none existed).
        mandate_id: str | None = None

        def apply(self, aggregate: Any) -> None:
            a: AutopayEnrollment = aggregate
            a.method_id, a.charge_day, a.max_amount = (
                self.method_id, self.charge_day, self.max_amount)
            a.mandate_id = self.mandate_id
            a.changed_at = self.timestamp

    class Paused(AutopayEvent):
        reason: str
        # The mandate Stripe reported inactive (reason `mandate_revoked`); None otherwise,
        # and in events stored before revocations were recorded.
        mandate_id: str | None = None

        def apply(self, aggregate: Any) -> None:
            aggregate.status, aggregate.pause_reason = PAUSED, self.reason
            aggregate.changed_at = self.timestamp
            if self.mandate_id is not None:
                aggregate.revoked_mandate_id = self.mandate_id

    class Resumed(AutopayEvent):
        def apply(self, aggregate: Any) -> None:
            aggregate.status, aggregate.pause_reason = ACTIVE, None
            aggregate.changed_at = self.timestamp

    class Cancelled(AutopayEvent):
        def apply(self, aggregate: Any) -> None:
            aggregate.status = CANCELLED
            aggregate.changed_at = self.timestamp

    class ReminderSent(AutopayEvent):
        """What the resident is told will happen: the mail goes out from this event."""

        period: str
        charge_date: date
        method_id: str
        method_label: str
        last4: str
        amount: int

        def apply(self, aggregate: Any) -> None:
            aggregate.reminded.add(self.period)

    class Charged(AutopayEvent):
        period: str
        payment_id: str
        amount: int
        charge_date: date

        def apply(self, aggregate: Any) -> None:
            aggregate.outcomes[self.period] = ("CHARGED", self.payment_id, self.amount)

    class Skipped(AutopayEvent):
        period: str
        reason: str
        charge_date: date

        def apply(self, aggregate: Any) -> None:
            aggregate.outcomes[self.period] = ("SKIPPED", self.reason, 0)

    # ---- commands ---------------------------------------------------------------------

    def _emit(self, cls: type[AutopayEvent], actor: str, **kwargs: Any) -> None:
        assert self.enrollment_id is not None
        self.trigger_event(cls, resident_id=self.resident_id, actor=actor,
                           enrollment_id=self.enrollment_id, **kwargs)

    def enroll(self, *, enrollment_id: str, method_id: str, charge_day: int,
               max_amount: int | None, time_zone: str, actor: str,
               mandate_id: str | None = None) -> None:
        if self.enrollment_id == enrollment_id:
            same = (self.method_id, self.charge_day, self.max_amount)
            if same != (method_id, charge_day, max_amount):
                raise ConflictingFact(f"Enrollment {enrollment_id} exists with other details")
            return
        if self.status != CANCELLED:
            raise ConflictingFact("The resident is already enrolled in autopay; change it")
        self.trigger_event(
            self.Enrolled, resident_id=self.resident_id, actor=actor,
            enrollment_id=enrollment_id, method_id=_method(method_id),
            charge_day=check_due_day(charge_day, "chargeDay"),
            max_amount=check_cap(max_amount), time_zone=check_time_zone(time_zone),
            mandate_id=mandate_id)

    def change(self, *, actor: str, method_id: str | None = None,
               charge_day: int | None = None, max_amount: int | object | None = ...,
               mandate_id: str | None = None) -> None:
        """`mandate_id`: the new method's mandate (given with an ACH `method_id`)."""
        self._require(ACTIVE, PAUSED)
        new = (_method(method_id) if method_id is not None else self.method_id,
               check_due_day(charge_day, "chargeDay") if charge_day is not None
               else self.charge_day,
               self.max_amount if max_amount is ... else check_cap(max_amount))
        mandate = self.mandate_id if new[0] == self.method_id and mandate_id is None \
            else mandate_id
        if new != (self.method_id, self.charge_day, self.max_amount) or \
                mandate != self.mandate_id:
            self._emit(self.Changed, actor, method_id=new[0], charge_day=new[1],
                       max_amount=new[2], mandate_id=mandate)

    def pause(self, *, actor: str, reason: str = "paused by the resident") -> None:
        self._require(ACTIVE, PAUSED)
        if self.status == ACTIVE:
            self._emit(self.Paused, actor, reason=reason)

    def revoke_mandate(self, *, mandate_id: str, actor: str) -> bool:
        """Stripe reported `mandate_id` inactive: pause autopay that debits under it (once;
        True when it did). Any other mandate, a cancelled enrollment, or a revocation
        already recorded changes nothing."""
        if self.enrollment_id is None or self.status == CANCELLED or \
                self.mandate_id != mandate_id or self.revoked_mandate_id == mandate_id:
            return False
        self._emit(self.Paused, actor, reason=MANDATE_REVOKED, mandate_id=mandate_id)
        return True

    def resume(self, *, actor: str) -> None:
        self._require(ACTIVE, PAUSED)
        if self.status == PAUSED:
            if self.mandate_id is not None and self.mandate_id == self.revoked_mandate_id:
                raise MandateRevokedError(self.mandate_id)
            self._emit(self.Resumed, actor)

    def cancel(self, *, actor: str) -> None:
        if self.enrollment_id is None:
            raise AutopayNotFound(self.resident_id)
        if self.status != CANCELLED:
            self._emit(self.Cancelled, actor)

    def record_reminder(self, *, period: date, charge_date: date, method_label: str,
                        last4: str, amount: int) -> bool:
        name = period_name(period)
        if self.status != ACTIVE or name in self.reminded:
            return False
        self._emit(self.ReminderSent, "system:autopay", period=name, charge_date=charge_date,
                   method_id=self.method_id, method_label=method_label, last4=last4,
                   amount=amount)
        return True

    def record_charged(self, *, period: date, payment_id: str, amount: int,
                       charge_date: date) -> None:
        name = period_name(period)
        if name not in self.outcomes:
            self._emit(self.Charged, "system:autopay", period=name, payment_id=payment_id,
                       amount=amount, charge_date=charge_date)

    def record_skipped(self, *, period: date, reason: str, charge_date: date) -> None:
        name = period_name(period)
        if name not in self.outcomes:
            self._emit(self.Skipped, "system:autopay", period=name, reason=reason,
                       charge_date=charge_date)

    def _require(self, *statuses: str) -> None:
        if self.enrollment_id is None or (self.status == CANCELLED and CANCELLED not in statuses):
            raise AutopayNotFound(self.resident_id)
        if self.status not in statuses:
            raise ConflictingFact(f"Autopay is {self.status}")

    # ---- queries ----------------------------------------------------------------------

    def charge_date(self, period: date) -> date:
        return period.replace(day=self.charge_day)

    def amount_for(self, payable: int) -> int:
        """What the sweep pays: the payable balance, capped."""
        return payable if self.max_amount is None else min(payable, self.max_amount)


def _method(method_id: object) -> str:
    if not isinstance(method_id, str) or not method_id or len(method_id) > 200:
        raise InvalidCommand("paymentMethodId must be one of the resident's payment methods")
    return method_id


__all__ = ["ACTIVE", "CANCELLED", "MANDATE_REVOKED", "PAUSED", "REMINDER_DAYS",
           "AutopayEnrollment", "AutopayNotFound", "MandateRevokedError", "check_cap",
           "payment_id_for"]
