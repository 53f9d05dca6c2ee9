"""`/residents/{residentId}/payments` and `/balance`: pay, read history and balance, refund.

Refunds (staff): no body refunds all that remains, `{"amount": n}` part of it. One
refund request is one refund whatever happens to the request (see
`PaymentService.refund`): with an `Idempotency-Key` the key names the refund, so a retry
replays it; without one, a request identical to a refund made for the same payment in
the last few minutes is refused with 409 `duplicate_refund` (send a new key to make a
second identical refund deliberately), and one identical to a refund still in flight
re-drives that refund instead of making another.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from sfr3_lambdas import wiring
from sfr3_lambdas.api.acceptance import request_acceptance
from sfr3_lambdas.api.contract import IDEMPOTENCY_ERRORS, answers, idempotent
from sfr3_lambdas.api.errors import ApiError, json_response
from sfr3_lambdas.api.policy import allow
from sfr3_lambdas.api.requests import Cents, Strict, iso, once, parse_instant, principal, text
from sfr3_ledger import CURRENCY, PaymentStatus
from sfr3_ledger.read_models.payments import DEFAULT_PAGE, MAX_PAGE
from sfr3_ledger.records import Payment as PaymentRecord

router = Router()
Id = Annotated[str, Path(min_length=1, max_length=200)]
MethodId = text(200, min_length=1)


class MakePayment(Strict):
    amount: Cents
    paymentMethodId: MethodId


class Refund(Strict):
    amount: Cents | None = None


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class PaymentAccepted(Out):
    paymentId: str
    status: PaymentStatus = Field(description="PENDING until Stripe confirms (webhook)")
    amount: int
    currency: str
    paymentMethodId: str
    currentBalance: int
    balanceAfterPayment: int


class PaymentAttempt(Out):
    """A failed attempt (its own PaymentIntent) of a payment that is retried."""

    attempt: int
    amount: int
    stripeRef: str | None
    failureReason: str
    failedAt: datetime
    nextAttemptAt: datetime | None


class Payment(Out):
    paymentId: str
    status: PaymentStatus
    amount: int
    currency: str
    paymentMethodId: str
    initiatedAt: datetime
    initiatedBy: str
    settledAt: datetime | None
    failedAt: datetime | None
    failureReason: str | None
    refunded: int
    chargedBack: int
    attempt: int
    attempts: list[PaymentAttempt]
    nextAttemptAt: datetime | None
    retryStatus: str | None = Field(description="SCHEDULED, EXHAUSTED, CANCELLED: <why>, "
                                                "or null (never failed or not retried)")
    receiptUrl: str | SkipJsonSchema[None] = Field(
        default=None, description="Present once settled, when its PDF receipt exists")


class PaymentHistory(Out):
    residentId: str
    payments: list[Payment]
    nextCursor: str | None = Field(description="The next page's cursor; null on the last")


class Balance(Out):
    residentId: str
    balance: int
    currency: str
    pendingPayments: int
    payable: int = Field(description="balance - pendingPayments: what may still be paid")


class RefundResult(Out):
    paymentId: str
    refundId: str
    amount: int
    currency: str
    status: PaymentStatus
    refunded: int
    balance: int


def payment_json(p: PaymentRecord, resident_id: str, *, receipts: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "paymentId": p.payment_id,
        "status": p.status.value,
        "amount": p.amount,
        "currency": CURRENCY,
        "paymentMethodId": p.method_id,
        "initiatedAt": iso(p.initiated_at),
        "initiatedBy": p.initiated_by,
        "settledAt": iso(p.settled_at),
        "failedAt": iso(p.failed_at),
        "failureReason": p.failure_reason,
        "refunded": p.refunded,
        "chargedBack": p.charged_back,
        # Retries (issue 13): the attempt under way or last made, each failed attempt and
        # why, when the next is due, and how retrying ended (EXHAUSTED, CANCELLED: why).
        "attempt": p.attempt,
        "attempts": [{"attempt": a.number, "amount": a.amount, "stripeRef": a.stripe_ref,
                      "failureReason": a.reason, "failedAt": iso(a.failed_at),
                      "nextAttemptAt": iso(a.retry_at)} for a in p.attempts],
        "nextAttemptAt": iso(p.retry_at),
        "retryStatus": p.retry_status,
    }
    if receipts and p.settled_at is not None:
        url = wiring.receipt_url(resident_id, p.payment_id)
        if url:
            out["receiptUrl"] = url
    return out


@router.post("/residents/<residentId>/payments", tags=["payments"],
             summary="Pay toward the balance (any amount up to it)",
             responses=answers(202, PaymentAccepted, "Accepted: PENDING until Stripe "
                               "confirms", 402, 404, 409, 503, *IDEMPOTENCY_ERRORS))
@allow("pay")
@idempotent
def make_payment(residentId: Id, body: Annotated[MakePayment, Body()]) -> Response[str]:
    actor = principal(router).actor

    def act(token: str | None) -> Response[str]:
        outcome = wiring.payment_service().pay(
            residentId, amount=body.amount, method_id=body.paymentMethodId,
            actor=actor, payment_id=f"pay_{token}" if token else None,
            # A bank debit carries the resident's mandate acceptance (api/acceptance.py).
            mandate_acceptance=request_acceptance(router), on_session=True)
        p = outcome.payment
        return json_response(202, {
            "paymentId": p.payment_id, "status": p.status.value, "amount": p.amount,
            "currency": CURRENCY, "paymentMethodId": p.method_id,
            "currentBalance": outcome.current_balance,
            "balanceAfterPayment": outcome.balance_after_payment})

    return once(router, residentId, body.model_dump(), act)


@router.get("/residents/<residentId>/payments", tags=["payments"],
            summary="Payment history, newest first, a page at a time (nextCursor)",
            responses=answers(200, PaymentHistory, "A page of the history"))
@allow("read")
def payment_history(
    residentId: Id,
    from_: Annotated[str | None, Query(alias="from", max_length=40,
                                       description="ISO date or date-time (UTC)")] = None,
    to: Annotated[str | None, Query(max_length=40,
                                    description="ISO date (inclusive) or date-time")] = None,
    paymentMethodId: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int | None, Query(ge=1, le=MAX_PAGE,
                                       description=f"Page size, 1-{MAX_PAGE} "
                                                   f"(default {DEFAULT_PAGE})")] = None,
    cursor: Annotated[str | None, Query(min_length=1, max_length=400,
                                        description="nextCursor of the previous page")] = None,
) -> Response[str]:
    """A page costs the same whatever the history's length (the payments read model,
    sfr3_ledger/read_models/payments.py); follow `nextCursor` (null on the last page)
    with the same filters for the next one."""
    start = parse_instant(from_, "from", end=False)
    end = parse_instant(to, "to", end=True)
    if start and end and end <= start:
        raise ApiError(400, "to must be after from", "invalid_request")
    page = wiring.ledger().payment_history_page(
        residentId, limit=limit, cursor=cursor, start=start, end=end,
        method_id=paymentMethodId or None)
    return json_response(200, {"residentId": residentId,
                               "payments": [payment_json(p, residentId, receipts=True)
                                            for p in page.payments],
                               "nextCursor": page.next_cursor})


@router.get("/residents/<residentId>/balance", tags=["balance"],
            summary="Current balance (a payment counts once it settles)",
            responses=answers(200, Balance, "The balance"))
@allow("read")
def balance(residentId: Id) -> Response[str]:
    ledger = wiring.ledger().ledger(residentId)
    return json_response(200, {"residentId": residentId, "balance": ledger.balance,
                               "currency": CURRENCY, "pendingPayments": ledger.pending_total,
                               "payable": ledger.payable})


@router.post("/residents/<residentId>/payments/<paymentId>/refund", tags=["payments"],
             summary="Refund a SETTLED payment (staff): no body = full, {amount} = partial",
             responses=answers(200, RefundResult, "Refunded", 404, 409, 503,
                               *IDEMPOTENCY_ERRORS))
@allow("refund")
@idempotent
def refund(residentId: Id, paymentId: Id,
           body: Annotated[Refund | None, Body()] = None) -> Response[str]:
    actor = principal(router).actor
    amount = body.amount if body is not None else None

    def act(token: str | None) -> Response[str]:
        outcome = wiring.payment_service().refund(
            residentId, paymentId, amount=amount, actor=actor,
            request_id=f"rfq_{token}" if token else None)
        p = outcome.payment
        return json_response(200, {
            "paymentId": p.payment_id, "refundId": outcome.refund_id,
            "amount": outcome.amount, "currency": CURRENCY, "status": p.status.value,
            "refunded": p.refunded, "balance": wiring.ledger().balance(residentId)})

    return once(router, residentId, {"amount": amount}, act)
