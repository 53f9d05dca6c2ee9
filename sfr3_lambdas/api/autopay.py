"""`/residents/{residentId}/autopay`: a resident's standing instruction to pay rent itself.

The resident enrolls one of their own active payment methods and a charge day (1-28),
optionally a maximum amount per charge; the daily sweep (sfr3_ledger/jobs.py) pays the
payable balance, capped, on that day in the property's time zone. Residents enroll,
change, pause and resume for themselves; all staff may read and cancel (never enroll or
change: the card-holder's consent is the resident's own token).

`PATCH` changes the method, the day and/or the cap (`"maxAmount": null` removes the cap);
fields it does not name keep their values. Removing the payment method autopay uses
pauses it (`PaymentService.remove_payment_method`); `resume` then needs another method
first (409 `payment_method_removed`). Bad input is 400 before anything is written; an
unknown or removed method 404; a second enrollment while one is ACTIVE or PAUSED 409.

An ACH (`us_bank_account`) method is debited under a mandate (sfr3_ledger.autopay_mandates):
enrolling it, or switching autopay to it, first asks Stripe for a SetupIntent confirmed
with the resident's online acceptance: this request's source IP and `User-Agent`, now.
The mandate id is recorded on the enrollment (`mandateId`); if Stripe refuses or the
account needs verifying first the answer is 402 `mandate_refused`, if Stripe is
unreachable 503 `provider_unavailable`, and nothing is recorded either way.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from sfr3_lambdas import wiring
from sfr3_lambdas.api.acceptance import request_acceptance
from sfr3_lambdas.api.contract import IDEMPOTENCY_ERRORS, answers, idempotent
from sfr3_lambdas.api.errors import ApiError, json_response
from sfr3_lambdas.api.policy import allow
from sfr3_lambdas.api.requests import Strict, iso, once, principal, text
from sfr3_ledger import CURRENCY
from sfr3_ledger.application import new_id
from sfr3_ledger.autopay import ACTIVE, CANCELLED, PAUSED, AutopayEnrollment
from sfr3_ledger.autopay_mandates import create_mandate, needs_mandate
from sfr3_ledger.errors import ConflictingFact
from sfr3_ledger.schedules import MAX_DUE_DAY, local_date, next_period, period_name
from sfr3_ledger.values import MAX_AMOUNT_CENTS, MIN_PAYMENT_CENTS

router = Router()
Id = Annotated[str, Path(min_length=1, max_length=200)]
MethodId = text(200, min_length=1)
ChargeDay = Annotated[StrictInt, Field(ge=1, le=MAX_DUE_DAY,
                                       description="Day of the month, 1-28")]
Cap = Annotated[StrictInt, Field(ge=MIN_PAYMENT_CENTS, le=MAX_AMOUNT_CENTS,
                                 description="Most one charge may be, integer cents (USD)")]
PATH = "/residents/<residentId>/autopay"


class EnrollAutopay(Strict):
    paymentMethodId: MethodId
    chargeDay: ChargeDay
    maxAmount: Cap | None = None


class ChangeAutopay(Strict):
    paymentMethodId: MethodId | None = None
    chargeDay: ChargeDay | None = None
    maxAmount: Cap | None = None


class EmptyBody(Strict):
    """pause / resume / cancel take no fields (an empty object or no body)."""


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class ChargedPeriod(Out):
    period: str = Field(description="YYYY-MM")
    outcome: Literal["CHARGED"]
    paymentId: str
    amount: int


class SkippedPeriod(Out):
    period: str = Field(description="YYYY-MM")
    outcome: Literal["SKIPPED"]
    reason: str


class Autopay(Out):
    enrollmentId: str
    residentId: str
    status: Literal["ACTIVE", "PAUSED", "CANCELLED"]
    pauseReason: str | None
    paymentMethodId: str
    methodLabel: str | None
    last4: str | None
    methodRemoved: bool
    chargeDay: int
    maxAmount: int | None = Field(description="Most one charge may be, cents; null = no cap")
    currency: str
    timeZone: str
    mandateId: str | None = Field(description="The ACH mandate (us_bank_account methods)")
    nextChargeDate: date | None = Field(description="Null unless ACTIVE")
    outcomes: list[Annotated[ChargedPeriod | SkippedPeriod, Field(discriminator="outcome")]]
    changedAt: datetime | None


AUTOPAY_ERRORS = (402, 404, 409, 503)


def next_charge_date(enrollment: AutopayEnrollment, now: datetime | None = None) -> date | None:
    """The next charge day on or after today in the enrollment's zone, skipping a period
    the sweep already handled (charged or skipped); None unless ACTIVE."""
    if enrollment.status != ACTIVE:
        return None
    today = local_date(now or datetime.now(UTC), enrollment.time_zone)
    period = today.replace(day=1)
    if today.day > enrollment.charge_day or period_name(period) in enrollment.outcomes:
        period = next_period(period)
    return enrollment.charge_date(period)


def _outcome(period: str, outcome: tuple[str, str, int]) -> dict[str, Any]:
    kind, ref, amount = outcome
    if kind == "CHARGED":
        return {"period": period, "outcome": kind, "paymentId": ref, "amount": amount}
    return {"period": period, "outcome": kind, "reason": ref}


def enrollment_json(enrollment: AutopayEnrollment, now: datetime | None = None
                    ) -> dict[str, Any]:
    method = wiring.ledger().payment_methods(enrollment.resident_id).methods.get(
        enrollment.method_id)
    return {
        "enrollmentId": enrollment.enrollment_id,
        "residentId": enrollment.resident_id,
        "status": enrollment.status,
        "pauseReason": enrollment.pause_reason,
        "paymentMethodId": enrollment.method_id,
        "methodLabel": method.label if method is not None else None,
        "last4": method.last4 if method is not None else None,
        "methodRemoved": method is None or not method.active,
        "chargeDay": enrollment.charge_day,
        "maxAmount": enrollment.max_amount,
        "currency": CURRENCY,
        "timeZone": enrollment.time_zone,
        "mandateId": enrollment.mandate_id,
        "nextChargeDate": iso(next_charge_date(enrollment, now)),
        "outcomes": [_outcome(period, outcome)
                     for period, outcome in sorted(enrollment.outcomes.items())],
        "changedAt": iso(enrollment.changed_at),
    }


@router.post(PATH, tags=["autopay"],
             summary="Enroll in autopay: a payment method, a charge day (1-28), a cap",
             responses=answers(201, Autopay, "The enrollment", *AUTOPAY_ERRORS,
                               *IDEMPOTENCY_ERRORS))
@allow("autopay_write")
@idempotent
def enroll_autopay(residentId: Id, body: Annotated[EnrollAutopay, Body()]) -> Response[str]:
    actor = principal(router).actor

    def act(token: str | None) -> Response[str]:
        ledger = wiring.ledger()
        enrollment_id = f"apay_{token}" if token else new_id("apay")
        current = ledger.find_autopay(residentId)
        if current is not None and current.enrollment_id == enrollment_id:
            mandate = current.mandate_id  # a repeat: the enrollment checks its details
        else:
            if current is not None and current.status != CANCELLED:
                raise ConflictingFact("The resident is already enrolled in autopay; change it")
            mandate = _mandate(residentId, enrollment_id, body.paymentMethodId)
        enrollment = ledger.enroll_autopay(
            residentId, enrollment_id=enrollment_id,
            method_id=body.paymentMethodId, charge_day=body.chargeDay,
            max_amount=body.maxAmount, actor=actor, mandate_id=mandate)
        return json_response(201, enrollment_json(enrollment))

    return once(router, residentId, body.model_dump(), act)


@router.get(PATH, tags=["autopay"],
            summary="The resident's autopay enrollment, its next charge date and outcomes",
            responses=answers(200, Autopay, "The enrollment (also when CANCELLED)", 404))
@allow("autopay_read")
def read_autopay(residentId: Id) -> Response[str]:
    return json_response(200, enrollment_json(wiring.ledger().autopay(residentId)))


@router.patch(PATH, tags=["autopay"],
              summary="Change the method, the charge day and/or the cap (null = no cap)",
              responses=answers(200, Autopay, "The enrollment", *AUTOPAY_ERRORS))
@allow("autopay_write")
def change_autopay(residentId: Id, body: Annotated[ChangeAutopay, Body()]) -> Response[str]:
    actor = principal(router).actor
    given = body.model_fields_set
    if not given:
        raise ApiError(400, "Give at least one field to change", "invalid_request")
    for name in ("paymentMethodId", "chargeDay"):
        if name in given and getattr(body, name) is None:
            raise ApiError(400, f"{name} may not be null", "invalid_request")
    changes: dict[str, Any] = {"method_id": body.paymentMethodId,
                               "charge_day": body.chargeDay}
    if "maxAmount" in given:
        changes["max_amount"] = body.maxAmount
    current = wiring.ledger().autopay(residentId)
    if body.paymentMethodId is not None and body.paymentMethodId != current.method_id \
            and current.status != CANCELLED:
        assert current.enrollment_id is not None
        changes["mandate_id"] = _mandate(residentId, current.enrollment_id,
                                         body.paymentMethodId)
    enrollment = wiring.ledger().change_autopay(residentId, actor=actor, **changes)
    return json_response(200, enrollment_json(enrollment))


@router.post(f"{PATH}/pause", tags=["autopay"],
             summary="Pause autopay (no charges until resumed)",
             responses=answers(200, Autopay, "The enrollment", 404, 409,
                               *IDEMPOTENCY_ERRORS))
@allow("autopay_write")
@idempotent
def pause_autopay(residentId: Id, body: Annotated[EmptyBody | None, Body()] = None
                  ) -> Response[str]:
    actor = principal(router).actor

    def act(_: str | None) -> Response[str]:
        return json_response(200, enrollment_json(
            wiring.ledger().pause_autopay(residentId, actor=actor)))

    return once(router, residentId, None, act)


@router.post(f"{PATH}/resume", tags=["autopay"],
             summary="Resume paused autopay (its payment method must still be enrolled)",
             responses=answers(200, Autopay, "The enrollment", 404, 409,
                               *IDEMPOTENCY_ERRORS))
@allow("autopay_write")
@idempotent
def resume_autopay(residentId: Id, body: Annotated[EmptyBody | None, Body()] = None
                   ) -> Response[str]:
    actor = principal(router).actor

    def act(_: str | None) -> Response[str]:
        ledger = wiring.ledger()
        current = ledger.autopay(residentId)
        method = ledger.payment_methods(residentId).methods.get(current.method_id)
        if current.status == PAUSED and (method is None or not method.active):
            raise ApiError(409, "The payment method autopay uses was removed: choose another "
                           "one (PATCH paymentMethodId) before resuming",
                           "payment_method_removed")
        return json_response(200, enrollment_json(
            ledger.resume_autopay(residentId, actor=actor)))

    return once(router, residentId, None, act)


@router.post(f"{PATH}/cancel", tags=["autopay"],
             summary="Cancel autopay (the resident, or staff); enrolling again starts anew",
             responses=answers(200, Autopay, "The enrollment", 404, 409,
                               *IDEMPOTENCY_ERRORS))
@allow("autopay_cancel")
@idempotent
def cancel_autopay(residentId: Id, body: Annotated[EmptyBody | None, Body()] = None
                   ) -> Response[str]:
    actor = principal(router).actor

    def act(_: str | None) -> Response[str]:
        return json_response(200, enrollment_json(
            wiring.ledger().cancel_autopay(residentId, actor=actor)))

    return once(router, residentId, None, act)


def _mandate(resident_id: str, enrollment_id: str, method_id: str) -> str | None:
    """The mandate autopay with `method_id` needs (None for a card), made now with this
    request's acceptance; the key names the moment, so a retry a second later is a new
    acceptance (and a repeat within Stripe's retries the same one)."""
    ledger = wiring.ledger()
    if not needs_mandate(ledger, resident_id, method_id):
        return None
    accepted = request_acceptance(router)
    if accepted is None:
        raise ApiError(400, "An ACH autopay mandate records the request's source IP and "
                       "User-Agent: send a User-Agent header", "invalid_request")
    return create_mandate(
        ledger, wiring.provider(), resident_id, method_id=method_id,
        setup_id=f"{enrollment_id}-{method_id}-{int(accepted.accepted_at.timestamp())}",
        acceptance=accepted)
