"""A customer's online acceptance of a bank-debit mandate: the evidence Stripe records.

Why its own module: the acceptance is recorded in three places that must not import
each other, the autopay mandate (autopay_mandates.py, a SetupIntent's `mandate_data`),
a manual ACH payment (`PaymentInitiated.mandate_acceptance`, sent as the PaymentIntent's
`mandate_data` on every attempt and re-drive) and the payment-provider port.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from sfr3_ledger.errors import InvalidCommand


@attrs.frozen
class MandateAcceptance:
    """What proves the resident accepted: where from, with what, when (UTC)."""

    ip_address: str
    user_agent: str
    accepted_at: datetime

    def __attrs_post_init__(self) -> None:
        if not self.ip_address or not self.user_agent:
            raise InvalidCommand("An ACH mandate needs the request's IP address and "
                                 "User-Agent")
        if self.accepted_at.tzinfo is None:
            raise ValueError("accepted_at must be timezone-aware")

    def mandate_data(self) -> dict[str, object]:
        """Stripe's `mandate_data` for this acceptance (`customer_acceptance`, online)."""
        return {"customer_acceptance": {
            "type": "online", "accepted_at": int(self.accepted_at.timestamp()),
            "online": {"ip_address": self.ip_address, "user_agent": self.user_agent}}}


__all__ = ["MandateAcceptance"]
