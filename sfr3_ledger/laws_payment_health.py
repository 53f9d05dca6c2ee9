"""The payment-health read model's laws (sfr3_ledger/read_models/payment_health.py).

For any stream of integration envelopes, whatever repeats it holds (a redelivered batch,
a replay after a crash), in whatever batches it arrives and whatever the order:

- each distinct event counts once: the report equals that of the distinct envelopes
  projected once, in one batch;
- per state, outstanding is the sum of the money-moving facts' effects on balances and
  collected is settled - refunded - charged back, all time and in the month to date (the
  lake query's definitions);
- success rate = settled / (settled + failed), never outside [0, 100];
- a rebuild from the distinct events equals the live projection.

`check_payment_health_laws(make_store)` runs them against any store (in memory, SQLite).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

from sfr3_ledger.laws_support import HealthCheck, given, settings, st
from sfr3_ledger.read_models.payment_health import (
    FACTS,
    PaymentHealthProjection,
    PaymentHealthStore,
    report,
)

AS_OF = date(2026, 12, 1)
STATES = ("TX", "GA", "CA", None)
REASONS = ("card_declined", "insufficient_funds", "expired_card", None)
TYPES = (*FACTS, "payment.submitted", "lease.started")


@st.composite
def envelopes(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=0, max_value=25))
    out = []
    for i in range(n):
        day = AS_OF - timedelta(days=draw(st.integers(min_value=0, max_value=40)))
        out.append({
            "eventId": f"e{i}",
            "eventType": draw(st.sampled_from(TYPES)),
            "timestamp": f"{day.isoformat()}T{draw(st.integers(0, 23)):02d}:00:00.000000Z",
            "data": {"state": draw(st.sampled_from(STATES)),
                     "amount": draw(st.integers(min_value=1, max_value=500_000)),
                     "failureReason": draw(st.sampled_from(REASONS))},
        })
    return out


def _deliveries(draw: st.DrawFn, distinct: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The distinct envelopes with repeats, shuffled, cut into batches."""
    repeats = draw(st.lists(st.sampled_from(distinct), max_size=10)) if distinct else []
    stream = draw(st.permutations(distinct + repeats))
    cuts = sorted(draw(st.lists(st.integers(0, len(stream)), max_size=4)))
    bounds = [0, *cuts, len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(bounds)]


def _expected_states(distinct: Sequence[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    totals: dict[str, tuple[int, int]] = {}
    for e in distinct:
        mapped = FACTS.get(e["eventType"])
        if mapped is None or not (mapped[1] or mapped[2]):
            continue
        state = e["data"]["state"] or "--"
        amount = e["data"]["amount"]
        c, o = totals.get(state, (0, 0))
        totals[state] = (c + mapped[1] * amount, o + mapped[2] * amount)
    return totals


def check_payment_health_laws(make_store: Callable[[], PaymentHealthStore],
                              max_examples: int = 60) -> None:
    @settings(max_examples=max_examples, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def law(data: st.DataObject) -> None:
        distinct = data.draw(envelopes())
        live_store, once_store = make_store(), make_store()
        live = PaymentHealthProjection(live_store)
        for batch in data.draw(st.composite(lambda d: _deliveries(d, distinct))()):
            live.process(batch)
        PaymentHealthProjection(once_store).process(distinct)
        got = report(live_store, AS_OF, 15.0)
        assert got == report(once_store, AS_OF, 15.0)

        states = {s["state"]: (s["collectedToDateCents"], s["outstandingCents"])
                  for s in got["byState"]}
        assert states == _expected_states(distinct)
        month = [e for e in distinct
                 if AS_OF.replace(day=1) <= date.fromisoformat(e["timestamp"][:10]) <= AS_OF]
        month_states = {k: c for k, (c, _) in _expected_states(month).items()}
        assert {s["state"]: s["collectedCents"] for s in got["byState"]} == {
            state: month_states.get(state, 0) for state in states}
        for period in (got["today"], got["trailing30Days"]):
            rate = period["successRatePct"]
            assert rate is None or 0.0 <= rate <= 100.0
            outcomes = period["settled"] + period["failed"]
            assert (rate is None) == (outcomes == 0)
        window = [e for e in distinct
                  if AS_OF - timedelta(days=29) <= date.fromisoformat(e["timestamp"][:10]) <= AS_OF]
        assert got["trailing30Days"]["failed"] == sum(
            e["eventType"] == "payment.failed" for e in window)
        assert sum(r["failures"] for r in got["failuresByReason"]) == got["trailing30Days"][
            "failed"]

        live.rebuild(distinct)
        assert report(live_store, AS_OF, 15.0) == report(once_store, AS_OF, 15.0)

    law()
