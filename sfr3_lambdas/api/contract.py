"""The API's OpenAPI contract, generated from the routes (`docs/openapi.json`, Swagger UI).

Each route declares what it answers with `answers(status, Model, description, *errors)`
(Powertools' `responses={...: {"content": {"application/json": {"model": ...}}}}`): the
success body's pydantic model and every error status it can give (`errors.responses`).
`Resolver` is Powertools' APIGatewayRestResolver with two corrections to the document it
generates, so the document says what the API does:

- Powertools lists a 422 `HTTPValidationError` on every validated route; this API answers
  validation errors with 400 `{error, code, details}` (`errors.py`), so that 422 goes. A
  422 a route declares itself (a reused Idempotency-Key) stays.
- Routes marked `@idempotent` (they run through `requests.once`) document the optional
  `Idempotency-Key` request header.

`document_options()` holds the title, description and security scheme shared by the file
(`sfr3_dev/openapi.py`) and the Swagger UI `make run` serves (`sfr3_dev/swagger.py`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from sfr3_lambdas.api.errors import responses

if TYPE_CHECKING:  # the document's models cost ~80 ms to import: not on a cold start
    from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

F = TypeVar("F", bound=Callable[..., Any])
IDEMPOTENT_ATTRIBUTE = "__sfr3_idempotency_key__"
JSON = "application/json"
# What a route using requests.once can answer besides its own: 409 (same key, first
# request still running), 422 (same key, another body), 503 (idempotency store down).
IDEMPOTENCY_ERRORS = (409, 422, 503)
IDEMPOTENCY_HEADER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Optional, 1-255 printable characters, scoped to the caller and the operation. "
        "Same key and body: the first answer again (refusals included), nothing done "
        "twice; same key, another body: 422; the first request still running: 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}
BOGUS_422 = "#/components/schemas/HTTPValidationError"


def idempotent(func: F) -> F:
    """Mark a route that honours `Idempotency-Key` (it runs through `requests.once`)."""
    setattr(func, IDEMPOTENT_ATTRIBUTE, True)
    return func


def answers(status: int, model: Any, description: str, *errors: int,
            content_type: str = JSON) -> dict[int, OpenAPIResponse]:
    """`responses=` for a route: its success body (`model`) and its error statuses."""
    return {status: {"description": description, "content": {content_type: {"model": model}}},
            **responses(*errors)}


class Resolver(APIGatewayRestResolver):
    """Powertools' REST resolver whose OpenAPI document describes what this API answers."""

    def route(self, *args: Any, **kwargs: Any) -> Callable[[F], F]:
        """Powertools' `route`, whose operationId defaults to the handler's own name
        (`balance`, `make_payment`), not name + path + method: the generated client names
        its modules after it. Set at registration, before Powertools derives anything from
        it (a multi-parameter body's model is named after it), so every later read agrees."""
        register = super().route(*args, **kwargs)

        def named(func: F) -> F:
            registered = register(func)
            for route in self._static_routes + self._dynamic_routes:
                if route.func is func and route.operation_id == route._generate_operation_id():
                    route.operation_id = func.__name__
            return registered

        return named

    def get_openapi_schema(self, **options: Any) -> OpenAPI:
        from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

        schema = super().get_openapi_schema(**options)
        doc = schema.model_dump(by_alias=True, exclude_none=True, mode="json")
        idempotent_ops = {(r.openapi_path, r.method.lower())
                          for r in self._static_routes + self._dynamic_routes
                          if getattr(r.func, IDEMPOTENT_ATTRIBUTE, False)}
        for path, item in doc.get("paths", {}).items():
            for method, operation in item.items():
                if not isinstance(operation, dict) or "responses" not in operation:
                    continue
                _drop_bogus_422(operation["responses"])
                if (path, method) in idempotent_ops:
                    operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_HEADER))
        _drop_unused_schemas(doc)
        return OpenAPI.model_validate(doc)


def _drop_bogus_422(answers_: dict[str, Any]) -> None:
    schema = answers_.get("422", {}).get("content", {}).get(JSON, {}).get("schema", {})
    if schema.get("$ref") == BOGUS_422:
        del answers_["422"]


def _drop_unused_schemas(doc: dict[str, Any]) -> None:
    """Powertools' validation-error schemas, once nothing refers to them."""
    schemas = doc.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ResponseValidationError", "ValidationError"):
        if name not in schemas:
            continue
        rest = {k: v for k, v in schemas.items() if k != name}
        if f'#/components/schemas/{name}"' not in json.dumps([doc.get("paths"), rest]):
            del schemas[name]


def document_options() -> dict[str, Any]:
    """Title, description and security of the document (the file and Swagger UI)."""
    from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

    return {
        "title": "sfr3-payments API",
        "version": "1.0.0",
        "summary": "Residents pay rent; staff post charges and refund. Amounts in integer "
                   "cents.",
        "description": (
            "Bearer tokens are Cognito ID tokens (locally: `sfr3 dev-token`). Errors are "
            '`{"error": "<message>", "code": "<code>", ...}` (schema `ErrorBody`) with a 4xx '
            "or 5xx status; each operation lists the statuses it can give. POST routes "
            "that create or change something accept an optional `Idempotency-Key` header "
            "(listed on each). Amounts are integer cents (USD); instants ISO 8601 UTC."
        ),
        "security_schemes": {"cognito": HTTPBearer(scheme="bearer", bearerFormat="JWT")},
        "security": [{"cognito": []}],
    }
