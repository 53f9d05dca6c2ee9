"""The per-run summary of the autopay sweep: `autopay.sweep.completed`, once per run.

A sweep run is one (time zone, day): the planner queues one item per due enrollment and
SQS workers do them in any order, any number of times. The summary cannot be counted by
the planner (it finishes before the work) nor by any one worker, so it is tallied:

1. **Plan.** Before queueing, the planner records the run's residents in a small tally
   (`SweepTally`: a row per planned resident, a counter of planned rows). Recording is
   a union: a re-plan of the same run (after a crash mid-queueing, a manual re-run) adds
   only residents not planned yet, and queues every resident planned so far (one no
   longer due is then recorded `not enrolled`), so no planned item is left unworked.
2. **Record.** A worker that finished an item records its outcome (`charged`, `declined`,
   `skipped`, `already done`, `not enrolled`, `nothing due`) and the amount it charged on
   that resident's row, only if the row exists and has no outcome yet, in the same
   atomic step as adding it to the run's counters. The first outcome wins: a redelivered
   message, a re-run of the same day or a second concurrent sweep finds the row recorded
   and counts nothing. So every planned resident is counted exactly once.
3. **Complete.** After recording (or finding its row already recorded, which is how a
   worker that crashed between recording and completing is finished by its redelivery),
   a worker reads the counters; when every planned resident is recorded, it saves the
   run's `AutopaySweepRun` aggregate, created by its `Completed` fact with the totals.
   Its id is a UUIDv5 of (zone, day), so the store refuses a second one: however many
   workers see the run complete, one summary is stored, and the integration event
   `autopay.sweep.completed` flows from it like any other fact (EventBridge, the lake).

A run with nothing due is complete when planned; its one queued item (`RUN_CLOSER`, no
resident) stores the summary from a worker, so the planner never writes to the ledger.
A run whose item is dead-lettered waits (the DLQ alarm is the signal); redriving the item
records it and completes the run. A re-run of a completed day that finds a resident not
in the plan (enrolled since) tallies them, but the summary already published is not
issued again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID, uuid5

import attrs
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

if TYPE_CHECKING:
    from sfr3_ledger.application import LedgerApplication

log = logging.getLogger(__name__)

SWEEP_NAMESPACE = UUID("5f0c2b7e-8d41-4a39-9e6c-2a7b1d4e8f13")
# Worker outcome -> the counter it adds to.
COUNTERS = {"charged": "charged", "declined": "declined", "skipped": "skipped",
            "already done": "already_done", "not enrolled": "not_charged",
            "nothing due": "not_charged"}


def amount_counter(counter: str) -> str | None:
    """Which total an item's cents add to: charged ones to `amount`, declined ones to
    `declined_amount`, the rest to none."""
    return {"charged": "amount", "declined": "declined_amount"}.get(counter)


@attrs.frozen
class SweepTotals:
    """A run's counters: `recorded` of `planned` items have an outcome so far."""

    planned: int = 0
    recorded: int = 0
    charged: int = 0
    declined: int = 0
    skipped: int = 0
    already_done: int = 0
    not_charged: int = 0
    # Cents submitted by the charged items (ACH still processing included) / declined.
    amount: int = 0
    declined_amount: int = 0

    @property
    def complete(self) -> bool:
        return self.recorded >= self.planned


class SweepTally(Protocol):
    """The runs' tally table (SQLite locally, the jobs DynamoDB table deployed)."""

    def plan(self, time_zone: str, day: date, resident_ids: Iterable[str]) -> list[str]:
        """Add the residents not planned yet to the run (creating it, even with none);
        answer every resident planned for the run so far."""

    def record(self, time_zone: str, day: date, resident_id: str, counter: str,
               amount: int) -> bool:
        """Record a planned resident's outcome once; False if unplanned or already done."""

    def totals(self, time_zone: str, day: date) -> SweepTotals | None:
        """The run's counters (None: never planned)."""


class AutopaySweepRun(Aggregate):
    """One sweep run's summary; it exists only once the run is complete. Its envelope
    uses the lake's run columns: `runId` (`autopay-sweep/<zone>/<day>`), `day`, `amount`
    (cents charged) and `counts` (every counter of `SweepTotals`, in camelCase)."""

    @staticmethod
    def create_id(time_zone: str, day: date) -> UUID:
        return uuid5(SWEEP_NAMESPACE, f"{time_zone}#{day.isoformat()}")

    @event("Completed")
    def __init__(self, time_zone: str, day: date, run_id: str, amount: int,
                 counts: dict[str, int]) -> None:
        self.time_zone = time_zone
        self.day = day
        self.run_id = run_id
        self.amount = amount
        self.counts = counts

    @classmethod
    def of(cls, time_zone: str, day: date, totals: SweepTotals) -> AutopaySweepRun:
        counts = {_camel(f.name): getattr(totals, f.name) for f in attrs.fields(SweepTotals)
                  if f.name not in ("amount", "recorded")}
        return cls(time_zone=time_zone, day=day, run_id=run_name(time_zone, day),
                   amount=totals.amount, counts=counts)


def run_name(time_zone: str, day: date) -> str:
    return f"autopay-sweep/{time_zone}/{day.isoformat()}"


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


# The library makes the created-event class; name it for the envelope mapping.
SWEEP_COMPLETED: type[Any] = vars(AutopaySweepRun)["Completed"]


class AutopaySweeps:
    """The planner's and the workers' side of the tally, and the summary's one save."""

    def __init__(self, app: LedgerApplication, tally: SweepTally) -> None:
        self.app = app
        self.tally = tally

    def planned(self, time_zone: str, day: date, resident_ids: Iterable[str]) -> list[str]:
        """Plan the run; answer every resident planned for it so far, which the planner
        queues: one planned by an earlier, crashed planning but no longer due (paused
        since) still gets its item, whose outcome (`not enrolled`) completes the run."""
        return self.tally.plan(time_zone, day, resident_ids)

    def recorded(self, time_zone: str, day: date, resident_id: str, outcome: str,
                 amount: int = 0) -> bool:
        """Tally one item's outcome (once), then complete the run if it was the last."""
        counter = COUNTERS.get(outcome)
        if counter is None:
            raise ValueError(f"not an autopay sweep outcome: {outcome!r}")
        counted = self.tally.record(time_zone, day, resident_id, counter, amount)
        self.complete_if_done(time_zone, day)
        return counted

    def complete_if_done(self, time_zone: str, day: date) -> bool:
        """Store the run's summary if every planned item is recorded; True if this call
        stored it."""
        totals = self.tally.totals(time_zone, day)
        if totals is None or not totals.complete:
            return False
        run_id = AutopaySweepRun.create_id(time_zone, day)
        if self.app.recorder.select_events(run_id, limit=1):
            return False
        run = AutopaySweepRun.of(time_zone, day, totals)
        try:  # its id is the run's: the store refuses a second summary
            self.app.save(run)
        except IntegrityError:
            return False  # another worker completed it first
        log.info("autopay sweep %s %s completed: %s", time_zone, day, totals)
        return True

    def summary(self, time_zone: str, day: date) -> AutopaySweepRun | None:
        run_id = AutopaySweepRun.create_id(time_zone, day)
        if not self.app.recorder.select_events(run_id, limit=1):
            return None
        found: AutopaySweepRun = self.app.repository.get(run_id)
        return found


__all__ = [
    "COUNTERS",
    "SWEEP_COMPLETED",
    "AutopaySweepRun",
    "AutopaySweeps",
    "SweepTally",
    "SweepTotals",
    "amount_counter",
    "run_name",
]
