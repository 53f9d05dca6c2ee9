"""The payment jobs deployed (issue 13): retries of failed payments, recovery of stuck ones.

Four handlers, one concern each (resources/retries.yml, docs/jobs.md "Payment retries and
recovery"):

* `scheduler_handler` (paymentJobsScheduler): invoked by an EventBridge Scheduler rate
  schedule (every 15 minutes by default) with `{"job": "payment-retries" |
  "payment-recovery" | "all", "at"?: ISO instant}`. Plans from the payment-watch read
  model (one GSI Query per job) and queues one SQS message per due payment on the payment
  jobs queue. Nothing is recorded: the watch itself is the state, so a failed or repeated
  invocation re-plans the same items, and the workers are idempotent.
* `worker_handler` (paymentJobsWorker): the queue's consumer (Powertools BatchProcessor,
  ReportBatchItemFailures; 5 receives, then the payment jobs DLQ). Each item re-reads the
  ledger before acting (`PaymentJobWorker`); a recovery whose re-send could charge without
  consent or twice lists Stripe's intents instead (`SFR3_RECOVERY_LOOKUP_AFTER`, checked
  when the worker is built: sfr3_ledger/recovery.py). Metric `PaymentRecovered` (dimension
  `outcome`); `PaymentRetried` (`Attempt`) and `PaymentPermanentlyFailed`
  (`FailureReason`) are counted from the ledger's facts by the stream processor
  (sfr3_adapters/payment_metrics.py), once per fact whatever the redeliveries.
* `handle_projection`: keeps the watch (`PaymentWatchProjection`) from the events table's
  stream, called by the stream's second reader (scheduleProjection,
  sfr3_lambdas/jobs/read_models.py) beside the other read models: DynamoDB advises at most
  two readers per shard.
* `alerts_handler` (paymentAlerts): the EventBridge rule for `payment.permanently_failed`:
  the envelope to the retry DLQ (alarm: depth > 0), the property-manager topic (SNS) and
  mail (SES); metric `PaymentAlertsSent`. With
  `BACKBONE_DEDUP_TABLE`, Powertools idempotency on the event id makes a redelivery do
  nothing.

Why a frequent schedule over a read model, not SQS delays: see sfr3_ledger/payment_jobs.py.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from sfr3_lambdas import wiring
from sfr3_lambdas.consumers import metrics_for, sqs_batch
from sfr3_lambdas.jobs.stream_projection import project_in_order
from sfr3_lambdas.log_context import function_logger
from sfr3_ledger import payment_jobs
from sfr3_ledger.integration_events import Envelope
from sfr3_ledger.read_models.payments_pending import (
    DEFAULT_RECOVER_AFTER,
    PaymentWatch,
    PaymentWatchProjection,
)
from sfr3_ledger.retries import parse_delays

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("paymentJobs")
metrics = metrics_for("paymentJobs")
processor = BatchProcessor(event_type=EventType.SQS)


class BadPaymentJobInput(ValueError):
    """The invocation's input is not a payment job run."""


def _once(name: str, build: Callable[[], Any]) -> Any:
    """Built once per cold start, in wiring's cache (under `payment_jobs:`)."""
    return wiring._once(f"payment_jobs:{name}", build)


def reset() -> None:
    """Forget the payment jobs' watch, queue, projection and alerts (not the ledger)."""
    wiring.forget("payment_jobs:")


def payment_watch() -> PaymentWatch:
    """DynamoDB (`PAYMENT_WATCH_TABLE`) deployed; SQLite (`SFR3_READ_MODELS_PATH`) locally."""

    def build() -> PaymentWatch:
        table = os.environ.get("PAYMENT_WATCH_TABLE")
        if table:
            from sfr3_adapters.dynamodb.payment_watch import DynamoDBPaymentWatch

            return DynamoDBPaymentWatch(
                table, endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None)
        path = os.environ.get("SFR3_READ_MODELS_PATH")
        if not path:
            raise RuntimeError("no payment watch: set PAYMENT_WATCH_TABLE or "
                               "SFR3_READ_MODELS_PATH")
        from sfr3_adapters.payment_watch_sqlite import SQLitePaymentWatch

        return SQLitePaymentWatch(path)

    return _once("watch", build)  # type: ignore[no-any-return]


