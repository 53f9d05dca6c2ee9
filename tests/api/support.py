"""What a rejected request must leave untouched: the resident's stored events."""

from __future__ import annotations

from typing import Any

from sfr3_ledger import PaymentMethods, ResidentLedger
from sfr3_ledger.autopay import AutopayEnrollment
from sfr3_ledger.leases import Lease


def footprint(stack: Any, rid: str) -> tuple[int, int, int, int]:
    """(ledger, payment-method, lease, autopay events) stored for `rid`."""
    app = stack.ledger()
    return tuple(len(list(app.events.get(cls.create_id(rid))))  # type: ignore[return-value]
                 for cls in (ResidentLedger, PaymentMethods, Lease, AutopayEnrollment))
