"""The API's one error shape, `{"error": "<human message>", "code": "<machine code>", ...}`.

Every refusal is a 4xx with this body, raised before anything is written; a stack trace
never leaves the function. `register(app)` installs the translations from the library's
typed errors, Powertools' validation errors and the authorisation errors.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from sfr3_lambdas import auth
from sfr3_ledger import LedgerError


class ApiError(Exception):
    def __init__(self, status: int, message: str, code: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.extra = status, message, code, extra


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