def payment_jobs_queue() -> payment_jobs.PaymentQueue:
    def build() -> payment_jobs.PaymentQueue:
        url = os.environ.get("PAYMENT_JOBS_QUEUE_URL")
        if not url:
            raise RuntimeError("PAYMENT_JOBS_QUEUE_URL is not set")
        from sfr3_adapters.sqs import SQSWorkQueue

        return SQSWorkQueue(url)  # type: ignore[return-value]  # duck-typed items

    return _once("queue", build)  # type: ignore[no-any-return]


# ---- scheduler --------------------------------------------------------------------------

def parse(event: Any) -> tuple[list[payment_jobs.PaymentJobName], datetime | None]:
    if not isinstance(event, dict):
        raise BadPaymentJobInput("input must be a JSON object")
    job = event.get("job")
    if job == "all":
        names = list(payment_jobs.PAYMENT_JOBS)
    elif job in payment_jobs.PAYMENT_JOBS:
        names = [job]
    else:
        names_text = ", ".join(payment_jobs.PAYMENT_JOBS)
        raise BadPaymentJobInput(f"job must be all or one of {names_text}")
    raw = event.get("at")
    at = None
    if raw is not None:
        try:
            at = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        except ValueError:
            raise BadPaymentJobInput("at must be an ISO 8601 instant") from None
        if at.tzinfo is None:
            raise BadPaymentJobInput("at must carry a UTC offset")
    return names, at


def schedule(event: Any, now: datetime | None = None) -> dict[str, Any]:
    names, at = parse(event)
    moment = at or now or datetime.now(UTC)
    runs = {}
    for name in names:
        queued = payment_jobs.run(payment_watch(), payment_jobs_queue(), name, moment)
        runs[name] = queued
        metrics.add_metric(name="PaymentJobItemsQueued", unit=MetricUnit.Count, value=queued)
    logger.info("payment jobs run", extra={"at": moment.isoformat(), "queued": runs})
    return {"at": moment.isoformat(), "queued": runs}


@metrics.log_metrics
@logger.inject_lambda_context
def scheduler_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return schedule(event)


# ---- worker ---------------------------------------------------------------------------

def job_worker() -> payment_jobs.PaymentJobWorker:
    """Built once per cold start, not per record (it holds only the service and the watch).
    A recovery margin outside Stripe's key window refuses to build (ValueError), loudly,
    rather than re-send keys Stripe has forgotten."""

    def build() -> payment_jobs.PaymentJobWorker:
        from sfr3_ledger.recovery import lookup_after

        lookup_after(os.environ)
        return payment_jobs.PaymentJobWorker(wiring.jobs_payment_service(), payment_watch())

    return _once("worker", build)  # type: ignore[no-any-return]


def work(record: SQSRecord) -> str:
    item = payment_jobs.PaymentWorkItem.from_json(json.loads(record.body))
    outcome = job_worker()(item, datetime.now(UTC))
    logger.info("payment job item", extra={**item.to_json(), "outcome": outcome})
    # PaymentRetried and PaymentPermanentlyFailed are counted from the ledger's facts by the
    # stream processor (payment.retry_started, payment.permanently_failed), once per fact
    # however often an item is redelivered; the recovery outcome is counted here.
    if item.job == "payment-recovery" and outcome in ("settled", "failed", "submitted"):
        _count("PaymentRecovered", "outcome", outcome)
    elif item.job == "payment-recovery" and outcome == "mismatch":
        # Stripe's intent contradicts the payment (amount, currency, another intent): it
        # stays PENDING, reserved, for a person; RecoveryMismatchAlarm tells engineering.
        # Counted on every run that finds it so, until someone resolves it.
        logger.error("payment recovery mismatch: left PENDING for a person",
                     extra=item.to_json())
        metrics.add_metric(name="RecoveryMismatch", unit=MetricUnit.Count, value=1)
        metrics.flush_metrics()
    return outcome


