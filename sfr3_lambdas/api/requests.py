"""Per-request helpers shared by the resources: the caller, Idempotency-Key, free text, dates.

`POST` routes honour an optional `Idempotency-Key` header through Powertools' idempotency
utility: same key and same body → the first answer again (business refusals included);
same key, different body → 422; the first request still running → 409. A key is scoped
to the caller and the *operation* — the route the resolver selected and its path
parameters — never to the spelling of the URL, so two residents can never collide and
`/payments` and `/payments/` (refused anyway) could never be two payments. For payments,
charges and refunds the key also fixes the id of what is created, so even a lost
idempotency record cannot create a second one.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import BaseRouter, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from sfr3_lambdas import auth, wiring
from sfr3_lambdas.api.errors import ApiError, ledger_error
from sfr3_lambdas.api.policy import AUTHORISED, Selected
from sfr3_lambdas.log_context import function_logger
from sfr3_ledger import MAX_AMOUNT_CENTS, LedgerError

logger = function_logger("api")

IDEMPOTENCY_HEADER = "idempotency-key"
TRANSIENT_CODES = frozenset({"concurrency_conflict", "provider_unavailable"})


def _printable(value: str) -> str:
    """Free text goes into emails, PDFs and CSVs: no control or line-separator characters."""
    for ch in value:
        if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp"):
            raise ValueError("must not contain control characters or line breaks")
    return value


Cents = Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT_CENTS, description="Integer cents (USD)")]


def text(max_length: int, *, min_length: int = 0) -> Any:
    """A strict string of printable characters (see `_printable`)."""
    field = Field(min_length=min_length or None, max_length=max_length)
    return Annotated[StrictStr, field, AfterValidator(_printable)]


class Strict(BaseModel):
    # defer_build (every model of the API has it): pydantic builds a model's validator on
    # its first use, not at import. A cold start then builds only the models its request
    # validates; the response models are built only for the OpenAPI document (issue 17).
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


def principal(app: BaseRouter) -> auth.Principal:
    found = app.context.get("principal")
    if not isinstance(found, auth.Principal):  # the handler always sets it
        raise auth.Unauthenticated("Missing or invalid credentials")
    return found


def idempotency_key(app: BaseRouter) -> str | None:
    headers = app.current_event.headers or {}
    value = next((v for k, v in headers.items() if k.lower() == IDEMPOTENCY_HEADER), None)
    if value is None:
        return None
    if not (1 <= len(value) <= 255) or not value.isprintable():
        raise ApiError(400, "Idempotency-Key must be 1-255 printable characters",
                       "invalid_idempotency_key")
    return value


def operation_scope(app: BaseRouter, key: str) -> str:
    """Caller, operation (the selected route's method and its template filled with the path
    parameters) and the key: what one request means, whatever the URL's spelling.

    The string has the shape the scope had when it was built from the raw path (method and
    canonical path), so keys recorded before this change still find their records.
    """
    selected = app.context.get(AUTHORISED)
    if not isinstance(selected, Selected):  # the gate always sets it before routing
        raise auth.Forbidden("Not allowed to do this for this resident")
    return f"{principal(app).actor}|{selected.route.method}|{selected.resource}|{key}"


def once(
    app: BaseRouter,
    resident_id: str,
    body: dict[str, Any] | None,
    action: Callable[[str | None], Response[str]],
) -> Response[str]:
    """Run `action` at most once per Idempotency-Key; replay its answer for the same body.

    `action` receives a stable token derived from the key (None without a key) to name
    what it creates. Business refusals are answers too and are replayed; transient
    failures (a race, the provider down) are not stored, so a retry really retries.
    """
    key = idempotency_key(app)
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

    scope = operation_scope(app, key)
    token = hashlib.sha256(scope.encode()).hexdigest()[:32]

    def run(data: dict[str, Any]) -> dict[str, Any]:
        try:
            response = action(token)
            return {"status": response.status_code, "body": response.body}
        except LedgerError as err:
            if err.code in TRANSIENT_CODES or err.status >= 500:
                raise
            status, payload = ledger_error(err)
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


def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_instant(value: str | None, name: str, *, end: bool) -> datetime | None:
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
