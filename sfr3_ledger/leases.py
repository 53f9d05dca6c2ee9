"""A resident's lease: what the schedules need to post rent and late fees on their own.

Its own aggregate (one per resident, `Lease.create_id(resident_id)`), apart from the
ledger: changing a lease never contends with payments for the ledger's version, and the
ledger stays the only place money is counted. The lease only *decides* what falls due;
the recurring-charges job posts it to the ledger under a deterministic charge id
(`<leaseId>:<code>:<YYYY-MM>`), which is what makes the job safe to run twice, resume or
catch up: the ledger refuses the same charge id twice.

Terms (rent, due day, grace, late-fee policy, other recurring charges) are versioned by
the period they take effect from: a change made today applies from the next period
(calendar month) of the property's time zone, never to a cycle already running. Ending
a lease sets the move-out date: nothing falls due after it. A resident whose lease ended
may start a new one (another home) from a later date.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

import attrs
from eventsourcing.domain import Aggregate, event

from sfr3_ledger.errors import ConflictingFact, InvalidCommand, NotFound
from sfr3_ledger.late_fees import LateFeePolicy
from sfr3_ledger.schedules import (
    check_due_day,
    check_time_zone,
    dates_with_day,
    default_time_zone,
    local_date,
    next_period,
    period_name,
    period_of,
)
from sfr3_ledger.values import US_STATES, ChargeType, cents

LEASE_NAMESPACE = UUID("6f2c3b9e-1d4a-4c7b-9e58-2a7d0c4b8e61")
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
RENT_CODE = "rent"


class LeaseNotFound(NotFound):
    code = "lease_not_found"

    def __init__(self, resident_id: str) -> None:
        super().__init__(f"Resident {resident_id} has no lease")


def _printable(value: object, field: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise InvalidCommand(f"{field} must be a non-empty string of at most {max_len} characters")
    # As the ledger's own rule (C0/C1 controls, surrogates, line/paragraph separators).
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") for ch in value):
        raise InvalidCommand(f"{field} must not contain control characters or line breaks")
    return value


def check_email(value: object) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value):
        raise InvalidCommand("email must be an email address")
    return value


@attrs.frozen
class RecurringCharge:
    """A charge other than rent posted every period on `day` (a utility, a pet fee)."""

    code: str
    charge_type: str
    amount: int
    description: str
    day: int

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.code, str) or not _CODE.match(self.code) or self.code == RENT_CODE:
            raise InvalidCommand(
                "code must be 1-40 lowercase letters, digits or '-', not 'rent'")
        if self.charge_type not in {t.value for t in ChargeType} - {"RENT", "LATE_FEE"}:
            raise InvalidCommand("a recurring charge is DEPOSIT, UTILITY or OTHER")
        cents(self.amount, field="amount")
        # Posted as "<description> YYYY-MM"; the ledger takes descriptions up to 500.
        _printable(self.description, "description", 480)
        check_due_day(self.day, "day")


DEFAULT_LATE_FEE = LateFeePolicy(grace_days=5, flat_cents=5_000)


@attrs.frozen
class LeaseTerms:
    """What a period costs and when it is late; immutable, versioned by `effective_from`."""

    monthly_rent: int
    rent_due_day: int
    grace_days: int = 5
    late_fee: LateFeePolicy = DEFAULT_LATE_FEE
    recurring: tuple[RecurringCharge, ...] = attrs.field(default=(), converter=tuple)

    def __attrs_post_init__(self) -> None:
        cents(self.monthly_rent, field="monthlyRent")
        check_due_day(self.rent_due_day, "rentDueDay")
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int) or not (
            0 <= self.grace_days <= 27
        ):
            raise InvalidCommand("graceDays must be an integer from 0 to 27")
        policy = self.late_fee
        for name, value, top in (("flatCents", policy.flat_cents, 100_000),
                                 ("percentBps", policy.percent_bps, 10_000),
                                 ("capCents", policy.cap_cents, 100_000)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                      or not 0 < value <= top):
                raise InvalidCommand(f"lateFee.{name} must be an integer from 1 to {top}")
        codes = [r.code for r in self.recurring]
        if len(codes) != len(set(codes)):
            raise InvalidCommand("recurring charge codes must be unique")
        if len(codes) > 20:
            raise InvalidCommand("at most 20 recurring charges")

    @property
    def policy(self) -> LateFeePolicy:
        """The late-fee policy with this lease's grace period."""
        return attrs.evolve(self.late_fee, grace_days=self.grace_days)

    @property
    def due_days(self) -> frozenset[int]:
        return frozenset({self.rent_due_day, *(r.day for r in self.recurring)})


