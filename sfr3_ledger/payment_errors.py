"""The payment flows' own errors (what the API answers when the provider says no or is down).

Apart from `payment_service.py` so the webhook handling (`provider_events.py`) and the
flows share them without importing each other.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sfr3_ledger.errors import LedgerError


class PaymentDeclined(LedgerError):
    """The provider refused the payment at once; the ledger recorded it FAILED."""

    code = "payment_declined"
    status = 402

    def __init__(self, payment_id: str, message: str, decline_code: str | None, *,
                 retry_at: datetime | None = None) -> None:
        super().__init__(message or "Your payment was declined")
        self.payment_id = payment_id
        self.decline_code = decline_code
        # When the payment is tried again automatically (retries.py), if it will be.
        self.retry_at = retry_at

    def details(self) -> dict[str, object]:
        out: dict[str, object] = {"paymentId": self.payment_id, "status": "FAILED"}
        if self.decline_code:
            out["declineCode"] = self.decline_code
        if self.retry_at is not None:
            out["nextAttemptAt"] = self.retry_at.astimezone(UTC).isoformat().replace(
                "+00:00", "Z")
        return out


class ProviderUnavailableError(LedgerError):
    """The provider could not be reached. A payment stays PENDING and is re-driven."""

    code = "provider_unavailable"
    status = 503

    def __init__(self, message: str, payment_id: str | None = None) -> None:
        super().__init__(message)
        self.payment_id = payment_id

    def details(self) -> dict[str, object]:
        if self.payment_id is None:
            return {}
        return {"paymentId": self.payment_id, "status": "PENDING"}


class ProviderRejected(LedgerError):
    """The provider refused a request as invalid (e.g. an unusable payment method token)."""

    code = "provider_rejected"
    status = 400
