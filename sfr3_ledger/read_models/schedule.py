"""The schedule read model: who has something due on a day, whose rent is past its grace.

Maintained from the notification log (locally) or the events table's DynamoDB stream
(deployed), idempotently: every write is a put of a value derived from the events, so a
replayed or redelivered event writes the same rows again. Two kinds of rows:

- **lease rows** (`LeaseRow`, one per resident with a lease): its time zone, the days of
  the month on which it makes something due (`due_days`, so a day's job reads only the
  residents due that day), its grace periods by period and its end date. Written from the
  lease's own current state whenever a lease event is seen, guarded by the aggregate
  version, so an old event redelivered after a newer one changes nothing.
- **late-fee candidates** (`LateFeeCandidate`): one per RENT charge of a leased resident,
  keyed by the first day a fee may be assessed (`assess_on` = due date + grace + 1) in the
  lease's time zone. The late-fee job reads the candidates up to today and removes each
  once decided (fined, paid, or lease ended), so a quiet day reads an empty range.

Jobs record the last day they ran per time zone here too (`last_run`/`record_run`), which
is what lets a run after missed days catch up exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any, Protocol

import attrs

from sfr3_ledger.autopay import AutopayEnrollment
from sfr3_ledger.leases import Lease
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.schedules import local_date, period_of


@attrs.frozen
class LeaseRow:
    resident_id: str
    lease_id: str
    time_zone: str
    due_days: frozenset[int]
    # (effective_from period, grace days), ascending.
    grace: tuple[tuple[date, int], ...]
    start_date: date
    end_date: date | None
    version: int

    def grace_for(self, period: date) -> int:
        chosen = self.grace[0][1]
        for effective, days in self.grace:
            if effective <= period:
                chosen = days
        return chosen


@attrs.frozen
class AutopayRow:
    """An autopay enrollment as the sweep finds it: by zone and charge day, if ACTIVE."""

    resident_id: str
    enrollment_id: str
    time_zone: str
    charge_day: int
    status: str
    version: int


@attrs.frozen
class LateFeeCandidate:
    time_zone: str
    assess_on: date
    resident_id: str
    charge_id: str


class ScheduleIndex(Protocol):
    """The read model's table (SQLite locally, DynamoDB deployed)."""

    def put_lease(self, row: LeaseRow) -> None:
        """Store `row` unless a row of a newer version is stored; replaces its due days."""

    def lease_row(self, resident_id: str) -> LeaseRow | None: ...

    def residents_due(self, time_zone: str, day_of_month: int) -> list[str]: ...

    def put_autopay(self, row: AutopayRow) -> None:
        """Store `row` unless a newer version is stored (replaces its charge-day row)."""

    def autopay_due(self, time_zone: str, day_of_month: int) -> list[str]:
        """Residents with an ACTIVE enrollment charging on that day of the month."""

    def time_zones(self) -> list[str]:
        """Every time zone that has a lease or an enrollment (one schedule slot per zone)."""

    def add_late_candidate(self, candidate: LateFeeCandidate) -> None: ...

    def late_candidates(self, time_zone: str, through: date) -> list[LateFeeCandidate]:
        """Candidates with `assess_on <= through`, oldest first."""

    def remove_late_candidate(self, candidate: LateFeeCandidate) -> None: ...

    def remove_late_candidates_for(self, resident_id: str, charge_id: str) -> None:
        """Remove the candidate of one charge, whatever its assess date (a fee was applied)."""

    def last_run(self, job: str, time_zone: str) -> date | None: ...

    def record_run(self, job: str, time_zone: str, day: date) -> None: ...

    def clear(self) -> None:
        """Drop every row (before a rebuild)."""


def lease_row(lease: Lease) -> LeaseRow | None:
    """The row a lease's current state projects to (None without a started lease)."""
    if lease.lease_id is None or lease.start_date is None:
        return None
    today_period = period_of(lease.start_date)
    if lease.changed_at is not None:
        today_period = max(today_period, period_of(local_date(lease.changed_at,
                                                               lease.time_zone)))
    return LeaseRow(
        resident_id=lease.resident_id,
        lease_id=lease.lease_id,
        time_zone=lease.time_zone,
        due_days=lease.due_days(today_period),
        grace=tuple((effective, terms.grace_days) for effective, terms in lease.terms),
        start_date=lease.start_date,
        end_date=lease.end_date,
        version=lease.version,
    )


def assess_on(row: LeaseRow, due: date) -> date:
    """The first day a late fee may be assessed on rent due `due`."""
    return due + timedelta(days=row.grace_for(period_of(due)) + 1)


class ScheduleProjection:
    """Applies stored domain events to the index; safe to replay from any position."""

    def __init__(self, index: ScheduleIndex, load_lease: Callable[[str], Lease | None],
                 load_autopay: Callable[[str], AutopayEnrollment | None] | None = None) -> None:
        self.index = index
        self.load_lease = load_lease
        self.load_autopay = load_autopay

    def process(self, events: Iterable[Any]) -> int:
        """Apply `events` (decoded domain events, in log order); how many mattered."""
        applied = 0
        for domain_event in events:
            if isinstance(domain_event, Lease.LeaseEvent):
                # Charges later in the same batch need the row: write it now.
                self._refresh_lease(domain_event.resident_id)
                applied += 1
            elif isinstance(domain_event, ResidentLedger.ChargePosted) and (
                domain_event.charge_type == "RENT"
            ):
                applied += self._rent_posted(domain_event)
            elif isinstance(domain_event, _AUTOPAY_SCHEDULE_EVENTS):
                if self.load_autopay is not None:
                    enrollment = self.load_autopay(domain_event.resident_id)
                    if enrollment is not None and enrollment.enrollment_id is not None:
                        self.index.put_autopay(AutopayRow(
                            resident_id=enrollment.resident_id,
                            enrollment_id=enrollment.enrollment_id,
                            time_zone=enrollment.time_zone,
                            charge_day=enrollment.charge_day, status=enrollment.status,
                            version=enrollment.version))
                        applied += 1
            elif isinstance(domain_event, ResidentLedger.LateFeeApplied):
                self.index.remove_late_candidates_for(
                    domain_event.resident_id, domain_event.late_fee_for)
                applied += 1
        return applied

    def _refresh_lease(self, resident_id: str) -> None:
        lease = self.load_lease(resident_id)
        row = lease_row(lease) if lease is not None else None
        if row is not None:
            self.index.put_lease(row)

    def _rent_posted(self, posted: Any) -> bool:
        row = self.index.lease_row(posted.resident_id)
        if row is None:
            return False  # no lease, no late-fee policy: staff handle such charges
        due = posted.due_date or local_date(posted.timestamp, row.time_zone)
        self.index.add_late_candidate(LateFeeCandidate(
            time_zone=row.time_zone, assess_on=assess_on(row, due),
            resident_id=posted.resident_id, charge_id=posted.charge_id))
        return True


# The enrollment facts that change who the sweep finds on which day.
_AUTOPAY_SCHEDULE_EVENTS = (
    AutopayEnrollment.Enrolled, AutopayEnrollment.Changed, AutopayEnrollment.Paused,
    AutopayEnrollment.Resumed, AutopayEnrollment.Cancelled,
)


def rebuild(index: ScheduleIndex, projection: ScheduleProjection,
            batches: Iterable[Sequence[Any]]) -> int:
    """Drop the index and replay every event: the read model from events alone."""
    index.clear()
    return sum(projection.process(batch) for batch in batches)