@attrs.frozen
class ScheduledCharge:
    """One charge a lease makes fall due: what the job posts, under `charge_id`."""

    charge_id: str
    charge_type: str
    amount: int
    description: str
    due_date: date


class Lease(Aggregate):
    @staticmethod
    def create_id(resident_id: str) -> UUID:
        return uuid5(LEASE_NAMESPACE, resident_id)

    @event("Opened")
    def __init__(self, resident_id: str) -> None:
        self.resident_id = resident_id
        self.lease_id: str | None = None
        self.property_id = ""
        self.us_state = ""
        self.time_zone = ""
        self.email: str | None = None
        self.start_date: date | None = None
        self.end_date: date | None = None
        # (effective_from period, terms), ascending; the first entry starts with the lease.
        self.terms: list[tuple[date, LeaseTerms]] = []
        self.changed_at: datetime | None = None
        self.changed_by: str | None = None

    class Event(Aggregate.Event):
        """The lease's base event, defined here rather than by eventsourcing: events that
        subclass it are made dataclasses once instead of being redefined under it
        (half the event classes to build at import; docs/operations.md)."""

    class LeaseEvent(Event):
        resident_id: str
        actor: str

        def apply(self, aggregate: Any) -> None:
            raise NotImplementedError

    class Started(LeaseEvent):
        lease_id: str
        property_id: str
        us_state: str
        time_zone: str
        email: str | None
        start_date: date
        end_date: date | None
        terms: LeaseTerms

        def apply(self, aggregate: Any) -> None:
            lease: Lease = aggregate
            lease.lease_id, lease.property_id, lease.us_state = (
                self.lease_id, self.property_id, self.us_state)
            lease.time_zone, lease.email = self.time_zone, self.email
            lease.start_date, lease.end_date = self.start_date, self.end_date
            lease.terms = [(period_of(self.start_date), self.terms)]
            lease.changed_at, lease.changed_by = self.timestamp, self.actor

    class TermsChanged(LeaseEvent):
        effective_from: date
        terms: LeaseTerms

        def apply(self, aggregate: Any) -> None:
            lease: Lease = aggregate
            kept = [(p, t) for p, t in lease.terms if p < self.effective_from]
            lease.terms = [*kept, (self.effective_from, self.terms)]
            lease.changed_at, lease.changed_by = self.timestamp, self.actor

    class ContactChanged(LeaseEvent):
        email: str | None

        def apply(self, aggregate: Any) -> None:
            aggregate.email = self.email
            aggregate.changed_at, aggregate.changed_by = self.timestamp, self.actor

    class Ended(LeaseEvent):
        end_date: date

        def apply(self, aggregate: Any) -> None:
            aggregate.end_date = self.end_date
            aggregate.changed_at, aggregate.changed_by = self.timestamp, self.actor

    # ---- commands ---------------------------------------------------------------------

    def start(
        self,
        *,
        lease_id: str,
        property_id: str,
        us_state: str,
        start_date: date,
        terms: LeaseTerms,
        actor: str,
        time_zone: str | None = None,
        email: str | None = None,
        end_date: date | None = None,
    ) -> None:
        """Start a lease; the same lease id again with the same facts is a no-op."""
        if self.lease_id == lease_id:
            if (self.property_id, self.start_date, self.terms[0][1]) != (
                property_id, start_date, terms):
                raise ConflictingFact(f"Lease {lease_id} was already started with other terms")
            return
        if self.lease_id is not None and (self.end_date is None or start_date <= self.end_date):
            raise ConflictingFact("The resident already has a lease; end it first")
        if us_state not in US_STATES:
            raise InvalidCommand("state must be a two-letter US state code")
        _check_dates(start_date, end_date)
        self.trigger_event(
            self.Started,
            resident_id=self.resident_id,
            actor=actor,
            lease_id=lease_id,
            property_id=_printable(property_id, "propertyId", 100),
            us_state=us_state,
            time_zone=check_time_zone(time_zone or default_time_zone(us_state)),
            email=check_email(email) if email is not None else None,
            start_date=start_date,
            end_date=end_date,
            terms=terms,
        )

    def change_terms(self, *, terms: LeaseTerms, actor: str, now: datetime) -> date:
        """New terms from the next period (today's period keeps its terms); returns it."""
        if self.lease_id is None:
            raise LeaseNotFound(self.resident_id)
        today = local_date(now, self.time_zone)
        self._require_active(today)
        assert self.start_date is not None
        effective = max(next_period(period_of(today)), period_of(self.start_date))
        if self.start_date > today:  # not started yet: the first period may still change
            effective = period_of(self.start_date)
        current = self.terms_for(effective)
        if current == terms:
            return effective
        self.trigger_event(self.TermsChanged, resident_id=self.resident_id, actor=actor,
                           effective_from=effective, terms=terms)
        return effective

    def change_email(self, *, email: str | None, actor: str) -> None:
        self._require_active()
        email = check_email(email) if email is not None else None
        if email != self.email:
            self.trigger_event(self.ContactChanged, resident_id=self.resident_id, actor=actor,
                               email=email)

    def end(self, *, end_date: date, actor: str) -> None:
        """Move-out: nothing falls due after `end_date` (ending again earlier is allowed)."""
        self._require_active()
        assert self.start_date is not None
        if end_date < self.start_date:
            raise InvalidCommand("endDate must not be before the lease's startDate")
        if self.end_date == end_date:
            return
        self.trigger_event(self.Ended, resident_id=self.resident_id, actor=actor,
                           end_date=end_date)

    def _require_active(self, today: date | None = None) -> None:
        if self.lease_id is None:
            raise LeaseNotFound(self.resident_id)
        if today is not None and self.end_date is not None and self.end_date < today:
            raise ConflictingFact("The lease has ended")

    # ---- queries ----------------------------------------------------------------------

    def terms_for(self, period: date) -> LeaseTerms:
        """The terms in force for `period` (a period before the lease: its first terms)."""
        if not self.terms:
            raise LeaseNotFound(self.resident_id)
        chosen = self.terms[0][1]
        for effective, terms in self.terms:
            if effective <= period:
                chosen = terms
        return chosen

    def covers(self, day: date) -> bool:
        return (self.start_date is not None and self.start_date <= day
                and (self.end_date is None or day <= self.end_date))

    def scheduled_charges(self, first: date, last: date) -> list[ScheduledCharge]:
        """Every charge falling due in [first, last] (property dates), oldest first."""
        if self.lease_id is None or self.start_date is None:
            return []
        first = max(first, self.start_date)
        if self.end_date is not None:
            last = min(last, self.end_date)
        out: list[ScheduledCharge] = []
        period = period_of(first)
        while period <= last:
            terms = self.terms_for(period)
            name = period_name(period)
            items = [(RENT_CODE, ChargeType.RENT.value, terms.monthly_rent, f"Rent {name}",
                      terms.rent_due_day)]
            items += [(r.code, r.charge_type, r.amount, f"{r.description} {name}", r.day)
                      for r in terms.recurring]
            for code, kind, amount, description, day in items:
                for due in dates_with_day(day, max(first, period), min(last, _month_end(period))):
                    out.append(ScheduledCharge(
                        charge_id=f"{self.lease_id}:{code}:{name}", charge_type=kind,
                        amount=amount, description=description, due_date=due))
            period = next_period(period)
        return sorted(out, key=lambda c: (c.due_date, c.charge_id))

    def due_days(self, from_period: date) -> frozenset[int]:
        """Days of the month on which this lease makes something due, from `from_period` on."""
        days = set(self.terms_for(from_period).due_days)
        for effective, terms in self.terms:
            if effective > from_period:
                days |= terms.due_days
        return frozenset(days)


def _month_end(period: date) -> date:
    return date.fromordinal(next_period(period).toordinal() - 1)


def _check_dates(start: date, end: date | None) -> None:
    if not isinstance(start, date) or isinstance(start, datetime):
        raise InvalidCommand("startDate must be a date (YYYY-MM-DD)")
    if end is not None and (not isinstance(end, date) or isinstance(end, datetime)):
        raise InvalidCommand("endDate must be a date (YYYY-MM-DD)")
    if end is not None and end < start:
        raise InvalidCommand("endDate must not be before startDate")


__all__ = [
    "Lease",
    "LeaseNotFound",
    "LeaseTerms",
    "RecurringCharge",
    "ScheduledCharge",
    "check_email",
]
