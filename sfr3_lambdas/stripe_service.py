"""stripeService: the only Lambda holding Stripe credentials (`POST /internal/stripe`).

Callers send `{"action": <PaymentProvider method>, "params": {...}}` with `x-api-key`.
The action must be on the allow-list and its params must fit that action's schema exactly
(strict types: no "12" for 12, no unknown keys), or the answer is 400 with the reasons;
the schemas are `sfr3_lambdas.stripe_service_params`, the wire contract shared with the
client (path, header, allow-list, result and error JSON) `sfr3_adapters.stripe_service_wire`.
A missing key is 401, a wrong one 403 (compared in constant time). Provider failures come
back as typed JSON errors — 402 for declines, 400 for requests Stripe rejects, 502 when
Stripe is unreachable, rate limiting or refusing our credentials — which the client turns
back into the same exceptions the adapter raises.

Secrets come from SSM (`/sfr3/<STAGE>/STRIPE_SECRET_KEY`, `.../STRIPE_WEBHOOK_SECRET`,
`.../STRIPE_SERVICE_API_KEY`) through Powertools Parameters, cached for
`SFR3_PARAMETER_MAX_AGE` seconds; an environment variable of the same name overrides the
parameter for local runs, and `STRIPE_API_BASE` points the SDK at the local sandbox.
`stripe` is imported on the first call only, to keep the cold start small. Logs carry the
action and outcome, never params (they can hold emails or evidence) nor any secret.
"""

from __future__ import annotations

import hmac
import json
import os
from typing import TYPE_CHECKING, Any

import attrs
import cattrs
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response

from sfr3_adapters.stripe_service_wire import (
    ACTIONS,
    API_KEY_HEADER,
    PATH,
    encode_result,
    error_to_wire,
)
from sfr3_lambdas.http_input import (
    PROVIDER_MAX_BYTES,
    PROVIDER_MAX_DEPTH,
    BadInput,
    check_path,
    parse_object,
)
from sfr3_lambdas.log_context import function_logger, http_logging
from sfr3_lambdas.stripe_service_params import SCHEMAS, describe_error, params_converter
from sfr3_ledger.payment_provider import (
    CardDeclined,
    InvalidProviderRequest,
    PaymentProvider,
    PaymentProviderError,
    WebhookSignatureInvalid,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("stripeService")
app = APIGatewayRestResolver()


# ---- configuration ----------------------------------------------------------------------
def secret(name: str) -> str | None:
    """An env override, else `/sfr3/<STAGE>/<name>` from SSM (decrypted, cached)."""
    if os.environ.get(name):
        return os.environ[name]
    from aws_lambda_powertools.utilities import parameters

    stage = os.environ.get("STAGE", "dev")
    max_age = int(os.environ.get("SFR3_PARAMETER_MAX_AGE", "300"))
    try:
        value = parameters.get_parameter(f"/sfr3/{stage}/{name}", decrypt=True, max_age=max_age)
    except parameters.exceptions.GetParameterError:
        logger.warning("parameter missing", extra={"parameter": f"/sfr3/{stage}/{name}"})
        return None
    return str(value) if value is not None else None


_providers: dict[tuple[str, str | None, str | None], PaymentProvider] = {}


def provider() -> PaymentProvider:
    """The Stripe adapter for the current secrets (rebuilt when a rotated key is read)."""
    key = secret("STRIPE_SECRET_KEY")
    if not key:
        raise _Misconfigured("STRIPE_SECRET_KEY is not configured")
    webhook = secret("STRIPE_WEBHOOK_SECRET")
    base = os.environ.get("STRIPE_API_BASE") or None
    cache_key = (key, webhook, base)
    if cache_key not in _providers:
        from sfr3_adapters.stripe_adapter import StripeAdapter  # imports stripe: lazily

        _providers.clear()
        _providers[cache_key] = StripeAdapter(
            key, webhook, api_base=base,
            timeout=float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "20")),
            max_network_retries=int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "2")),
        )
    return _providers[cache_key]


class _Misconfigured(Exception):
    pass


# ---- HTTP -------------------------------------------------------------------------------
def _error(status: int, kind: str, message: str, **extra: Any) -> Response[str]:
    return Response(status_code=status, content_type="application/json",
                    body=json.dumps({"error": {"kind": kind, "message": message, **extra}}))


def _header(name: str) -> str | None:
    for key, value in (app.current_event.headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def _status_for(err: PaymentProviderError) -> int:
    if isinstance(err, CardDeclined):
        return 402
    if isinstance(err, (InvalidProviderRequest, WebhookSignatureInvalid)):
        return 400
    return 502


@app.post(PATH)
def invoke() -> Response[str]:
    expected = secret("STRIPE_SERVICE_API_KEY")
    if not expected:
        logger.error("STRIPE_SERVICE_API_KEY is not configured; refusing every call")
        return _error(500, "misconfigured", "stripeService has no API key configured")
    given = _header(API_KEY_HEADER)
    if not given:
        return _error(401, "unauthorized", f"Missing {API_KEY_HEADER} header")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        logger.warning("rejected caller: wrong API key")
        return _error(403, "forbidden", "Invalid API key")

    try:
        body = parse_object(app.current_event.body or "", max_depth=PROVIDER_MAX_DEPTH,
                            max_bytes=PROVIDER_MAX_BYTES)
    except BadInput as exc:
        return _error(400, "bad_request", exc.message)
    if set(body) - {"action", "params"}:
        return _error(400, "bad_request", 'Body must be {"action": ..., "params": {...}}')
    action = body.get("action")
    if not isinstance(action, str) or action not in ACTIONS:
        return _error(400, "unknown_action", f"Unknown action: {action!r}",
                      allowed=sorted(ACTIONS))
    raw = body.get("params", {})
    if not isinstance(raw, dict):
        return _error(400, "invalid_params", "params must be an object")
    try:
        params = params_converter.structure(raw, SCHEMAS[action])
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        details = cattrs.transform_error(exc, format_exception=describe_error) \
            if isinstance(exc, cattrs.BaseValidationError) else [str(exc)]
        return _error(400, "invalid_params", f"Invalid params for {action}", details=details)

    kwargs = attrs.asdict(params, recurse=False)
    if action == "verify_webhook":
        kwargs["payload"] = kwargs["payload"].encode("utf-8")
    if action == "upload_dispute_file":
        import base64
        import binascii

        try:
            kwargs["content"] = base64.b64decode(kwargs.pop("content_base64"), validate=True)
        except (binascii.Error, ValueError):
            return _error(400, "invalid_params", "content_base64 is not base64")
    try:
        result = getattr(provider(), action)(**kwargs)
    except PaymentProviderError as err:
        status = _status_for(err)
        logger.info("provider error", extra={"action": action, "status": status,
                                             "error_code": err.code})
        return Response(status_code=status, content_type="application/json",
                        body=json.dumps({"error": error_to_wire(err)}))
    except _Misconfigured as exc:
        logger.error("misconfigured", extra={"action": action, "reason": str(exc)})
        return _error(500, "misconfigured", "stripeService is not configured")
    logger.info("ok", extra={"action": action})
    return Response(status_code=200, content_type="application/json",
                    body=json.dumps({"result": encode_result(result)}))


@http_logging(logger)  # API Gateway request id as correlation id
def handler(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    """API Gateway REST (v1) proxy entry point; only the canonical path is served."""
    try:
        check_path(str(event.get("path") or ""))
    except BadInput as exc:
        return {"statusCode": 400, "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"error": {"kind": exc.code, "message": exc.message}}),
                "isBase64Encoded": False}
    return app.resolve(event, context)  # type: ignore[arg-type]
