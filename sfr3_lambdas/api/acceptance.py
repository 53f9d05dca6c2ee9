"""A manual bank payment's mandate acceptance, taken from the request that makes it.

Why: Stripe debits a bank account on-session only with the customer's mandate, given on
the confirmation (`mandate_data[customer_acceptance]`, online: the IP address and user
agent the customer accepted from, and when). The resident paying through
`POST /residents/{id}/payments` with a `us_bank_account` method is that customer, now:
the acceptance is this request's source IP and `User-Agent` at this moment. It is
recorded on the payment (`PaymentInitiated.mandate_acceptance`), so a retry of the same
Idempotency-Key, a recovery re-drive or a later attempt sends the very same
`mandate_data` (Stripe refuses a key reused with other parameters). Cards need none.
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from sfr3_lambdas import wiring
from sfr3_lambdas.api.errors import ApiError
from sfr3_ledger.mandate_acceptance import MandateAcceptance
from sfr3_ledger.values import MethodType

USER_AGENT_MAX = 500


def bank_payment_acceptance(app: BaseRouter, resident_id: str,
                            method_id: str) -> MandateAcceptance | None:
    """The acceptance a payment with `method_id` needs: None for a card (or a method the
    payment itself will refuse as unknown), this request's for a bank account; 400 when
    the request carries no User-Agent (nothing to record the acceptance with)."""
    method = wiring.ledger().payment_methods(resident_id).methods.get(method_id)
    if method is None or not method.active or method.method_type != MethodType.ACH:
        return None
    event = app.current_event
    ip = event.request_context.identity.source_ip
    agent = (event.headers or {}).get("User-Agent") or (event.headers or {}).get("user-agent")
    if not ip or not agent:
        raise ApiError(400, "A bank payment records your authorization of the debit (the "
                       "request's source IP and User-Agent): send a User-Agent header",
                       "invalid_request")
    return MandateAcceptance(ip_address=ip, user_agent=agent[:USER_AGENT_MAX],
                             accepted_at=datetime.now(UTC))
