"""`/residents/{residentId}/charges`: staff post a charge; anyone who may read the ledger
reads the statement.

The statement is the ledger's state: each charge with what is still owed on it (payments
and credits pay the oldest due charge first, once settled) and the late fee assessed on
it, newest due first. Charges fully paid more than 540 days ago have left the state
(archived, `sfr3_ledger.ledger.ARCHIVE_AFTER_DAYS`) and are not listed (being paid, they
do not change the balance). `totals`: balance = remaining - credit (money received and
not yet matched to a charge) + owedOnArchivedCharges (a refund or chargeback of a payment
whose charges were archived).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from sfr3_lambdas import wiring
from sfr3_lambdas.api.contract import IDEMPOTENCY_ERRORS, answers, idempotent
from sfr3_lambdas.api.errors import ApiError, json_response
from sfr3_lambdas.api.policy import allow
from sfr3_lambdas.api.requests import Cents, Strict, iso, once, principal, text
from sfr3_ledger import CURRENCY, ChargeType
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.paid_charge_books import late_fee_of
from sfr3_ledger.records import Charge

router = Router()
Id = Annotated[str, Path(min_length=1, max_length=200)]
Description = text(500, min_length=1)
PropertyId = text(100, min_length=1)


class PostCharge(Strict):
    amount: Cents
    chargeType: Literal["RENT", "DEPOSIT", "UTILITY", "LATE_FEE", "OTHER"]
    description: Description
    dueDate: Annotated[StrictStr, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None
    propertyId: PropertyId | None = None
    state: Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}$")] | None = None


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class PostedCharge(Out):
    chargeId: str
    residentId: str
    chargeType: ChargeType
    amount: int
    currency: str
    description: str
    dueDate: date | None
    postedAt: datetime
    balance: int = Field(description="The resident's balance after the charge, cents")


class LateFeeRef(Out):
    chargeId: str
    amount: int


class StatementCharge(Out):
    chargeId: str
    chargeType: ChargeType
    amount: int
    description: str
    dueDate: date = Field(description="The due date (the posting day when none was given)")
    postedAt: datetime
    propertyId: str | None
    state: str | None
    paid: int
    remaining: int
    status: Literal["UNPAID", "PARTIALLY_PAID", "PAID"]
    lateFee: LateFeeRef | None = Field(description="The late fee assessed on this charge")
    lateFeeFor: str | None = Field(description="For a LATE_FEE: the charge it was assessed on")


class StatementTotals(Out):
    charged: int
    paid: int
    remaining: int
    credit: int
    owedOnArchivedCharges: int


class Statement(Out):
    residentId: str
    currency: str
    balance: int
    pendingPayments: int
    payable: int
    totals: StatementTotals
    charges: list[StatementCharge]


@router.post("/residents/<residentId>/charges", tags=["charges"],
             summary="Post a charge (staff)",
             responses=answers(201, PostedCharge, "Charge posted", 409,
                               *IDEMPOTENCY_ERRORS))
@allow("charge")
@idempotent
def post_charge(residentId: Id, body: Annotated[PostCharge, Body()]) -> Response[str]:
    actor = principal(router).actor
    try:
        due = date.fromisoformat(body.dueDate) if body.dueDate else None
    except ValueError:
        raise ApiError(400, "dueDate must be a calendar date (YYYY-MM-DD)",
                       "invalid_request") from None

    def act(token: str | None) -> Response[str]:
        ledger = wiring.ledger()
        charge = ledger.post_charge(
            residentId, amount=body.amount, charge_type=ChargeType(body.chargeType),
            description=body.description, actor=actor, due_date=due,
            charge_id=f"chg_{token}" if token else None,
            property_id=body.propertyId, us_state=body.state)
        return json_response(201, {
            "chargeId": charge.charge_id, "residentId": residentId,
            "chargeType": charge.charge_type.value, "amount": charge.amount,
            "currency": CURRENCY, "description": charge.description,
            "dueDate": iso(charge.due_date), "postedAt": iso(charge.posted_at),
            "balance": ledger.balance(residentId)})

    return once(router, residentId, body.model_dump(), act)


def _status(charge: Charge) -> str:
    if charge.remaining <= 0:
        return "PAID"
    return "PARTIALLY_PAID" if charge.paid else "UNPAID"


def charge_json(charge: Charge, ledger: ResidentLedger,
                by_id: Mapping[str, Charge]) -> dict[str, Any]:
    fee_id = late_fee_of(ledger, charge)
    fee = by_id.get(fee_id) if fee_id else None
    return {
        "chargeId": charge.charge_id,
        "chargeType": charge.charge_type.value,
        "amount": charge.amount,
        "description": charge.description,
        "dueDate": iso(charge.effective_due),
        "postedAt": iso(charge.posted_at),
        "propertyId": charge.property_id or None,
        "state": charge.us_state or None,
        "paid": charge.paid,
        "remaining": charge.remaining,
        "status": _status(charge),
        "lateFee": ({"chargeId": fee.charge_id, "amount": fee.amount} if fee is not None
                    else None),
        "lateFeeFor": charge.late_fee_for,
    }


@router.get("/residents/<residentId>/charges", tags=["charges"],
            summary="The statement: each charge, what is still owed on it, its late fee",
            responses=answers(200, Statement, "The statement"))
@allow("read")
def statement(residentId: Id) -> Response[str]:
    # Open charges are in the ledger's state, paid ones in its book (paid_charges.py).
    ledger, charges = wiring.ledger().statement(residentId)
    by_id = {c.charge_id: c for c in charges}
    charges.sort(key=lambda c: (c.effective_due, c.posted_at, c.charge_id), reverse=True)
    listed = [charge_json(c, ledger, by_id) for c in charges]
    return json_response(200, {
        "residentId": residentId, "currency": CURRENCY,
        "balance": ledger.balance, "pendingPayments": ledger.pending_total,
        "payable": ledger.payable,
        "totals": {"charged": sum(c["amount"] for c in listed),
                   "paid": sum(c["paid"] for c in listed),
                   "remaining": sum(c["remaining"] for c in listed),
                   "credit": sum(ledger.unallocated.values()),
                   "owedOnArchivedCharges": ledger.unassigned_debt},
        "charges": listed})
