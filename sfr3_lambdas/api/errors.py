"""The API's one error shape, `{"error": "<human message>", "code": "<machine code>", ...}`.

Every refusal is a 4xx with this body, raised before anything is written; a stack trace
never leaves the function. `register(app)` installs the translations from the library's
typed errors, Powertools' validation errors and the authorisation errors.

`ErrorBody` is that shape for the OpenAPI document, and `responses(*statuses)` the
error answers a route declares (`docs/openapi.json` is generated from them): each route
lists every status it can give, with the reason in the description.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field

from sfr3_lambdas import auth
from sfr3_ledger import LedgerError


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra


class InvalidField(BaseModel):
    """One field a request failed validation on."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)
    field: str = Field(description="Dotted path of the field (`body` for the whole body)")
    in_: str = Field(alias="in", description="body, path, query or header")
    message: str


class ErrorBody(BaseModel):
    """Every refusal the API itself makes. Some codes add fields, e.g. `balance` with
    `amount_exceeds_balance`, `paymentId`/`status` with `payment_declined`, `details` with
    `invalid_request` from validation."""

    model_config = ConfigDict(extra="allow", defer_build=True)
    error: str = Field(min_length=1, description="Human-readable message")
    code: str = Field(min_length=1, description="Stable machine-readable code")
    details: list[InvalidField] = Field(default_factory=list,
                                        description="The invalid fields (validation only)")


class GatewayError(BaseModel):
    """What API Gateway (and the local gateway, `make run`) answers itself, before any
    function runs: no or a bad bearer token is 401 `{"message": "Unauthorized"}`."""

    model_config = ConfigDict(extra="forbid", defer_build=True)
    message: str


# Why each status can happen, for the document (one wording for every route).
WHY: dict[int, str] = {
    400: "Bad request: a non-canonical path, a body that is not one JSON object, failed "
         "validation (`invalid_request`, with `details`) or a business rule (`code`)",
    401: "No or an invalid bearer token (API Gateway's `{\"message\": \"Unauthorized\"}`), "
         "or a token naming no resident or staff member",
    402: "Refused by the payment provider (`payment_declined`, `mandate_refused`)",
    403: "Not allowed for this caller and resident (`forbidden`)",
    404: "What the path names does not exist (`code` says what)",
    409: "Conflicts with the current state, a concurrent change or an Idempotency-Key "
         "request still in progress (`code` says which)",
    415: "A body whose Content-Type is not application/json (`unsupported_media`)",
    422: "The Idempotency-Key was already used with a different request "
         "(`idempotency_key_reused`)",
    500: "Unexpected error (`internal_error`); nothing is half-applied",
    503: "The payment provider or the idempotency store is unavailable: retry "
         "(`provider_unavailable`, `idempotency_unavailable`)",
}
# What every route can answer: the gate's refusals and the last resort.
COMMON = (400, 401, 403, 415, 500)


def responses(*statuses: int) -> dict[int, OpenAPIResponse]:
    """The documented error answers for `statuses` plus COMMON (each `{error, code, ...}`)."""
    out: dict[int, OpenAPIResponse] = {}
    for status in sorted(set(statuses) | set(COMMON)):
        model: Any = ErrorBody | GatewayError if status == 401 else ErrorBody
        out[status] = {"description": WHY[status],
                       "content": {"application/json": {"model": model}}}
    return out


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[str]:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps(body), headers=headers)


def error_body(message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"error": message, "code": code, **extra}


def raw(status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A proxy answer built without the resolver (the gate answers before routing)."""
    return {"statusCode": status, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(body), "isBase64Encoded": False}


def ledger_error(err: LedgerError) -> tuple[int, dict[str, Any]]:
    return err.status, error_body(str(err), err.code, **err.details())


def _field(loc: Any) -> str:
    parts = [str(p) for p in (loc or ()) if p not in ("body",)]
    return ".".join(parts) or "body"


def _invalid(exc: RequestValidationError) -> Response[str]:
    details = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            return json_response(400, error_body("Request body must be valid JSON",
                                                 "invalid_json"))
        loc = tuple(err.get("loc") or ())
        where = loc[0] if loc else "body"
        name = _field(loc[1:] if where in ("body", "path", "query", "header") else loc)
        if where == "body" and err.get("type") == "missing" and len(loc) <= 1:
            return json_response(400, error_body("Request body is required", "invalid_request"))
        details.append({"field": name, "in": where, "message": str(err.get("msg"))})
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:3])
    return json_response(400, error_body(f"Invalid request: {summary}", "invalid_request",
                                         details=details))


def register(app: APIGatewayRestResolver) -> None:
    app.exception_handler(RequestValidationError)(_invalid)

    @app.exception_handler(RequestUnsupportedContentType)
    def _unsupported(_: RequestUnsupportedContentType) -> Response[str]:
        return json_response(415, error_body("Content-Type must be application/json",
                                             "unsupported_media"))

    @app.exception_handler(LedgerError)
    def _refused(err: LedgerError) -> Response[str]:
        status, body = ledger_error(err)
        return json_response(status, body)

    @app.exception_handler(ApiError)
    def _api_error(err: ApiError) -> Response[str]:
        return json_response(err.status, error_body(err.message, err.code, **err.extra))

    @app.exception_handler(auth.Forbidden)
    def _forbidden(err: auth.Forbidden) -> Response[str]:
        return json_response(403, error_body(str(err), "forbidden"))

    @app.exception_handler(auth.Unauthenticated)
    def _unauthenticated(err: auth.Unauthenticated) -> Response[str]:
        return json_response(401, error_body(str(err), "unauthorized"))

    @app.not_found
    def _not_found(_: Exception) -> Response[str]:
        return json_response(404, error_body("Not found", "not_found"))
