"""stripeService: the only Lambda holding Stripe credentials (`POST /internal/stripe`).

Callers send `{"action": <PaymentProvider method>, "params": {...}}` with `x-api-key`.
The action must be on the allow-list and its params must fit that action's schema exactly
(strict types: no "12" for 12, no unknown keys), or the answer is 400 with the reasons.
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
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
import cattrs
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from cattrs.v import format_exception

from sfr3_adapters.stripe_service_client import (
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
from sfr3_ledger.mandate_acceptance import MandateAcceptance
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


# ---- per-action params schemas ------------------------------------------------------------
def _non_empty(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


def _positive(_: Any, attribute: attrs.Attribute[Any], value: int | None) -> None:
    if value is not None and value <= 0:
        raise ValueError(f"{attribute.name} must be a positive integer (cents)")


def _currency(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    if len(value) != 3 or not value.isalpha():
        raise ValueError("currency must be a three-letter ISO code")



@attrs.frozen
class CreateCustomer:
    resident_id: str = attrs.field(validator=_non_empty)
    email: str | None = None


@attrs.frozen
class AttachPaymentMethod:
    customer_id: str = attrs.field(validator=_non_empty)
    payment_method_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class DetachPaymentMethod:
    payment_method_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class CreatePaymentIntent:
    payment_id: str = attrs.field(validator=_non_empty)
    resident_id: str = attrs.field(validator=_non_empty)
    amount: int = attrs.field(validator=_positive)
    currency: str = attrs.field(validator=_currency)
    customer_id: str = attrs.field(validator=_non_empty)
    payment_method_id: str = attrs.field(validator=_non_empty)
    metadata: dict[str, str] | None = None
    mandate_id: str | None = None
    # A manual ACH payment's online acceptance, sent to Stripe as `mandate_data`.
    mandate_acceptance: MandateAcceptance | None = None


@attrs.frozen
class RetrievePaymentIntent:
    intent_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class Refund:
    payment_intent_id: str = attrs.field(validator=_non_empty)
    idempotency_key: str = attrs.field(validator=_non_empty)
    amount: int | None = attrs.field(default=None, validator=_positive)
    metadata: dict[str, str] | None = None


def _aware(_: Any, attribute: attrs.Attribute[datetime], value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{attribute.name} must carry a timezone offset")


@attrs.frozen
class ListBalanceTransactions:
    created_from: datetime = attrs.field(validator=_aware)
    created_to: datetime = attrs.field(validator=_aware)

    def __attrs_post_init__(self) -> None:
        if self.created_to <= self.created_from:
            raise ValueError("created_to must be after created_from")


@attrs.frozen
class ListPaymentIntentsPage:
    customer_id: str = attrs.field(validator=_non_empty)
    created_from: datetime = attrs.field(validator=_aware)
    starting_after: str | None = None
    limit: int = 100

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.limit <= 100:
            raise ValueError("limit must be between 1 and 100")


@attrs.frozen
class SubmitDisputeEvidence:
    dispute_id: str = attrs.field(validator=_non_empty)
    evidence: dict[str, str]
    submit: bool = True


@attrs.frozen
class ListBalanceTransactionsPage:
    created_from: datetime = attrs.field(validator=_aware)
    created_to: datetime = attrs.field(validator=_aware)
    starting_after: str | None = None
    limit: int = 100

    def __attrs_post_init__(self) -> None:
        if self.created_to <= self.created_from:
            raise ValueError("created_to must be after created_from")
        if not 1 <= self.limit <= 100:
            raise ValueError("limit must be between 1 and 100")


# Stripe's own cap for one dispute evidence file is larger; ours keeps the base64 body
# under the stripeService's 4 MB request bound.
MAX_EVIDENCE_FILE_BYTES = 2 * 1024 * 1024
EVIDENCE_CONTENT_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg"})


@attrs.frozen
class RetrieveDispute:
    dispute_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class UploadDisputeFile:
    filename: str = attrs.field(validator=_non_empty)
    content_type: str
    content_base64: str

    def __attrs_post_init__(self) -> None:
        if self.content_type not in EVIDENCE_CONTENT_TYPES:
            raise ValueError("content_type must be application/pdf, image/png or image/jpeg")
        if len(self.content_base64) > (MAX_EVIDENCE_FILE_BYTES * 4) // 3 + 4:
            raise ValueError(f"the file is over {MAX_EVIDENCE_FILE_BYTES} bytes")


@attrs.frozen
class CreateAchMandate:
    """The customer's acceptance (where from, with what, when) is the mandate's evidence."""

    setup_id: str = attrs.field(validator=_non_empty)
    customer_id: str = attrs.field(validator=_non_empty)
    payment_method_id: str = attrs.field(validator=_non_empty)
    ip_address: str = attrs.field(validator=_non_empty)
    user_agent: str = attrs.field(validator=_non_empty)
    accepted_at: datetime = attrs.field(validator=_aware)
    metadata: dict[str, str] | None = None


@attrs.frozen
class RetrieveSetupIntent:
    setup_intent_id: str = attrs.field(validator=_non_empty)


@attrs.frozen
class RetrieveMandate:
    mandate_id: str = attrs.field(validator=_non_empty)


def _event_id(_: Any, attribute: attrs.Attribute[str], value: str) -> None:
    """Stripe's event ids are `evt_` and letters/digits; anything else names no event (and
    an id from a queued body must not shape the request path)."""
    if not (value.startswith("evt_") and len(value) <= 255
            and value[4:].replace("_", "").isalnum() and value[4:].isascii()):
        raise ValueError(f"{attribute.name} must be a Stripe event id (evt_...)")


@attrs.frozen
class RetrieveEvent:
    event_id: str = attrs.field(validator=_event_id)


@attrs.frozen
class VerifyWebhook:
    payload: str
    signature_header: str = attrs.field(validator=_non_empty)


SCHEMAS: dict[str, type] = {
    "create_customer": CreateCustomer,
    "attach_payment_method": AttachPaymentMethod,
    "detach_payment_method": DetachPaymentMethod,
    "create_payment_intent": CreatePaymentIntent,
    "retrieve_payment_intent": RetrievePaymentIntent,
    "list_payment_intents_page": ListPaymentIntentsPage,
    "create_ach_mandate": CreateAchMandate,
    "retrieve_setup_intent": RetrieveSetupIntent,
    "retrieve_mandate": RetrieveMandate,
    "refund": Refund,
    "list_balance_transactions": ListBalanceTransactions,
    "submit_dispute_evidence": SubmitDisputeEvidence,
    "list_balance_transactions_page": ListBalanceTransactionsPage,
    "upload_dispute_file": UploadDisputeFile,
    "retrieve_dispute": RetrieveDispute,
    "verify_webhook": VerifyWebhook,
    "retrieve_event": RetrieveEvent,
}
assert set(SCHEMAS) == ACTIONS


def _strict(kind: type) -> Any:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:  # bool is not an int here, "12" is not 12
            raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def _datetime(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError("expected an ISO 8601 string")
    return datetime.fromisoformat(value)


params_converter = cattrs.Converter(forbid_extra_keys=True)
for _kind in (str, int, bool):
    params_converter.register_structure_hook(_kind, _strict(_kind))
params_converter.register_structure_hook(datetime, _datetime)


def _describe(exc: BaseException, type_: type | None) -> str:
    """Our validators' own messages are the clearest; cattrs words the rest."""
    if isinstance(exc, ValueError) and not isinstance(exc, cattrs.BaseValidationError):
        return str(exc)
    return format_exception(exc, type_)


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
        details = cattrs.transform_error(exc, format_exception=_describe) \
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
