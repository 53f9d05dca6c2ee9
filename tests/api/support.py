"""What a rejected request must leave untouched: the resident's stored events."""

from __future__ import annotations

from typing import Any

from sfr3_ledger import PaymentMethods, ResidentLedger


def footprint(stack: Any, rid: str) -> tuple[int, int]:
    """(ledger events, payment-method events) stored for `rid`."""
    app = stack.ledger()
    ledger = list(app.events.get(ResidentLedger.create_id(rid)))
    methods = list(app.events.get(PaymentMethods.create_id(rid)))
    return len(ledger), len(methods)
