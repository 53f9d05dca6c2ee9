"""`/residents/{residentId}/lease`: property managers create, change and end a resident's
lease; the resident and every staff member may read it.

The lease decides what falls due (`sfr3_ledger.leases`); the recurring-charges and
late-fee jobs post it. Terms are versioned by the period (calendar month, property time)
they take effect from: a change made today applies from the next period, so the answer to
a `PATCH` names `effectiveFrom`. A `PATCH` replaces the terms as a whole: fields it does
not name keep the values of the latest terms (the ones in force from `effectiveFrom`).
`lateFee` and `recurringCharges` are each replaced entirely when given.

Bad input is 400 before anything is written; a second lease while one is active is 409.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import cache
from typing import Annotated, Any, Literal
from zoneinfo import available_timezones

import attrs
from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr
from pydantic.json_schema import SkipJsonSchema

from sfr3_lambdas import wiring
from sfr3_lambdas.api.contract import IDEMPOTENCY_ERRORS, answers, idempotent
from sfr3_lambdas.api.errors import ApiError, json_response
from sfr3_lambdas.api.policy import allow
from sfr3_lambdas.api.requests import Cents, Strict, iso, once, principal, text
from sfr3_ledger import CURRENCY
from sfr3_ledger.application import new_id
from sfr3_ledger.late_fees import LateFeePolicy
from sfr3_ledger.leases import Lease as LeaseAggregate
from sfr3_ledger.leases import LeaseTerms, RecurringCharge
from sfr3_ledger.schedules import MAX_DUE_DAY, local_date, period_of

router = Router()
Id = Annotated[str, Path(min_length=1, max_length=200)]


def _calendar_date(value: str) -> str:
    date.fromisoformat(value)  # ValueError (a 400) for 2026-02-30
    return value


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _known_zone(value: str) -> str:
    # Checked here, not only in the domain: ZoneInfo("America") is a directory (OSError).
    if value not in _zones():
        raise ValueError("must be an IANA time zone name (e.g. America/Chicago)")
    return value


IsoDate = Annotated[StrictStr, Field(pattern=r"^\d{4}-\d{2}-\d{2}$",
                                     description="Calendar date, YYYY-MM-DD"),
                    AfterValidator(_calendar_date)]
DueDay = Annotated[StrictInt, Field(ge=1, le=MAX_DUE_DAY, description="Day of the month, 1-28")]
GraceDays = Annotated[StrictInt, Field(ge=0, le=27, description="Days after the due date")]
FeeCents = Annotated[StrictInt, Field(gt=0, le=100_000, description="Integer cents (USD)")]
LeaseId = Annotated[StrictStr, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
Code = Annotated[StrictStr, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$",
                                  description="Unique per lease; not 'rent'")]
# The jobs post "<description> YYYY-MM" and the ledger takes descriptions up to 500.
Description = text(480, min_length=1)
PropertyId = text(100, min_length=1)
TimeZone = Annotated[text(64, min_length=1), AfterValidator(_known_zone)]
Email = text(254, min_length=3)


class FlatFee(Strict):
    type: Literal["flat"]
    amountCents: FeeCents


class PercentFee(Strict):
    type: Literal["percent"]
    percentBps: Annotated[StrictInt, Field(gt=0, le=10_000,
                                           description="Basis points of the overdue rent")]
    capCents: FeeCents | None = None


LateFee = Annotated[FlatFee | PercentFee, Field(discriminator="type")]


class RecurringChargeBody(Strict):
    code: Code
    chargeType: Literal["UTILITY", "OTHER", "DEPOSIT"]
    amount: Cents
    description: Description
    day: DueDay


Recurring = Annotated[list[RecurringChargeBody], Field(max_length=20)]


class StartLease(Strict):
    leaseId: LeaseId | None = None
    propertyId: PropertyId
    state: Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}$")]
    timeZone: TimeZone | None = None
    email: Email | None = None
    startDate: IsoDate
    endDate: IsoDate | None = None
    monthlyRent: Cents
    rentDueDay: DueDay
    graceDays: GraceDays = 5
    lateFee: LateFee | None = None
    recurringCharges: Recurring = []


class ChangeLease(Strict):
    monthlyRent: Cents | None = None
    rentDueDay: DueDay | None = None
    graceDays: GraceDays | None = None
    lateFee: LateFee | None = None
    recurringCharges: Recurring | None = None
    email: Email | None = None


class EndLease(Strict):
    endDate: IsoDate


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


Cap = Annotated[int | SkipJsonSchema[None], Field(default=None,
                                                  description="Present when capped, cents")]


class FlatFeeTerms(Out):
    type: Literal["flat"]
    amountCents: int
    capCents: Cap


class PercentFeeTerms(Out):
    type: Literal["percent"]
    percentBps: int
    capCents: Cap


class RecurringChargeTerms(Out):
    code: str
    chargeType: str
    amount: int
    description: str
    day: int


class Terms(Out):
    monthlyRent: int
    rentDueDay: int
    graceDays: int
    lateFee: Annotated[FlatFeeTerms | PercentFeeTerms, Field(discriminator="type")]
    recurringCharges: list[RecurringChargeTerms]


class TermsVersion(Out):
    effectiveFrom: date = Field(description="First day of the period these terms apply from")
    terms: Terms


class Lease(Out):
    leaseId: str
    residentId: str
    propertyId: str
    state: str
    timeZone: str
    email: str | None
    startDate: date
    endDate: date | None
    status: Literal["upcoming", "active", "ended"]
    currency: str
    terms: Terms = Field(description="The terms of today's period (the lease's time zone)")
    termsHistory: list[TermsVersion]
    changedAt: datetime
    changedBy: str


class LeaseChanged(Lease):
    effectiveFrom: date = Field(description="The period the change applies from")


TERMS_FIELDS = ("monthlyRent", "rentDueDay", "graceDays", "lateFee", "recurringCharges")


def _policy(fee: FlatFee | PercentFee | None, grace_days: int) -> LateFeePolicy:
    if fee is None:
        return LateFeePolicy(grace_days=grace_days, flat_cents=5_000)
    if isinstance(fee, FlatFee):
        return LateFeePolicy(grace_days=grace_days, flat_cents=fee.amountCents)
    return LateFeePolicy(grace_days=grace_days, percent_bps=fee.percentBps,
                         cap_cents=fee.capCents)


def _recurring(items: list[RecurringChargeBody]) -> tuple[RecurringCharge, ...]:
    return tuple(RecurringCharge(code=r.code, charge_type=r.chargeType, amount=r.amount,
                                 description=r.description, day=r.day) for r in items)


def _terms(monthly_rent: int, rent_due_day: int, grace_days: int,
           late_fee: LateFeePolicy, recurring: tuple[RecurringCharge, ...]) -> LeaseTerms:
    """LeaseTerms (InvalidCommand → 400 for what the domain refuses, e.g. duplicate codes)."""
    return LeaseTerms(monthly_rent=monthly_rent, rent_due_day=rent_due_day,
                      grace_days=grace_days,
                      late_fee=attrs.evolve(late_fee, grace_days=grace_days),
                      recurring=recurring)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value is not None else None


def late_fee_json(policy: LateFeePolicy) -> dict[str, Any]:
    if policy.flat_cents is not None:
        out: dict[str, Any] = {"type": "flat", "amountCents": policy.flat_cents}
    else:
        out = {"type": "percent", "percentBps": policy.percent_bps}
    if policy.cap_cents is not None:
        out["capCents"] = policy.cap_cents
    return out


def terms_json(terms: LeaseTerms) -> dict[str, Any]:
    return {
        "monthlyRent": terms.monthly_rent,
        "rentDueDay": terms.rent_due_day,
        "graceDays": terms.grace_days,
        "lateFee": late_fee_json(terms.late_fee),
        "recurringCharges": [
            {"code": r.code, "chargeType": r.charge_type, "amount": r.amount,
             "description": r.description, "day": r.day} for r in terms.recurring],
    }


def lease_json(lease: LeaseAggregate, now: datetime | None = None) -> dict[str, Any]:
    """The lease; `terms` are those of today's period in the lease's time zone."""
    today = local_date(now or datetime.now(UTC), lease.time_zone)
    assert lease.start_date is not None
    if today < lease.start_date:
        status = "upcoming"
    elif lease.end_date is not None and lease.end_date < today:
        status = "ended"
    else:
        status = "active"
    return {
        "leaseId": lease.lease_id,
        "residentId": lease.resident_id,
        "propertyId": lease.property_id,
        "state": lease.us_state,
        "timeZone": lease.time_zone,
        "email": lease.email,
        "startDate": iso(lease.start_date),
        "endDate": iso(lease.end_date),
        "status": status,
        "currency": CURRENCY,
        "terms": terms_json(lease.terms_for(period_of(today))),
        "termsHistory": [{"effectiveFrom": iso(effective), "terms": terms_json(terms)}
                         for effective, terms in lease.terms],
        "changedAt": iso(lease.changed_at),
        "changedBy": lease.changed_by,
    }


@router.post("/residents/<residentId>/lease", tags=["leases"],
             summary="Start the resident's lease (property managers)",
             responses=answers(201, Lease, "The lease", 409, *IDEMPOTENCY_ERRORS))
@allow("lease_write")
@idempotent
def start_lease(residentId: Id, body: Annotated[StartLease, Body()]) -> Response[str]:
    actor = principal(router).actor
    start, end = _date(body.startDate), _date(body.endDate)
    assert start is not None
    if end is not None and end < start:
        raise ApiError(400, "endDate must not be before startDate", "invalid_request")
    terms = _terms(body.monthlyRent, body.rentDueDay, body.graceDays,
                   _policy(body.lateFee, body.graceDays), _recurring(body.recurringCharges))

    def act(token: str | None) -> Response[str]:
        lease = wiring.ledger().start_lease(
            residentId, lease_id=body.leaseId or (f"lse_{token}" if token else new_id("lse")),
            property_id=body.propertyId, us_state=body.state, start_date=start,
            terms=terms, actor=actor, time_zone=body.timeZone, email=body.email,
            end_date=end)
        return json_response(201, lease_json(lease))

    return once(router, residentId, body.model_dump(), act)


@router.get("/residents/<residentId>/lease", tags=["leases"],
            summary="The resident's lease: current terms and their history",
            responses=answers(200, Lease, "The lease", 404))
@allow("lease_read")
def read_lease(residentId: Id) -> Response[str]:
    return json_response(200, lease_json(wiring.ledger().lease(residentId)))


@router.patch("/residents/<residentId>/lease", tags=["leases"],
              summary="Change the terms (from the next period) and/or the email",
              responses=answers(200, LeaseChanged, "The lease and when the change applies",
                                404, 409))
@allow("lease_write")
def change_lease(residentId: Id, body: Annotated[ChangeLease, Body()]) -> Response[str]:
    actor = principal(router).actor
    given = body.model_fields_set
    if not given:
        raise ApiError(400, "Give at least one field to change", "invalid_request")
    for name in TERMS_FIELDS:
        if name in given and getattr(body, name) is None:
            raise ApiError(400, f"{name} may not be null", "invalid_request")
    ledger = wiring.ledger()
    terms: Callable[[LeaseTerms], LeaseTerms] | None = None
    if given & set(TERMS_FIELDS):

        def terms(latest: LeaseTerms) -> LeaseTerms:
            """The sent fields over the latest terms, merged on the state being changed."""
            grace = body.graceDays if body.graceDays is not None else latest.grace_days
            policy = _policy(body.lateFee, grace) if body.lateFee else latest.late_fee
            return _terms(
                body.monthlyRent if body.monthlyRent is not None else latest.monthly_rent,
                body.rentDueDay if body.rentDueDay is not None else latest.rent_due_day,
                grace, policy,
                _recurring(body.recurringCharges) if body.recurringCharges is not None
                else latest.recurring)

    changes: dict[str, Any] = {"terms": terms}
    if "email" in given:
        changes["email"] = body.email
    lease, effective = ledger.change_lease(residentId, actor=actor, **changes)
    return json_response(200, {**lease_json(lease), "effectiveFrom": iso(effective)})


@router.post("/residents/<residentId>/lease/end", tags=["leases"],
             summary="End the lease on the move-out date (nothing falls due after it)",
             responses=answers(200, Lease, "The lease", 404, 409, *IDEMPOTENCY_ERRORS))
@allow("lease_write")
@idempotent
def end_lease(residentId: Id, body: Annotated[EndLease, Body()]) -> Response[str]:
    actor = principal(router).actor
    end = _date(body.endDate)
    assert end is not None

    def act(_: str | None) -> Response[str]:
        lease = wiring.ledger().end_lease(residentId, end_date=end, actor=actor)
        return json_response(200, lease_json(lease))

    return once(router, residentId, body.model_dump(), act)
