"""`POST /webhooks/stripe`: Stripe's signed events, verified, deduplicated and applied.

The signature is checked by the stripeService (the only holder of the signing secret),
through the payment-provider port; a bad or missing signature is 400 and nothing else
happens. Each event id is processed at most once (Powertools idempotency keyed on the
Stripe event id); a duplicate delivery gets 200 with the first outcome. Order does not
matter: the ledger's commands are idempotent and monotonic (a `payment_failed` after
`succeeded` cannot un-settle a payment), which is what makes late and out-of-order
delivery safe. Answers: 200 once applied (or deliberately ignored), 409 while the same
event is being processed by another delivery, 503 when the provider or the store is
unavailable (Stripe retries).

A `mandate.updated` reporting an autopay ACH mandate `inactive` (revoked at the bank, or
a debit returned unauthorized) pauses that autopay once, after Stripe's own copy of the
mandate confirms it (sfr3_ledger/provider_mandates.py); counted as
`AutopayMandatesRevoked`.

A valid signature is not enough to move money: `PaymentService.handle_provider_event`
checks every intent, refund and dispute event against the payment the ledger recorded
(its PaymentIntent id, amount and currency) and, where the ledger has no intent yet, against
Stripe's own copy of the intent. An event that fails the check changes nothing and is
answered 200 with outcome `rejected: mismatch` (redelivery would not change the answer); it
is counted as `WebhookMismatch`, which pages (resources/alarms.yml).

Nothing Stripe tells us is lost (issue 13). A verified event whose processing fails (the
ledger's store throttled, Stripe unreachable for a lookup, a bug) is parked on the webhook
retry queue (`WEBHOOK_RETRY_QUEUE_URL`, SQS) and answered 200 at once: `queue_handler`
applies it again through the same idempotent step (same event-id key), up to 5 receives,
then the webhook DLQ holds it (14 days, alarmed: docs/operations.md says how to redrive).
Only if parking fails too is the answer 503, and Stripe redelivers (for up to 3 days).

The queue is not the signature: whoever can send to it could write an event Stripe never
sent, and the ledger's cross-checks catch an inconsistent event, not a false one. So the
queued body only names the event: the consumer fetches it from Stripe by `id`
(`GET /v1/events/{id}`, `retrieve_event` through stripeService) and applies Stripe's copy;
the body's `object` is never read. A body naming no event id, an id Stripe does not know
(never sent, or past Stripe's 30 days) or Stripe's copy of another `type` is refused: an
error log, `WebhookQueuedEventsRefused` (alarmed), nothing applied, and the message moved
as it was to the DLQ (`WEBHOOK_RETRY_DLQ_URL`) for a person; kept, not dropped, because a
refusal may be our own misconfiguration (a key of another Stripe account). Stripe
unreachable is no refusal: the record fails and SQS redelivers it.
Without the queue (local runs) a failure is 503 as before. Stripe's own redelivery is not
the only net either way: a payment whose webhook never arrives is resolved by the
payment-recovery job, which asks Stripe (sfr3_ledger/recovery.py).
"""

from __future__ import annotations

# First: no garbage collection during the import (sfr3_lambdas/import_gc.py).
from sfr3_lambdas.import_gc import freeze_imported, hold_collections

hold_collections()

import base64  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import warnings  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from aws_lambda_powertools.metrics import MetricUnit  # noqa: E402
from aws_lambda_powertools.utilities.idempotency import (  # noqa: E402
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: E402
    IdempotencyAlreadyInProgressError,
)

