"""`POST /residents/{residentId}/charges`: staff post a charge on a resident's ledger."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import Field, StrictStr

from sfr3_lambdas import wiring
from sfr3_lambdas.api.errors import ApiError, json_response
from sfr3_lambdas.api.policy import allow
from sfr3_lambdas.api.requests import Cents, Strict, iso, once, principal, text
from sfr3_ledger import CURRENCY, ChargeType

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


@router.post("/residents/<residentId>/charges", tags=["charges"],
             summary="Post a charge (staff)", responses={201: {"description": "Charge posted"}})
@allow("charge")
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
