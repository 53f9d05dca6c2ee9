"""A manual bank payment's mandate acceptance, taken from the request that makes it.

Why: Stripe debits a bank account on-session only with the customer's mandate, given on
the confirmation (`mandate_data[customer_acceptance]`, online: the IP address and user
agent the customer accepted from, and when). The resident paying through
`POST /residents/{id}/payments` is that customer, now: the acceptance is this request's
source IP and `User-Agent` at this moment. The ledger keeps it only for a bank account
(a card needs none) and refuses an on-session bank payment without one (400
`invalid_request`, nothing written: `PaymentCommands.initiate_payment`), so this reads
no aggregate. Recorded on the payment (`PaymentInitiated.mandate_acceptance`), it is
what a retry of the same Idempotency-Key, a recovery re-drive or a later attempt sends
again: the very same `mandate_data` (Stripe refuses a key reused with other parameters).
"""

from __future__ import annotations

from datetime import UTC, datetime

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter

from sfr3_ledger.mandate_acceptance import MandateAcceptance

USER_AGENT_MAX = 500


def request_acceptance(app: BaseRouter) -> MandateAcceptance | None:
    """This request's online acceptance (source IP, User-Agent, now); None without them."""
    event = app.current_event
    ip = event.request_context.identity.source_ip
    # Header names are case-insensitive (HTTP); API Gateway passes them as the client sent,
    # and Powertools' `headers` is a case-insensitive mapping.
    agent = event.headers.get("User-Agent")
    if not ip or not agent:
        return None
    return MandateAcceptance(ip_address=ip, user_agent=agent[:USER_AGENT_MAX],
                             accepted_at=datetime.now(UTC))
