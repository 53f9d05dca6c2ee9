"""ReconciliationDay: what the reconciliation runs of one UTC day decided, as events.

One aggregate per day (id = uuid5 of the date), so the runs of a day are serialised by
optimistic concurrency like every other aggregate, and a re-run reads what the first run
did:

- `Healed`: a payment Stripe settled while the ledger still showed it PENDING (a lost
  webhook) was settled through the webhook's own path; recorded once per PaymentIntent.
- `Reconciled`: the facts (`kind|key`, see read_models/settled_by_day.py) this run matched
  for the first time, with the run id and the time (the event's timestamp). A fact
  already reconciled is never marked again, so a re-run marks nothing.
- `Completed`: one per run, with its counts; it becomes the `reconciliation.completed`
  integration event.

Kept out of the resident ledgers on purpose: marking 10,500 payments reconciled must not
add 10,500 events to residents' aggregates (nor race their payments); the payments' own
"reconciled at" is the settled-facts read model's projection of these events.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

RECONCILIATION_NAMESPACE = UUID("2c6f1f0e-7d0b-4a8e-b3a5-5f1e9a2d4c71")
# Envelopes need an owner: the runs belong to finance, not to a resident.
RECONCILIATION_OWNER = "system:reconciliation"
# Keys per Reconciled event: ~40 bytes each keeps an event far below 400 KB.
MARK_BATCH = 1000


class ReconciliationDay(Aggregate):
    @staticmethod
    def create_id(day: date) -> UUID:
        return uuid5(RECONCILIATION_NAMESPACE, day.isoformat())

    @event("Opened")
    def __init__(self, day: date, resident_id: str = RECONCILIATION_OWNER) -> None:
        self.day = day
        self.resident_id = resident_id
        self.healed: dict[str, str] = {}  # PaymentIntent id -> run id
        self.reconciled: dict[str, tuple[str, datetime]] = {}  # fact key -> (run, at)
        self.runs: list[str] = []

    class Event(Aggregate.Event):
        """The day's base event, defined here rather than by eventsourcing: events that
        subclass it are made dataclasses once instead of being redefined under it
        (half the event classes to build at import; docs/operations.md)."""

    class Healed(Event):
        resident_id: str
        day: date
        run_id: str
        stripe_ref: str
        payment_resident_id: str
        payment_id: str
        amount: int

        def apply(self, aggregate: Any) -> None:
            aggregate.healed[self.stripe_ref] = self.run_id

    class Reconciled(Event):
        resident_id: str
        day: date
        run_id: str
        keys: list[str]

        def apply(self, aggregate: Any) -> None:
            for key in self.keys:
                aggregate.reconciled.setdefault(key, (self.run_id, self.timestamp))

    class Completed(Event):
        resident_id: str
        day: date
        run_id: str
        counts: dict[str, int]
        mismatches: int
        report_key: str

        def apply(self, aggregate: Any) -> None:
            aggregate.runs.append(self.run_id)

    def heal(self, *, run_id: str, stripe_ref: str, resident_id: str, payment_id: str,
             amount: int) -> bool:
        """Record a healed payment once; False when an earlier run healed it."""
        if stripe_ref in self.healed:
            return False
        self.trigger_event(self.Healed, resident_id=self.resident_id, day=self.day,
                           run_id=run_id, stripe_ref=stripe_ref,
                           payment_resident_id=resident_id, payment_id=payment_id,
                           amount=amount)
        return True

    def reconcile(self, *, run_id: str, keys: list[str]) -> list[str]:
        """Mark the keys not yet reconciled; returns those newly marked."""
        new = sorted({k for k in keys if k not in self.reconciled})
        for start in range(0, len(new), MARK_BATCH):
            self.trigger_event(self.Reconciled, resident_id=self.resident_id, day=self.day,
                               run_id=run_id, keys=new[start:start + MARK_BATCH])
        return new

    def complete(self, *, run_id: str, counts: dict[str, int], mismatches: int,
                 report_key: str) -> None:
        self.trigger_event(self.Completed, resident_id=self.resident_id, day=self.day,
                           run_id=run_id, counts=dict(counts), mismatches=mismatches,
                           report_key=report_key)


OPENED: type[Any] = vars(ReconciliationDay)["Opened"]
