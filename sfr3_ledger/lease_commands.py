"""The lease use cases of LedgerApplication (a mixin, to keep application.py readable).

Leases live in the same event store as the ledgers they schedule, so their events reach
the same notification log / DynamoDB stream that maintains the schedule read model.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sfr3_ledger.leases import Lease, LeaseNotFound, LeaseTerms

if TYPE_CHECKING:
    from eventsourcing.domain import Aggregate

T = TypeVar("T")
A = TypeVar("A", bound="Aggregate")
UNCHANGED: Any = object()


class LeaseCommands:
    # Provided by LedgerApplication.
    _update: Callable[..., Any]
    _load: Callable[..., Any]

    def _lease_update(self, resident_id: str, command: Callable[[Lease], T]) -> T:
        result: T = self._update(
            Lease, resident_id, command, opener=lambda: Lease(resident_id=resident_id)
        )
        return result

    def start_lease(
        self,
        resident_id: str,
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
    ) -> Lease:
        def command(lease: Lease) -> Lease:
            lease.start(lease_id=lease_id, property_id=property_id, us_state=us_state,
                        start_date=start_date, terms=terms, actor=actor, time_zone=time_zone,
                        email=email, end_date=end_date)
            return lease

        return self._lease_update(resident_id, command)

    def change_lease(
        self,
        resident_id: str,
        *,
        actor: str,
        terms: LeaseTerms | Callable[[LeaseTerms], LeaseTerms] | None = None,
        email: str | None = UNCHANGED,
        now: datetime | None = None,
    ) -> tuple[Lease, date | None]:
        """Apply new terms (from the next period) and/or a new email; (lease, effective).

        `terms` may be a function of the latest terms (a partial change): it is applied to
        the state this command runs on, so two concurrent partial changes both land (the
        command is re-run on fresh state when another writer got in first)."""
        at = now or datetime.now(UTC)

        def command(lease: Lease) -> tuple[Lease, date | None]:
            if lease.lease_id is None:
                raise LeaseNotFound(resident_id)
            effective = None
            if terms is not None:
                new = terms(lease.terms[-1][1]) if callable(terms) else terms
                effective = lease.change_terms(terms=new, actor=actor, now=at)
            if email is not UNCHANGED:
                lease.change_email(email=email, actor=actor)
            return lease, effective

        return self._lease_update(resident_id, command)

    def end_lease(self, resident_id: str, *, end_date: date, actor: str) -> Lease:
        def command(lease: Lease) -> Lease:
            lease.end(end_date=end_date, actor=actor)
            return lease

        return self._lease_update(resident_id, command)

    def find_lease(self, resident_id: str) -> Lease | None:
        lease: Lease | None = self._load(Lease, resident_id)
        return lease if lease is not None and lease.lease_id is not None else None

    def lease(self, resident_id: str) -> Lease:
        found = self.find_lease(resident_id)
        if found is None:
            raise LeaseNotFound(resident_id)
        return found
