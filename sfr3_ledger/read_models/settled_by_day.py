"""Settled facts by UTC day: what the ledger says moved money at Stripe, day by day.

The daily reconciliation compares Stripe's balance transactions of a day with this read
model's facts of the same day, so it never scans every resident. One row per fact:

| kind            | ledger event     | match key (Stripe id) | amount (Stripe's sign) |
|-----------------|------------------|-----------------------|------------------------|
| `payment`       | `PaymentSettled` | the PaymentIntent id  | + amount               |
| `refund`        | `RefundApplied`  | the refund id `re_…`  | - amount               |
| `chargeback`    | `DisputeOpened`  | the dispute id `dp_…` | - disputed amount      |
| `reinstatement` | `DisputeWon`     | the dispute id `dp_…` | + disputed amount      |

A *chargeback* is keyed at the dispute's opening, not at `ChargebackApplied`: Stripe
withdraws the disputed amount the moment a dispute opens (and reinstates it if we win);
losing it later moves the resident's balance, not money at Stripe.

**The day boundary is the UTC calendar day** (00:00:00 to 24:00:00 UTC) of the ledger
event's timestamp, the same boundary as Stripe's `created` filter with UTC epoch bounds.
A fact recorded just after midnight for a transaction Stripe created just before it is
found by its match key (`fact`), so a crossing of the boundary is matched, not reported
twice. A payment the reconciliation *healed* (Stripe settled it, the webhook was lost)
belongs to the day Stripe settled it: the run's `Healed` fact moves it there, whichever
of the two events this projection sees first.

Marks that come from the reconciliation runs (`ReconciliationDay` events): `healed_by`
(the run that healed the payment) and `reconciled_run`/`reconciled_at` (the first run
that matched the fact). Every write is an idempotent upsert derived from events, so
replaying the log rebuilds the same rows (the "rebuild equals live" test).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol

import attrs

from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.reconciliation_runs import ReconciliationDay

FactKind = Literal["payment", "refund", "chargeback", "reinstatement"]
FACT_KINDS: tuple[FactKind, ...] = ("payment", "refund", "chargeback", "reinstatement")


def utc_day(moment: datetime) -> date:
    """The reconciliation day of an instant: its UTC calendar date."""
    return moment.astimezone(UTC).date()


@attrs.frozen
class SettledFact:
    day: date
    kind: FactKind
    key: str  # the Stripe id that Stripe's balance transaction names (see the table)
    resident_id: str
    payment_id: str
    amount: int  # signed as Stripe's balance moves: + money in, - money out
    at: datetime
    fact_id: str  # the ledger's own id of the fact (payment, refund or dispute id)
    healed_by: str | None = None
    reconciled_run: str | None = None
    reconciled_at: datetime | None = None


class SettledFactsIndex(Protocol):
    """The read model's store (SQLite locally, DynamoDB deployed)."""

    def put_fact(self, fact: SettledFact) -> None:
        """Upsert by (kind, key). Keeps the marks already stored; a payment healed before
        its fact arrived takes the healed day and run."""

    def fact(self, kind: FactKind, key: str) -> SettledFact | None: ...

    def facts_on(self, day: date) -> list[SettledFact]:
        """Every fact of the UTC day, in (kind, key) order."""

    def mark_healed(self, key: str, day: date, run_id: str) -> None:
        """The payment with PaymentIntent `key` belongs to `day`, healed by `run_id`."""

    def mark_reconciled(self, keys: Sequence[tuple[FactKind, str]], run_id: str,
                        at: datetime) -> None:
        """Record the first run that matched each fact (later marks change nothing)."""

    def clear(self) -> None: ...


def fact_key(kind: FactKind, key: str) -> str:
    """`kind|key`: how a run names a fact in its events."""
    return f"{kind}|{key}"


def parse_fact_key(text: str) -> tuple[FactKind, str]:
    kind, _, key = text.partition("|")
    for known in FACT_KINDS:
        if kind == known:
            return known, key
    raise ValueError(f"not a fact key: {text!r}")


class SettledFactsProjection:
    """Ledger and reconciliation-run events -> the index; safe to replay from anywhere."""

    def __init__(self, index: SettledFactsIndex) -> None:
        self.index = index

    def process(self, events: Iterable[Any]) -> int:
        applied = 0
        for e in events:
            fact = self._fact(e)
            if fact is not None:
                self.index.put_fact(fact)
                applied += 1
            elif isinstance(e, ReconciliationDay.Healed):
                self.index.mark_healed(e.stripe_ref, e.day, e.run_id)
                applied += 1
            elif isinstance(e, ReconciliationDay.Reconciled):
                self.index.mark_reconciled([parse_fact_key(k) for k in e.keys], e.run_id,
                                           e.timestamp)
                applied += 1
        return applied

    def _fact(self, e: Any) -> SettledFact | None:
        L = ResidentLedger
        if isinstance(e, L.PaymentSettled):
            key = e.stripe_ref or f"ledger:{e.payment_id}"
            return SettledFact(day=utc_day(e.timestamp), kind="payment", key=key,
                               resident_id=e.resident_id, payment_id=e.payment_id,
                               amount=e.amount, at=e.timestamp, fact_id=e.payment_id)
        if isinstance(e, L.RefundApplied):
            return SettledFact(day=utc_day(e.timestamp), kind="refund",
                               key=e.stripe_ref or e.refund_id, resident_id=e.resident_id,
                               payment_id=e.payment_id, amount=-e.amount, at=e.timestamp,
                               fact_id=e.refund_id)
        if isinstance(e, L.DisputeOpened):
            return SettledFact(day=utc_day(e.timestamp), kind="chargeback", key=e.dispute_id,
                               resident_id=e.resident_id, payment_id=e.payment_id,
                               amount=-e.amount, at=e.timestamp, fact_id=e.dispute_id)
        if isinstance(e, L.DisputeWon):
            opened = self.index.fact("chargeback", e.dispute_id)
            if opened is None:  # cannot happen in log order: the dispute opened first
                return None
            return SettledFact(day=utc_day(e.timestamp), kind="reinstatement",
                               key=e.dispute_id, resident_id=e.resident_id,
                               payment_id=opened.payment_id, amount=-opened.amount,
                               at=e.timestamp, fact_id=e.dispute_id)
        return None


def rebuild(index: SettledFactsIndex, projection: SettledFactsProjection,
            batches: Iterable[Sequence[Any]]) -> int:
    """Drop the index and replay every event: the read model from events alone."""
    index.clear()
    return sum(projection.process(batch) for batch in batches)