def _count(name: str, dimension: str, value: str) -> None:
    """One EMF blob per item: its dimension is the item's own."""
    metrics.add_dimension(name=dimension, value=value)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    metrics.flush_metrics()


def work_batch(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    return sqs_batch(event, work, processor, logger, "payment job item failed", context)


@logger.inject_lambda_context
def worker_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return work_batch(event, context)


# ---- projection -----------------------------------------------------------------------

def projection() -> PaymentWatchProjection:
    def build() -> PaymentWatchProjection:
        text = os.environ.get("SFR3_RECOVER_AFTER")
        after = parse_delays(text)[0] if text else DEFAULT_RECOVER_AFTER
        return PaymentWatchProjection(payment_watch(), recover_after=after)

    return _once("projection", build)  # type: ignore[no-any-return]


def project(event: dict[str, Any]) -> dict[str, Any]:
    """Stream records in order; the first failure stops the batch (retried from there)."""
    return project_in_order(event, projection().process, "payment watch")


def handle_projection(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The stream's second reader (sfr3_lambdas/jobs/read_models.py) calls this: DynamoDB
    advises at most two readers per shard, so the watch has no consumer of its own.
    Without a watch configured (a deployment or test that has none) it applies nothing."""
    if not (os.environ.get("PAYMENT_WATCH_TABLE") or os.environ.get("SFR3_READ_MODELS_PATH")):
        return {"batchItemFailures": []}
    return project(event)


# ---- alerts ---------------------------------------------------------------------------

def alerts() -> Callable[..., bool]:
    """The reaction, deduplicated by event id when BACKBONE_DEDUP_TABLE is set (its
    idempotency config is kept beside it: `alerts_config`). The key's name comes from
    `react`'s qualified name: keep it, or a redelivery across a deploy alerts again."""

    def build() -> Callable[..., bool]:
        from sfr3_adapters.retry_alerts import RetryAlerts, SNSAlerts, SQSDeadLetters
        from sfr3_adapters.ses import SesMailer

        dlq, topic = os.environ.get("RETRY_DLQ_URL"), os.environ.get("RETRY_ALERTS_TOPIC_ARN")
        manager, sender = os.environ.get("PROPERTY_MANAGER_EMAIL"), os.environ.get("FROM_EMAIL")
        reaction = RetryAlerts(
            dead_letters=SQSDeadLetters(dlq) if dlq else None,
            topic=SNSAlerts(topic) if topic else None,
            mailer=SesMailer(sender) if sender and manager else None, manager_email=manager)

        def react(envelope: Envelope) -> bool:
            return reaction.handle(envelope)

        once, config = wiring.once_per_event(react)
        _once("alerts_config", lambda: config)
        return once

    return _once("alerts", build)  # type: ignore[no-any-return]


def alerts_config() -> Any:
    """The alerts' idempotency config (None without BACKBONE_DEDUP_TABLE)."""
    alerts()
    return _once("alerts_config", lambda: None)


def alert(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    envelope: Envelope = event["detail"]
    react, config = alerts(), alerts_config()
    if config is not None and context is not None:
        # Powertools then expires an in-progress key when this invocation times out, so the
        # redelivery can alert; without it the key would block the alert for 7 days.
        config.register_lambda_context(context)
    handled = react(envelope=envelope)
    if handled:  # (PaymentPermanentlyFailed itself is the stream processor's, from the fact)
        metrics.add_metric(name="PaymentAlertsSent", unit=MetricUnit.Count, value=1)
    logger.info("payment alert", extra={"eventId": envelope.get("eventId"),
                                        "handled": handled})
    return {"eventId": envelope.get("eventId"), "handled": handled}


@metrics.log_metrics
@logger.inject_lambda_context
def alerts_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return alert(event, context)
