"""The payment-health read model: finance's figures without replaying every ledger.

A projection of the integration events (the envelopes the stream processor and the local
backbone publish) into two small things a store keeps:

* one **fact** per payment outcome, payment and money-moving event (`HealthFact`: its UTC
  day, kind, state, amount and failure reason), keyed by the envelope's `eventId`, so
  the same event seen twice (a redelivered batch, a replay after a crash) is stored once;
* per US state, the running **collected** and **outstanding** totals, changed in the same
  atomic step as the fact's first insertion, so they move exactly once per fact.

Definitions (the same as the lake's finance queries, sfr3_dev/analytics.py):

* success rate of a period = settled / (settled + failed) payment outcomes in it;
* collected = settled - refunded - charged back, in the month to date (SPEC §6; the
  all-time figure is the state total `collectedToDateCents`); outstanding = charges and late
  fees + refunds + chargebacks - settled payments - credits, all time (the sum of the
  facts' effects on residents' balances).

Rebuildable from events: `PaymentHealthProjection.rebuild(envelopes)` clears the store and
projects them again; tests compare it with the live projection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Protocol

import attrs

# eventType -> (kind, sign on collected, sign on outstanding)
FACTS: dict[str, tuple[str, int, int]] = {
    "payment.initiated": ("initiated", 0, 0),
    "payment.settled": ("settled", 1, -1),
    "payment.failed": ("failed", 0, 0),
    "payment.refunded": ("refunded", -1, 1),
    "chargeback.applied": ("chargeback", -1, 1),
    "charge.posted": ("charged", 0, 1),
    "late_fee.applied": ("charged", 0, 1),
    "credit.applied": ("credited", 0, -1),
}
NO_STATE = "--"
WINDOW_DAYS = 30
MAX_REASON = 64


@attrs.frozen
class HealthFact:
    event_id: str
    day: date
    kind: str
    state: str
    amount: int
    reason: str | None
    collected: int
    outstanding: int


@attrs.frozen
class DayTotals:
    day: date
    initiated: int = 0
    settled: int = 0
    failed: int = 0
    settled_cents: int = 0
    failed_cents: int = 0


@attrs.frozen
class StateTotals:
    state: str
    collected_cents: int
    outstanding_cents: int


class PaymentHealthStore(Protocol):
    """Where the read model lives (SQLite locally, DynamoDB deployed)."""

    def add(self, facts: Sequence[HealthFact]) -> int:
        """Store the facts not stored yet (by event id) and move their states' totals, each
        fact atomically with its totals; how many were new."""

    def days(self, since: date, until: date) -> list[DayTotals]:
        """Per-day counts of the days in [since, until) that have any fact, ascending."""

    def failures_by_reason(self, since: date, until: date) -> list[tuple[str, int, int]]:
        """(reason, failures, failed cents) of [since, until), most failures first."""

    def states(self) -> list[StateTotals]:
        """Collected and outstanding per state (all time), by state."""

    def collected_by_state(self, since: date, until: date) -> dict[str, int]:
        """Collected cents per state from the facts of [since, until)."""

    def clear(self) -> None:
        """Forget everything (before a rebuild)."""


def fact_of(envelope: Mapping[str, Any]) -> HealthFact | None:
    """The fact an envelope records, or None for events that do not move these figures."""
    mapped = FACTS.get(str(envelope.get("eventType")))
    if mapped is None:
        return None
    kind, collected, outstanding = mapped
    data: Mapping[str, Any] = envelope.get("data") or {}
    amount = int(data.get("amount") or 0)
    reason = None
    if kind == "failed":
        reason = str(data.get("failureReason") or "unknown")[:MAX_REASON]
    return HealthFact(
        event_id=str(envelope["eventId"]),
        day=date.fromisoformat(str(envelope["timestamp"])[:10]),
        kind=kind,
        state=str(data.get("state") or NO_STATE),
        amount=amount,
        reason=reason,
        collected=collected * amount,
        outstanding=outstanding * amount,
    )


class PaymentHealthProjection:
    def __init__(self, store: PaymentHealthStore) -> None:
        self.store = store

    def process(self, envelopes: Iterable[Mapping[str, Any]]) -> int:
        """Project `envelopes` (safe to repeat); how many facts were new."""
        facts = [f for f in (fact_of(e) for e in envelopes) if f is not None]
        unique = list({f.event_id: f for f in facts}.values())
        return self.store.add(unique) if unique else 0

    def rebuild(self, envelopes: Iterable[Mapping[str, Any]]) -> int:
        self.store.clear()
        return self.process(envelopes)


def _rate(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _period(days: Sequence[DayTotals], threshold: float) -> dict[str, Any]:
    settled = sum(d.settled for d in days)
    failed = sum(d.failed for d in days)
    failure = _rate(failed, settled + failed)
    return {
        "initiated": sum(d.initiated for d in days),
        "settled": settled,
        "failed": failed,
        "settledCents": sum(d.settled_cents for d in days),
        "failedCents": sum(d.failed_cents for d in days),
        "successRatePct": _rate(settled, settled + failed),
        "failureRatePct": failure,
        "overThreshold": failure is not None and failure > threshold,
    }


def report(store: PaymentHealthStore, as_of: date, threshold_pct: float) -> dict[str, Any]:
    """The payment-health figures of `as_of` (a UTC day) and the 30 days ending with it:
    the body of `GET /analytics/payment-health`."""
    until = as_of + timedelta(days=1)
    since = until - timedelta(days=WINDOW_DAYS)
    days = store.days(since, until)
    month = store.collected_by_state(as_of.replace(day=1), until)
    today = [d for d in days if d.day == as_of]
    failures = store.failures_by_reason(since, until)
    total_failures = sum(n for _, n, _ in failures)
    trailing = _period(days, threshold_pct)
    current = _period(today, threshold_pct)
    return {
        "asOf": as_of.isoformat(),
        "window": {"since": since.isoformat(), "until": as_of.isoformat(), "days": WINDOW_DAYS},
        "failureRateThresholdPct": threshold_pct,
        "overThreshold": current["overThreshold"],
        "today": current,
        "trailing30Days": trailing,
        "failuresByReason": [
            {"reason": reason, "failures": n, "failedCents": cents,
             "sharePct": _rate(n, total_failures)}
            for reason, n, cents in failures
        ],
        "byDay": [
            {"day": d.day.isoformat(), "initiated": d.initiated, "settled": d.settled,
             "failed": d.failed, "successPct": _rate(d.settled, d.settled + d.failed),
             "settledCents": d.settled_cents, "failedCents": d.failed_cents}
            for d in days
        ],
        "byState": [
            {"state": s.state, "collectedCents": month.get(s.state, 0),
             "outstandingCents": s.outstanding_cents, "collectedToDateCents": s.collected_cents}
            for s in store.states()
        ],
    }


class InMemoryPaymentHealthStore:
    """The store as plain dictionaries (tests; the law of the store's contract)."""

    def __init__(self) -> None:
        self.facts: dict[str, HealthFact] = {}
        self.totals: dict[str, tuple[int, int]] = {}

    def add(self, facts: Sequence[HealthFact]) -> int:
        new = 0
        for fact in facts:
            if fact.event_id in self.facts:
                continue
            self.facts[fact.event_id] = fact
            if moves_totals(fact):
                collected, outstanding = self.totals.get(fact.state, (0, 0))
                self.totals[fact.state] = (collected + fact.collected,
                                           outstanding + fact.outstanding)
            new += 1
        return new

    def days(self, since: date, until: date) -> list[DayTotals]:
        return days_of([f for f in self.facts.values() if since <= f.day < until])

    def failures_by_reason(self, since: date, until: date) -> list[tuple[str, int, int]]:
        return reasons_of([f for f in self.facts.values() if since <= f.day < until])

    def states(self) -> list[StateTotals]:
        return [StateTotals(s, c, o) for s, (c, o) in sorted(self.totals.items())]

    def collected_by_state(self, since: date, until: date) -> dict[str, int]:
        return collected_of([f for f in self.facts.values() if since <= f.day < until])

    def clear(self) -> None:
        self.facts.clear()
        self.totals.clear()


def moves_totals(fact: HealthFact) -> bool:
    """Whether the fact's kind counts in collected/outstanding (a state is listed once it
    has such a fact, as in the lake query)."""
    _, collected, outstanding = next(v for v in FACTS.values() if v[0] == fact.kind)
    return bool(collected or outstanding)


def days_of(facts: Iterable[HealthFact]) -> list[DayTotals]:
    """Per-day totals of facts (for stores that aggregate in Python)."""
    by_day: dict[date, dict[str, int]] = {}
    for f in facts:
        row = by_day.setdefault(f.day, {"initiated": 0, "settled": 0, "failed": 0,
                                        "settled_cents": 0, "failed_cents": 0})
        if f.kind in ("initiated", "settled", "failed"):
            row[f.kind] += 1
        if f.kind in ("settled", "failed"):
            row[f"{f.kind}_cents"] += f.amount
    return [DayTotals(day, **row) for day, row in sorted(by_day.items())
            if any(row.values())]


def collected_of(facts: Iterable[HealthFact]) -> dict[str, int]:
    """Collected cents per state of facts (stores that aggregate in Python)."""
    out: dict[str, int] = {}
    for f in facts:
        if f.kind in ("settled", "refunded", "chargeback"):
            sign = 1 if f.kind == "settled" else -1
            out[f.state] = out.get(f.state, 0) + sign * f.amount
    return out


def reasons_of(facts: Iterable[HealthFact]) -> list[tuple[str, int, int]]:
    counts: dict[str, tuple[int, int]] = {}
    for f in facts:
        if f.kind == "failed" and f.reason is not None:
            n, cents = counts.get(f.reason, (0, 0))
            counts[f.reason] = (n + 1, cents + f.amount)
    return sorted(((r, n, c) for r, (n, c) in counts.items()), key=lambda t: (-t[1], t[0]))
