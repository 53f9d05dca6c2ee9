"""The resident/staff API: one Lambda for every `/residents/{residentId}/...` route.

Powertools' APIGatewayRestResolver routes and validates (`enable_validation=True`, pydantic
request models in strict mode: `"2100"` and `21.5` are not cents, unknown fields are
refused); the ledger library and the PaymentService decide. Every refusal is a JSON body
`{"error": "<human message>", "code": "<machine code>", ...}` with a 4xx status, raised
before anything is written; a stack trace never leaves the function.

Order of checks for each request: identity (401), authorisation for the resident and the
action (403, `auth.py` holds the policy), then request validation (400), then the business
rules (400/402/404/409). So a caller learns nothing about another resident's data, not
even whether their request would have been well-formed.

`POST` routes honour an optional `Idempotency-Key` header through Powertools' idempotency
utility: same key and same body → the first answer again (business refusals included);
same key, different body → 422; the first request still running → 409. A key is scoped to
the caller and the path, so two residents can never collide. For payments the key also
fixes the payment id, so even a lost idempotency record cannot make a second payment.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.params import Body, Path, Query
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from sfr3_lambdas import auth, wiring
from sfr3_ledger import CURRENCY, MAX_AMOUNT_CENTS, ChargeType, LedgerError
from sfr3_ledger.records import Payment, PaymentMethod

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="api")
app = APIGatewayRestResolver(enable_validation=True)

IDEMPOTENCY_HEADER = "idempotency-key"
TRANSIENT_CODES = frozenset({"concurrency_conflict", "provider_unavailable"})

Cents = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT_CENTS, description="Integer cents (USD)")]
Id = Annotated[str, Path(min_length=1, max_length=200)]


# ---- request models -------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class EnrollPaymentMethod(_Strict):
    type: Literal["card", "us_bank_account"]
    paymentMethodId: Annotated[StrictStr, Field(min_length=1, max_length=255)]
    label: Annotated[StrictStr, Field(max_length=100)] | None = None
    isDefault: StrictBool = False


class PostCharge(_Strict):
    amount: Cents
    chargeType: Literal["RENT", "DEPOSIT", "UTILITY", "LATE_FEE", "OTHER"]
    description: Annotated[StrictStr, Field(min_length=1, max_length=500)]
    dueDate: Annotated[StrictStr, Field(pattern=r"^\d{4}-\d{2}-\d{2}$")] | None = None
    propertyId: Annotated[StrictStr, Field(min_length=1, max_length=100)] | None = None
    state: Annotated[StrictStr, Field(pattern=r"^[A-Z]{2}$")] | None = None


class MakePayment(_Strict):
    amount: Cents
    paymentMethodId: Annotated[StrictStr, Field(min_length=1, max_length=200)]


class Refund(_Strict):
    amount: Cents | None = None


# ---- errors -----------------------------------------------------------------------------
class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra


def _json(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps(body), headers=headers)


def _error_body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "code": code, **extra}


def _ledger_error(err: LedgerError) -> tuple[int, dict[str, Any]]:
    return err.status, _error_body(str(err), err.code, **err.details())


def _field(loc: Any) -> str:
    parts = [str(p) for p in (loc or ()) if p not in ("body",)]
    return ".".join(parts) or "body"


@app.exception_handler(RequestValidationError)
def _invalid(exc: RequestValidationError) -> Response[str]:
    errors = exc.errors()
    details = []
    for err in errors:
        if err.get("type") == "json_invalid":
            return _json(400, _error_body("Request body must be valid JSON", "invalid_json"))
        loc = tuple(err.get("loc") or ())
        where = loc[0] if loc else "body"
        name = _field(loc[1:] if where in ("body", "path", "query", "header") else loc)
        if where == "body" and err.get("type") == "missing" and len(loc) <= 1:
            return _json(400, _error_body("Request body is required", "invalid_request"))
        details.append({"field": name, "in": where, "message": str(err.get("msg"))})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:3])
    return _json(400, _error_body(f"Invalid request: {summary}", "invalid_request",
                                  details=details))


@app.exception_handler(RequestUnsupportedContentType)
def _unsupported(_: RequestUnsupportedContentType) -> Response[str]:
    return _json(415, _error_body("Content-Type must be application/json", "unsupported_media"))


@app.exception_handler(LedgerError)
def _refused(err: LedgerError) -> Response[str]:
    status, body = _ledger_error(err)
    return _json(status, body)


@app.exception_handler(ApiError)
def _api_error(err: ApiError) -> Response[str]:
    return _json(err.status, _error_body(err.message, err.code, **err.extra))


@app.exception_handler(auth.Forbidden)
def _forbidden(err: auth.Forbidden) -> Response[str]:
    return _json(403, _error_body(str(err), "forbidden"))


@app.exception_handler(auth.Unauthenticated)
def _unauthenticated(err: auth.Unauthenticated) -> Response[str]:
    return _json(401, _error_body(str(err), "unauthorized"))


@app.not_found
def _not_found(_: Exception) -> Response[str]:
    return _json(404, _error_body("Not found", "not_found"))


# ---- representations --------------------------------------------------------------------
def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


_API_TYPES = {"CARD": "card", "ACH": "us_bank_account", "WALLET": "wallet"}


def _method_json(m: PaymentMethod) -> dict[str, Any]:
    return {
        "methodId": m.method_id,
        "type": _API_TYPES.get(m.method_type.value, m.method_type.value.lower()),
        "last4": m.last4,
        "brand": m.brand,
        "label": m.label,
        "isDefault": m.is_default,
        "enrolledAt": _iso(m.enrolled_at),
        "removedAt": _iso(m.removed_at),
    }


def _payment_json(p: Payment, resident_id: str, *, receipts: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "paymentId": p.payment_id,
        "status": p.status.value,
        "amount": p.amount,
        "currency": CURRENCY,
        "paymentMethodId": p.method_id,
        "initiatedAt": _iso(p.initiated_at),
        "initiatedBy": p.initiated_by,
        "settledAt": _iso(p.settled_at),
        "failedAt": _iso(p.failed_at),
        "failureReason": p.failure_reason,
        "refunded": p.refunded,
        "chargedBack": p.charged_back,
    }
    if receipts and p.settled_at is not None:
        url = wiring.receipt_url(resident_id, p.payment_id)
        if url:
            out["receiptUrl"] = url
    return out


# ---- request context --------------------------------------------------------------------
def _principal() -> auth.Principal:
    principal = app.context.get("principal")
    if not isinstance(principal, auth.Principal):  # handler() always sets it
        raise auth.Unauthenticated("Missing or invalid credentials")
    return principal


def _idempotency_key() -> str | None:
    headers = app.current_event.headers or {}
    value = next((v for k, v in headers.items() if k.lower() == IDEMPOTENCY_HEADER), None)
    if value is None:
        return None
    if not (1 <= len(value) <= 255) or not value.isprintable():
        raise ApiError(400, "Idempotency-Key must be 1-255 printable characters",
                       "invalid_idempotency_key")
    return value


def _once(
    resident_id: str, body: dict[str, Any] | None, action: Callable[[str | None], Response[str]]
) -> Response[str]:
    """Run `action` at most once per Idempotency-Key; replay its answer for the same body.

    `action` receives a stable token derived from the key (None without a key) to name
    what it creates. Business refusals are answers too and are replayed; transient
    failures (a race, the provider down) are not stored, so a retry really retries.
    """
    key = _idempotency_key()
    if key is None:
        return action(None)
    # Imported on first use: the idempotency utility pulls in boto3 (~90 ms), which reads
    # and requests without a key never need.
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyPersistenceLayerError,
        IdempotencyValidationError,
    )

    principal = _principal()
    scope = f"{principal.actor}|{app.current_event.http_method}|{app.current_event.path}|{key}"
    token = hashlib.sha256(scope.encode()).hexdigest()[:32]

    def run(data: dict[str, Any]) -> dict[str, Any]:
        try:
            response = action(token)
            return {"status": response.status_code, "body": response.body}
        except LedgerError as err:
            if err.code in TRANSIENT_CODES or err.status >= 500:
                raise
            status, payload = _ledger_error(err)
            return {"status": status, "body": json.dumps(payload)}

    config = IdempotencyConfig(
        event_key_jmespath="scope",
        payload_validation_jmespath="body",
        expires_after_seconds=wiring.idempotency_ttl(),
        use_local_cache=False,
    )
    if app.lambda_context is not None:
        config.register_lambda_context(app.lambda_context)
    guarded = idempotent_function(
        data_keyword_argument="data",
        persistence_store=wiring.idempotency_store("api"),
        config=config,
    )(run)
    try:
        stored = guarded(data={"scope": scope, "body": body, "resident": resident_id})
    except IdempotencyValidationError:
        raise ApiError(422, "Idempotency-Key was already used with a different request",
                       "idempotency_key_reused") from None
    except IdempotencyAlreadyInProgressError:
        raise ApiError(409, "A request with this Idempotency-Key is still in progress",
                       "idempotency_in_progress") from None
    except IdempotencyPersistenceLayerError:
        logger.exception("idempotency store failure")
        raise ApiError(503, "Try again shortly", "idempotency_unavailable") from None
    return Response(status_code=int(stored["status"]), content_type="application/json",
                    body=str(stored["body"]))


def _parse_instant(value: str | None, name: str, *, end: bool) -> datetime | None:
    """ISO date or datetime, UTC when no offset is given; a date `to` includes that day."""
    if value is None or value == "":
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            instant = datetime.combine(day, time.min, tzinfo=UTC)
            return instant + timedelta(days=1) if end else instant
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, f"{name} must be an ISO 8601 date or date-time",
                       "invalid_request") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---- routes -----------------------------------------------------------------------------
@app.post("/residents/<residentId>/payment-methods", tags=["payment methods"],
          summary="Enroll a Stripe payment method (card or us_bank_account)",
          responses={201: {"description": "Enrolled: methodId, type, last4, brand, label"}})
def enroll_payment_method(residentId: Id, body: Annotated[EnrollPaymentMethod, Body()]
                          ) -> Response[str]:
    principal = _principal()

    def act(_: str | None) -> Response[str]:
        method = wiring.payment_service().enroll_payment_method(
            residentId, method_type=body.type, provider_method_id=body.paymentMethodId,
            label=body.label, make_default=body.isDefault, actor=principal.actor)
        return _json(201, _method_json(method))

    return _once(residentId, body.model_dump(), act)


@app.get("/residents/<residentId>/payment-methods", tags=["payment methods"],
         summary="List the resident's active payment methods")
def list_payment_methods(residentId: Id) -> Response[str]:
    methods = wiring.ledger().payment_methods(residentId).active
    return _json(200, {"residentId": residentId,
                       "paymentMethods": [_method_json(m) for m in methods]})


@app.delete("/residents/<residentId>/payment-methods/<methodId>", tags=["payment methods"],
            summary="Detach the method at Stripe and remove it")
def remove_payment_method(residentId: Id, methodId: Id) -> Response[str]:
    method = wiring.payment_service().remove_payment_method(
        residentId, methodId, actor=_principal().actor)
    return _json(200, _method_json(method))


@app.post("/residents/<residentId>/charges", tags=["charges"],
          summary="Post a charge (staff)", responses={201: {"description": "Charge posted"}})
def post_charge(residentId: Id, body: Annotated[PostCharge, Body()]) -> Response[str]:
    principal = _principal()
    try:
        due = date.fromisoformat(body.dueDate) if body.dueDate else None
    except ValueError:
        raise ApiError(400, "dueDate must be a calendar date (YYYY-MM-DD)",
                       "invalid_request") from None

    def act(token: str | None) -> Response[str]:
        ledger = wiring.ledger()
        charge = ledger.post_charge(
            residentId, amount=body.amount, charge_type=ChargeType(body.chargeType),
            description=body.description, actor=principal.actor, due_date=due,
            charge_id=f"chg_{token}" if token else None,
            property_id=body.propertyId, us_state=body.state)
        return _json(201, {
            "chargeId": charge.charge_id, "residentId": residentId,
            "chargeType": charge.charge_type.value, "amount": charge.amount,
            "currency": CURRENCY, "description": charge.description,
            "dueDate": _iso(charge.due_date), "postedAt": _iso(charge.posted_at),
            "balance": ledger.balance(residentId)})

    return _once(residentId, body.model_dump(), act)


@app.post("/residents/<residentId>/payments", tags=["payments"],
          summary="Pay toward the balance (any amount up to it)",
          responses={202: {"description": "Accepted: PENDING until Stripe confirms"}})
def make_payment(residentId: Id, body: Annotated[MakePayment, Body()]) -> Response[str]:
    principal = _principal()

    def act(token: str | None) -> Response[str]:
        outcome = wiring.payment_service().pay(
            residentId, amount=body.amount, method_id=body.paymentMethodId,
            actor=principal.actor, payment_id=f"pay_{token}" if token else None)
        p = outcome.payment
        return _json(202, {
            "paymentId": p.payment_id, "status": p.status.value, "amount": p.amount,
            "currency": CURRENCY, "paymentMethodId": p.method_id,
            "currentBalance": outcome.current_balance,
            "balanceAfterPayment": outcome.balance_after_payment})

    return _once(residentId, body.model_dump(), act)


@app.get("/residents/<residentId>/payments", tags=["payments"],
         summary="Payment history, newest first")
def payment_history(
    residentId: Id,
    from_: Annotated[str | None, Query(alias="from", max_length=40,
                                       description="ISO date or date-time (UTC)")] = None,
    to: Annotated[str | None, Query(max_length=40,
                                    description="ISO date (inclusive) or date-time")] = None,
    paymentMethodId: Annotated[str | None, Query(max_length=200)] = None,
) -> Response[str]:
    start = _parse_instant(from_, "from", end=False)
    end = _parse_instant(to, "to", end=True)
    if start and end and end <= start:
        raise ApiError(400, "to must be after from", "invalid_request")
    payments = wiring.ledger().payment_history(
        residentId, start=start, end=end, method_id=paymentMethodId or None)
    return _json(200, {"residentId": residentId,
                       "payments": [_payment_json(p, residentId, receipts=True)
                                    for p in payments]})


@app.get("/residents/<residentId>/balance", tags=["balance"],
         summary="Current balance (a payment counts once it settles)")
def balance(residentId: Id) -> Response[str]:
    ledger = wiring.ledger().ledger(residentId)
    return _json(200, {"residentId": residentId, "balance": ledger.balance,
                       "currency": CURRENCY, "pendingPayments": ledger.pending_total,
                       "payable": ledger.payable})


@app.post("/residents/<residentId>/payments/<paymentId>/refund", tags=["payments"],
          summary="Refund a SETTLED payment (staff): no body = full, {amount} = partial")
def refund(residentId: Id, paymentId: Id,
           body: Annotated[Refund | None, Body()] = None) -> Response[str]:
    principal = _principal()
    amount = body.amount if body is not None else None

    def act(_: str | None) -> Response[str]:
        outcome = wiring.payment_service().refund(
            residentId, paymentId, amount=amount, actor=principal.actor)
        p = outcome.payment
        return _json(200, {
            "paymentId": p.payment_id, "refundId": outcome.refund_id,
            "amount": outcome.amount, "currency": CURRENCY, "status": p.status.value,
            "refunded": p.refunded, "balance": wiring.ledger().balance(residentId)})

    return _once(residentId, {"amount": amount}, act)


# ---- entry point --------------------------------------------------------------------------
# (method, path pattern, action): checked before validation, so 403 precedes 400.
_POLICY: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/residents/([^/]+)/payment-methods/?$"), "enroll"),
    ("DELETE", re.compile(r"^/residents/([^/]+)/payment-methods/[^/]+/?$"), "enroll"),
    ("POST", re.compile(r"^/residents/([^/]+)/charges/?$"), "charge"),
    ("POST", re.compile(r"^/residents/([^/]+)/payments/?$"), "pay"),
    ("POST", re.compile(r"^/residents/([^/]+)/payments/[^/]+/refund/?$"), "refund"),
    ("GET", re.compile(r"^/residents/([^/]+)(/.*)?$"), "read"),
]


def _raw(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body), "isBase64Encoded": False}


def _gate(event: dict[str, Any]) -> dict[str, Any] | auth.Principal:
    """401/403 before anything else; a body that is not JSON is 415."""
    try:
        principal = auth.principal_from_claims(auth.claims_of(event))
        method = str(event.get("httpMethod") or "").upper()
        path = str(event.get("path") or "")
        for verb, pattern, action in _POLICY:
            match = pattern.match(path)
            if match and verb == method:
                auth.authorize(principal, action, match.group(1))
                break
    except auth.Unauthenticated as exc:
        return _raw(401, _error_body(str(exc), "unauthorized"))
    except auth.Forbidden as exc:
        return _raw(403, _error_body(str(exc), "forbidden"))
    if event.get("body") and event.get("isBase64Encoded"):
        try:
            base64.b64decode(str(event["body"]), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return _raw(400, _error_body("Request body must be UTF-8 JSON", "invalid_json"))
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    content_type = headers.get("content-type", "").strip().lower()
    if event.get("body") and content_type and not content_type.startswith("application/json"):
        return _raw(415, _error_body("Content-Type must be application/json",
                                     "unsupported_media"))
    return principal


def handler(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    """API Gateway REST (v1) proxy entry point for every resident/staff route."""
    gate = _gate(event)
    if not isinstance(gate, auth.Principal):
        return gate
    app.append_context(principal=gate)
    try:
        return app.resolve(event, context)  # type: ignore[arg-type]
    except Exception:  # never a stack trace to the caller
        logger.exception("unhandled error")
        return _raw(500, _error_body("Internal error", "internal_error"))
    finally:
        app.clear_context()
