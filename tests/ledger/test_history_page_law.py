"""The law of history pages (issue 17): following `nextCursor` from the first page lists
exactly the full history, filtered, newest first, each payment once and as the live ledger
has it; whatever the split between payments still in the ledger's state and rows of the
read model (archived ones only there, recent ones possibly not yet projected or stale)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from sfr3_ledger.read_models.payments import Position, history_page, position_of
from sfr3_ledger.records import Payment
from sfr3_ledger.values import PaymentStatus

T0 = datetime(2027, 1, 1, tzinfo=UTC)
METHODS = ("meth_a", "meth_b")


def payment(n: int, minute: int, method: str, status: PaymentStatus) -> Payment:
    return Payment(payment_id=f"pay_{n:03d}", amount=100 + n, method_id=method,
                   status=status, initiated_at=T0 + timedelta(minutes=minute),
                   initiated_by="r", property_id="p", us_state="TX")


class MemoryIndex:
    """The read model's port over a dict (what SQLite and DynamoDB implement)."""

    def __init__(self, rows: list[Payment]) -> None:
        self.rows = {p.payment_id: p for p in rows}

    def page(self, resident_id: str, *, before: Position | None, start: datetime | None,
             end: datetime | None, method_id: str | None, limit: int) -> list[Payment]:
        found = [p for p in self.rows.values()
                 if (before is None or position_of(p) < before)
                 and (start is None or p.initiated_at >= start)
                 and (end is None or p.initiated_at < end)
                 and (method_id is None or p.method_id == method_id)]
        return sorted(found, key=position_of, reverse=True)[:limit]


@st.composite
def histories(draw: Any) -> tuple[list[Payment], list[Payment], list[Payment]]:
    """(every payment as the ledger has it, the live ones, the index's rows)."""
    n = draw(st.integers(0, 25))
    minutes = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))  # ties happen
    truth = [payment(i, m, draw(st.sampled_from(METHODS)), PaymentStatus.SETTLED)
             for i, m in enumerate(minutes)]
    ordered = sorted(truth, key=position_of)
    archived = draw(st.integers(0, len(ordered)))
    live = ordered[archived:]
    rows = list(ordered[:archived])
    for p in live:  # the projection may lag: a live payment unseen, or seen while PENDING
        kind = draw(st.sampled_from(["seen", "unseen", "stale"]))
        if kind == "seen":
            rows.append(p)
        elif kind == "stale":
            rows.append(attrs.evolve(p, status=PaymentStatus.PENDING))
    return truth, live, rows


@settings(max_examples=300, deadline=None)
@given(histories(), st.integers(1, 7), st.sampled_from([None, *METHODS]),
       st.sampled_from([None, 5, 20]), st.sampled_from([None, 15, 35]))
def test_pages_list_the_whole_filtered_history_once(
        history: tuple[list[Payment], list[Payment], list[Payment]], limit: int,
        method: str | None, start_min: int | None, end_min: int | None) -> None:
    truth, live, rows = history
    start = T0 + timedelta(minutes=start_min) if start_min is not None else None
    end = T0 + timedelta(minutes=end_min) if end_min is not None else None
    ledger = SimpleNamespace(resident_id="r", payments={p.payment_id: p for p in live},
                             archived_payments=len(truth) - len(live))
    index = MemoryIndex(rows)
    listed: list[Payment] = []
    cursor = None
    for _ in range(100):
        page = history_page("r", ledger, index, limit=limit, cursor=cursor,  # type: ignore[arg-type]
                            start=start, end=end, method_id=method)
        assert len(page.payments) <= limit
        listed += page.payments
        cursor = page.next_cursor
        if cursor is None:
            break
    expected = sorted((p for p in truth
                       if (start is None or p.initiated_at >= start)
                       and (end is None or p.initiated_at < end)
                       and (method is None or p.method_id == method)),
                      key=position_of, reverse=True)
    assert listed == expected