from sfr3_adapters.aws_clients import client as aws_client  # noqa: E402
from sfr3_lambdas import wiring  # noqa: E402
from sfr3_lambdas.consumers import metrics_for, sqs_batch  # noqa: E402
from sfr3_lambdas.http_input import (  # noqa: E402
    PROVIDER_MAX_BYTES,
    PROVIDER_MAX_DEPTH,
    BadInput,
    parse_object,
)
from sfr3_lambdas.log_context import function_logger, http_logging  # noqa: E402
from sfr3_ledger.payment_provider import (  # noqa: E402
    InvalidProviderRequest,
    PaymentProviderError,
    ProviderEvent,
    WebhookSignatureInvalid,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.batch import BatchProcessor
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("stripeWebhook")
# Payment health: counted once per Stripe event (inside the idempotent step), published as
# CloudWatch embedded-metric logs; alarms in resources/alarms.yml watch the failure rate.
metrics = metrics_for("stripeWebhook")
OUTCOME_METRICS = {
    "settled": "PaymentsSettled",
    "failed": "PaymentsFailed",
    "dispute opened": "DisputesOpened",
    "chargeback applied": "Chargebacks",
    # Stripe reported an autopay ACH mandate inactive: that autopay is paused (consent gone).
    "autopay paused: mandate revoked": "AutopayMandatesRevoked",
    # A signed event that contradicts the ledger and Stripe's records (PaymentService's
    # WEBHOOK_MISMATCH outcome): parked, nothing moved; alarmed in resources/alarms.yml.
    "rejected: mismatch": "WebhookMismatch",
}
PATH = "/webhooks/stripe"
# A duplicate delivery counts nothing; that is expected, not worth a warning per request.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def _answer(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _apply(data: dict[str, Any]) -> dict[str, Any]:
    event: ProviderEvent = data["event"]
    outcome = wiring.payment_service().handle_provider_event(event)
    name = OUTCOME_METRICS.get(outcome)
    if name is not None:
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    elif outcome.startswith("rejected"):
        metrics.add_metric(name="WebhookFactsRejected", unit=MetricUnit.Count, value=1)
    return {"outcome": outcome}


def _process_once(event: ProviderEvent, context: Any) -> dict[str, Any]:
    config = IdempotencyConfig(
        event_key_jmespath="id",
        expires_after_seconds=max(wiring.idempotency_ttl(), 3 * 86_400),
        use_local_cache=False,
    )
    if context is not None:
        config.register_lambda_context(context)

    def run(data: dict[str, Any]) -> dict[str, Any]:
        return _apply({"event": event})

    guarded = idempotent_function(
        data_keyword_argument="data",
        persistence_store=wiring.idempotency_store("webhook"),
        config=config,
        # One key for the event whichever Lambda applies it (the webhook or its retry
        # queue's consumer): Powertools' default prefix names the function.
        key_prefix="stripe-webhook-event",
    )(run)
    result: dict[str, Any] = guarded(data={"id": f"stripe-event:{event.id}"})
    return result


@metrics.log_metrics
@http_logging(logger)  # API Gateway request id as correlation id
def handler(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    """API Gateway REST (v1) proxy entry point (no authorizer: the signature is the auth)."""
    if str(event.get("httpMethod", "")).upper() != "POST" or event.get("path") != PATH:
        return _answer(404, {"error": "Not found", "code": "not_found"})
    raw = event.get("body") or ""
    payload = base64.b64decode(raw) if event.get("isBase64Encoded") else str(raw).encode()
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    signature = headers.get("stripe-signature", "")
    if not signature or not payload:
        return _answer(
            400, {"error": "Missing Stripe-Signature or body", "code": "webhook_signature_invalid"}
        )
    try:  # what Stripe sends is one flat-enough JSON object; anything else is not Stripe
        parse_object(payload.decode("utf-8"), max_depth=PROVIDER_MAX_DEPTH,
                     max_bytes=PROVIDER_MAX_BYTES)
    except (BadInput, UnicodeDecodeError) as exc:
        message = exc.message if isinstance(exc, BadInput) else "Body must be UTF-8 JSON"
        return _answer(400, {"error": message, "code": "invalid_json"})
    try:
        verified = wiring.payment_service().verify_webhook(payload, signature)
    except WebhookSignatureInvalid:
        logger.warning("webhook signature rejected")
        metrics.add_metric(name="WebhookSignatureRejected", unit=MetricUnit.Count, value=1)
        return _answer(
            400, {"error": "Invalid webhook signature", "code": "webhook_signature_invalid"}
        )
    except PaymentProviderError as err:
        logger.warning("cannot verify webhook now", extra={"error_code": err.code})
        return _answer(
            503, {"error": "Cannot verify the signature now; retry", "code": "provider_unavailable"}
        )
    try:
        result = _process_once(verified, context)
    except IdempotencyAlreadyInProgressError:
        return _answer(409, {"error": "This event is being processed", "code": "in_progress"})
    except Exception:
        logger.exception(
            "webhook processing failed",
            extra={"event_id": verified.id, "event_type": verified.type},
        )
        if _park(verified):
            return _answer(200, {"received": True, "id": verified.id, "queued": True})
        return _answer(503, {"error": "Processing failed; retry", "code": "retry"})
    logger.info(
        "webhook",
        extra={
            "event_id": verified.id,
            "event_type": verified.type,
            "outcome": result.get("outcome"),
        },
    )
    return _answer(200, {"received": True, "id": verified.id, **result})


# ---- the retry queue: verified events whose processing failed ----------------------------

def event_json(event: ProviderEvent) -> dict[str, Any]:
    """What is parked (this shape since issue 13, so queued messages keep parsing): only
    `id` is read back, `type` checked against Stripe's copy, the rest is for people."""
    return {"id": event.id, "type": event.type, "created": event.created.isoformat(),
            "object": event.object}


def _park(event: ProviderEvent) -> bool:
    """Queue a verified event for another try; False when there is no queue or it failed."""
    url = os.environ.get("WEBHOOK_RETRY_QUEUE_URL")
    if not url:
        return False
    try:
        aws_client("sqs").send_message(
            QueueUrl=url, MessageBody=json.dumps(event_json(event), sort_keys=True),
            MessageAttributes={"eventId": {"DataType": "String", "StringValue": event.id}})
    except Exception:
        logger.exception("could not queue the webhook event", extra={"event_id": event.id})
        return False
    metrics.add_metric(name="WebhookEventsQueued", unit=MetricUnit.Count, value=1)
    return True


_queue_processors: list[BatchProcessor] = []


def queue_processor() -> BatchProcessor:
    """The retry consumer's BatchProcessor, made by its first batch: Powertools' batch
    utility (with asyncio and the event data classes it imports, ~36 ms) is never
    imported by a webhook request, whose cold start it would only slow down."""
    if not _queue_processors:
        from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType

        _queue_processors.append(BatchProcessor(event_type=EventType.SQS))
    return _queue_processors[0]


# stripeService's answers meaning "Stripe has no such event": 404 `resource_missing`, or an
# id its params schema refuses (no `evt_` id). Any other refusal (say `unknown_action`, a
# stripeService older than this consumer mid-deploy) fails the record: redelivered.
NO_SUCH_EVENT = frozenset({"resource_missing", "invalid_params"})


class Refused(Exception):
    """A queued message that names no event Stripe sent us (as named): never applied."""

    def __init__(self, reason: str, detail: str, event_id: str | None = None) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.event_id = event_id


def _stripe_copy(body: str) -> ProviderEvent:
    """The event the queued body names, as Stripe has it (`GET /v1/events/{id}`).

    Only the body's `id` is used, and its `type` must be Stripe's: the queue is not the
    signature, so what it says about the event (its object, amount, intent) is ignored.
    Refused when the body names no event id, Stripe does not know the id (never sent, or
    older than Stripe's 30 days) or Stripe's copy is of another type. Stripe unreachable
    (or rate limiting, or our key refused) propagates: the record fails and is redelivered.
    """
    try:
        queued = json.loads(body)
    except ValueError:
        raise Refused("malformed", "the body is not JSON") from None
    if not isinstance(queued, dict) or not isinstance(queued.get("id"), str) \
            or not str(queued["id"]).startswith("evt_"):
        raise Refused("malformed", "the body names no Stripe event id")
    event_id, queued_type = str(queued["id"]), queued.get("type")
    try:
        event = wiring.provider().retrieve_event(event_id)
    except InvalidProviderRequest as err:
        if err.code not in NO_SUCH_EVENT:
            raise
        raise Refused("unknown_event", f"Stripe has no event {event_id} ({err.code})",
                      event_id) from None
    if event.id != event_id or event.type != queued_type:
        raise Refused("type_mismatch",
                      f"queued as {queued_type!r}, Stripe's {event.id} is {event.type!r}",
                      event_id)
    return event


def _refuse(record: SQSRecord, refused: Refused) -> str:
    """Log, count and move the message to the webhook DLQ (kept 14 days, its depth alarmed):
    a refusal may be our own fault (a key of another Stripe account), so nothing is dropped.
    With no DLQ configured, or the move failing, the record fails: SQS redelivers it, then its
    redrive policy puts it in the same DLQ after 5 receives."""
    logger.error("queued webhook refused: not applied", extra={
        "reason": refused.reason, "detail": str(refused), "event_id": refused.event_id,
        "message_id": record.message_id})
    metrics.add_metric(name="WebhookQueuedEventsRefused", unit=MetricUnit.Count, value=1)
    url = os.environ.get("WEBHOOK_RETRY_DLQ_URL")
    if not url:
        raise refused
    attributes = {"refused": {"DataType": "String", "StringValue": refused.reason}}
    if refused.event_id:
        attributes["eventId"] = {"DataType": "String", "StringValue": refused.event_id}
    aws_client("sqs").send_message(QueueUrl=url, MessageBody=record.body,
                                   MessageAttributes=attributes)
    return f"refused: {refused.reason}"


def _retry_record(record: SQSRecord, lambda_context: Any = None) -> str:
    """One queued event, applied as Stripe has it (`_stripe_copy`), never as queued.
    BatchProcessor passes the Lambda context, so the idempotency record of an invocation
    that times out mid-event expires with that invocation instead of blocking every
    redelivery (then the DLQ) for the key's days."""
    try:
        event = _stripe_copy(record.body)
    except Refused as refused:
        return _refuse(record, refused)
    result = _process_once(event, lambda_context)
    logger.info("queued webhook applied", extra={"event_id": event.id,
                                                 "outcome": result.get("outcome")})
    return str(result.get("outcome"))


def handle_queue(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return sqs_batch(event, _retry_record, queue_processor(), logger,
                     "queued webhook failed again", context)


@metrics.log_metrics
@logger.inject_lambda_context
def queue_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """stripeWebhookRetry: the webhook retry queue's consumer (5 receives, then its DLQ)."""
    return handle_queue(event, context)


# Last: the import's objects are exempt from the first event's full collection (and all
# later ones); sfr3_lambdas/import_gc.py says why.
freeze_imported()
