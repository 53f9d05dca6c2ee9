"""A resident's balance as of an instant, folded from the stored ledger events.

The aggregate's state is the balance now; the balance at a past instant
(`LedgerApplication.balance_as_of`) is the sum of each stored event's `balance_effect` up
to that instant, so it needs only the events, never the state (archived facts included).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sfr3_ledger.ledger import ResidentLedger


def balance_of(events: Iterable[object], *, until: datetime | None = None) -> int:
    """Fold stored ledger events into a balance, optionally as of an instant."""
    total = 0
    for domain_event in events:
        if not isinstance(domain_event, ResidentLedger.LedgerEvent):
            continue
        if until is not None and domain_event.timestamp > until:
            break
        total += domain_event.balance_effect()
    return total
