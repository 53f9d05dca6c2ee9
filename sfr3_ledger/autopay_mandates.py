"""The ACH mandate behind autopay: created at enrollment, named on every autopay debit.

Why: a bank debit the resident does not start themselves (the sweep's, at 06:00) is legal
only under a mandate they accepted, and Stripe refuses or later loses an off-session ACH
debit without one. So when a resident enrolls (or switches autopay to) a `us_bank_account`
method, the provider is asked first for a SetupIntent confirmed off-session with their
online acceptance: the IP address and user agent of the enrolling request and the moment
they accepted (`PaymentProvider.create_ach_mandate`, idempotency key `seti-<setupId>`, so
a retried enrollment makes one mandate). Only a `succeeded` SetupIntent with a mandate is
recorded (its id on `autopay.enrolled` / `autopay.changed`); anything else refuses the
enrollment and records nothing:

- the provider refuses the request, or the setup needs an action the resident must take
  (`requires_action`: microdeposits to verify) or failed → `MandateRefused` (402);
- the provider cannot be reached → `ProviderUnavailableError` (503: try again, the same
  key makes the same mandate).

Cards need no mandate (their off-session charges rest on the card's own agreement).
The sweep pays with `PaymentService.pay(..., mandate_id=...)`: the mandate is recorded on
the payment (`PaymentInitiated.mandate_id`), and every PaymentIntent made for it (the first
attempt, each retry, a recovery's re-drive with the same idempotency key) names it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfr3_ledger.errors import InvalidCommand, LedgerError, PaymentMethodNotFound
from sfr3_ledger.mandate_acceptance import MandateAcceptance
from sfr3_ledger.payment_errors import ProviderUnavailableError
from sfr3_ledger.payment_provider import (
    CardDeclined,
    InvalidProviderRequest,
    PaymentProvider,
    PaymentProviderError,
    ProviderRateLimited,
    ProviderUnavailable,
)
from sfr3_ledger.values import MethodType

if TYPE_CHECKING:
    from sfr3_ledger.application import LedgerApplication


class MandateRefused(LedgerError):
    """The bank account could not be authorised for automatic debits; nothing recorded."""

    code = "mandate_refused"
    status = 402

    def __init__(self, message: str, status: str | None = None) -> None:
        super().__init__(message)
        self.setup_status = status

    def details(self) -> dict[str, object]:
        return {"setupStatus": self.setup_status} if self.setup_status else {}


def needs_mandate(app: LedgerApplication, resident_id: str, method_id: str) -> bool:
    method = app.payment_methods(resident_id).methods.get(method_id)
    if method is None or not method.active:
        raise PaymentMethodNotFound(method_id)
    return bool(method.method_type == MethodType.ACH)


def create_mandate(app: LedgerApplication, provider: PaymentProvider, resident_id: str, *,
                   setup_id: str, method_id: str, acceptance: MandateAcceptance | None
                   ) -> str | None:
    """The mandate id for autopay with `method_id` (None for a card): see the module doc."""
    if not needs_mandate(app, resident_id, method_id):
        return None
    if acceptance is None:
        raise InvalidCommand("An ACH autopay mandate needs the resident's acceptance")
    methods = app.payment_methods(resident_id)
    method = methods.methods[method_id]
    if methods.customer_id is None:
        raise PaymentMethodNotFound(method_id)
    try:
        result = provider.create_ach_mandate(
            setup_id=setup_id, customer_id=methods.customer_id,
            payment_method_id=method.provider_id, ip_address=acceptance.ip_address,
            user_agent=acceptance.user_agent, accepted_at=acceptance.accepted_at,
            metadata={"resident_id": resident_id, "autopay_setup_id": setup_id})
    except (ProviderUnavailable, ProviderRateLimited) as exc:
        raise ProviderUnavailableError("Payment provider unavailable; autopay was not "
                                       "enrolled: try again") from exc
    except (InvalidProviderRequest, CardDeclined) as exc:
        raise MandateRefused(f"The bank account could not be authorised for automatic "
                             f"debits: {exc.message}") from exc
    except PaymentProviderError as exc:
        raise ProviderUnavailableError("Payment provider error; autopay was not enrolled: "
                                       "try again") from exc
    if result.status != "succeeded" or not result.mandate_id:
        why = "the bank account must be verified first" if result.status == "requires_action" \
            else (result.failure_message or f"the setup is {result.status}")
        raise MandateRefused(f"The bank account could not be authorised for automatic "
                             f"debits: {why}", result.status)
    return result.mandate_id


__all__ = ["MandateAcceptance", "MandateRefused", "create_mandate", "needs_mandate"]
