"""`/residents/{residentId}/payment-methods`: enroll, list and remove Stripe payment methods."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from pydantic import BaseModel, ConfigDict, StrictBool

from sfr3_lambdas import wiring
from sfr3_lambdas.api.contract import IDEMPOTENCY_ERRORS, answers, idempotent
from sfr3_lambdas.api.errors import json_response
from sfr3_lambdas.api.policy import allow
from sfr3_lambdas.api.requests import Strict, iso, once, principal, text
from sfr3_ledger.records import PaymentMethod as MethodRecord

router = Router()
Id = Annotated[str, Path(min_length=1, max_length=200)]
ProviderId = text(255, min_length=1)
Label = text(100)

_API_TYPES = {"CARD": "card", "ACH": "us_bank_account", "WALLET": "wallet"}


class EnrollPaymentMethod(Strict):
    type: Literal["card", "us_bank_account"]
    paymentMethodId: ProviderId
    label: Label | None = None
    isDefault: StrictBool = False


class PaymentMethod(BaseModel):
    """A payment method as the API shows it (never the Stripe token)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    methodId: str
    type: Literal["card", "us_bank_account", "wallet"]
    last4: str
    brand: str | None
    label: str
    isDefault: bool
    enrolledAt: datetime
    removedAt: datetime | None


class PaymentMethodList(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    residentId: str
    paymentMethods: list[PaymentMethod]


def method_json(m: MethodRecord) -> dict[str, Any]:
    return {
        "methodId": m.method_id,
        "type": _API_TYPES.get(m.method_type.value, m.method_type.value.lower()),
        "last4": m.last4,
        "brand": m.brand,
        "label": m.label,
        "isDefault": m.is_default,
        "enrolledAt": iso(m.enrolled_at),
        "removedAt": iso(m.removed_at),
    }


@router.post("/residents/<residentId>/payment-methods", tags=["payment methods"],
             summary="Enroll a Stripe payment method (card or us_bank_account)",
             responses=answers(201, PaymentMethod, "Enrolled", 409, 503,
                               *IDEMPOTENCY_ERRORS))
@allow("enroll")
@idempotent
def enroll_payment_method(residentId: Id, body: Annotated[EnrollPaymentMethod, Body()]
                          ) -> Response[str]:
    actor = principal(router).actor

    def act(_: str | None) -> Response[str]:
        method = wiring.payment_service().enroll_payment_method(
            residentId, method_type=body.type, provider_method_id=body.paymentMethodId,
            label=body.label, make_default=body.isDefault, actor=actor)
        return json_response(201, method_json(method))

    return once(router, residentId, body.model_dump(), act)


@router.get("/residents/<residentId>/payment-methods", tags=["payment methods"],
            summary="List the resident's active payment methods",
            responses=answers(200, PaymentMethodList, "The active methods"))
@allow("read")
def list_payment_methods(residentId: Id) -> Response[str]:
    methods = wiring.ledger().payment_methods(residentId).active
    return json_response(200, {"residentId": residentId,
                               "paymentMethods": [method_json(m) for m in methods]})


@router.delete("/residents/<residentId>/payment-methods/<methodId>", tags=["payment methods"],
               summary="Detach the method at Stripe and remove it",
               responses=answers(200, PaymentMethod, "Removed (removedAt set)",
                                 404, 409, 503))
@allow("enroll")
def remove_payment_method(residentId: Id, methodId: Id) -> Response[str]:
    method = wiring.payment_service().remove_payment_method(
        residentId, methodId, actor=principal(router).actor)
    return json_response(200, method_json(method))
