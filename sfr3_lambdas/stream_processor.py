"""streamProcessor: the events table's DynamoDB Stream -> EventBridge and the Firehose lake.

Each stream record is a notification-log item holding one commit's stored events; they
are decoded with the ledger application's own mapper (so compression and encryption
keep working) and turned into integration-event envelopes (sfr3_ledger.integration_events).

Delivery, per batch:
* records are decoded one by one under Powertools' `BatchProcessor`: a record that cannot
  be decoded (a poison record) is reported in `batchItemFailures` and the rest go on;
* the envelopes of all decoded records are published together: PutEvents in batches of
  10, PutRecordBatch in batches of 500, re-sending only rejected entries;
* a record is reported as failed if any of its envelopes was not accepted by every sink.

Payment-health metrics (sfr3_adapters.payment_metrics) are the third sink: each envelope
becomes its CloudWatch data points (EMF log lines, printed and flushed before the
published log records them), so every fact is counted once however often Stripe sent
its webhook, and, with the published log, however often a batch is redelivered (a crash
between printing and recording can count a batch's facts twice: at least once, as the
other sinks). With `PAYMENT_HEALTH_TABLE` set, the payment-health read model (the finance
page's figures, sfr3_adapters/dynamodb/payment_health.py) is a fourth sink, idempotent by
event id.

Idempotency: `eventId` is derived from the stored event, so a redelivered record yields
the same ids. With `BACKBONE_DEDUP_TABLE` set (the Powertools idempotency table), each
sink's accepted ids are remembered and a redelivered batch publishes nothing new;
without it, delivery is at-least-once with stable ids for consumers to dedupe.

Environment: EVENT_BUS_NAME, FIREHOSE_STREAM_NAME, BACKBONE_DEDUP_TABLE and
PAYMENT_HEALTH_TABLE (optional), and
the ledger's own (PERSISTENCE_MODULE, DYNAMODB_TABLE, CIPHER_*, COMPRESSOR_TOPIC, ...).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from sfr3_adapters.dynamodb.stream import stored_events_from_stream_record
from sfr3_adapters.eventbridge import EventBridgePublisher
from sfr3_adapters.firehose import FirehoseLakeWriter
from sfr3_adapters.payment_metrics import PaymentMetrics, method_type_lookup
from sfr3_adapters.published_log import DynamoDBPublishedLog
from sfr3_lambdas.log_context import function_logger
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import Envelope, ResidentResolver, envelopes_for
from sfr3_ledger.ports import EventPublisher, LakeWriter, PublishedLog

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("streamProcessor")


class StreamProcessor:
    def __init__(
        self,
        app: LedgerApplication,
        publisher: EventPublisher,
        lake: LakeWriter,
        published: PublishedLog | None = None,
        metrics: PaymentMetrics | None = None,
        health: LakeWriter | None = None,
    ) -> None:
        self.app = app
        self.resolver = ResidentResolver.for_application(app)
        self.metrics = metrics or PaymentMetrics(method_type_lookup(app))
        self.sinks: list[tuple[str, Callable[[Sequence[Envelope]], list[Envelope]]]] = [
            ("eventbridge", publisher.publish),
            ("lake", lake.write),
            ("metrics", self.metrics.write),
        ]
        if health is not None:
            self.sinks.append(("payment_health", health.write))
        self.published = published

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> StreamProcessor:
        env = dict(os.environ if env is None else env)
        dedup = env.get("BACKBONE_DEDUP_TABLE")
        health_table = env.get("PAYMENT_HEALTH_TABLE")
        health = None
        if health_table:
            from sfr3_adapters.dynamodb.payment_health import (
                DynamoDBPaymentHealthStore,
                PaymentHealthSink,
            )

            health = PaymentHealthSink(DynamoDBPaymentHealthStore(
                health_table, endpoint_url=env.get("DYNAMODB_ENDPOINT_URL") or None,
                region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
                create=env.get("CREATE_TABLE", "").lower() in ("y", "yes", "true", "1")))
        return cls(
            LedgerApplication(env=env),
            EventBridgePublisher(env["EVENT_BUS_NAME"]),
            FirehoseLakeWriter(env["FIREHOSE_STREAM_NAME"]),
            DynamoDBPublishedLog(dedup) if dedup else None,
            health=health,
        )

    def envelopes_of(self, record: dict[str, Any]) -> list[Envelope]:
        events = [
            self.app.mapper.to_domain_event(s) for s in stored_events_from_stream_record(record)
        ]
        return envelopes_for(events, self.resolver)

    def deliver(self, envelopes: Sequence[Envelope]) -> set[str]:
        """Send `envelopes` to every sink; the ids some sink did not accept."""
        undelivered: set[str] = set()
        unique = list({e["eventId"]: e for e in envelopes}.values())
        for sink, send in self.sinks:
            todo = unique
            if self.published is not None and todo:
                done = self.published.delivered(sink, [e["eventId"] for e in todo])
                todo = [e for e in todo if e["eventId"] not in done]
            if not todo:
                continue
            failed = {e["eventId"] for e in send(todo)}
            if self.published is not None:
                accepted = [e["eventId"] for e in todo if e["eventId"] not in failed]
                self.published.mark_delivered(sink, accepted)
            if failed:
                logger.warning(
                    "sink rejected envelopes", extra={"sink": sink, "failed": len(failed)}
                )
            undelivered |= failed
        return undelivered

    def handle(self, event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
        decoded: list[tuple[str, list[Envelope]]] = []

        def record_handler(record: DynamoDBRecord) -> int:
            envelopes = self.envelopes_of(record.raw_event)
            decoded.append((str(record.dynamodb.sequence_number), envelopes))  # type: ignore[union-attr]
            return len(envelopes)

        processor = BatchProcessor(
            event_type=EventType.DynamoDBStreams, raise_on_entire_batch_failure=False
        )
        records = event.get("Records", [])
        with processor(records=records, handler=record_handler, lambda_context=context):
            processor.process()
        failures = [f["itemIdentifier"] for f in processor.response()["batchItemFailures"]]
        for exc in processor.exceptions:
            logger.error("record could not be decoded", extra={"error": repr(exc[1])})
        undelivered = self.deliver([e for _, envelopes in decoded for e in envelopes])
        failures += [
            seq for seq, envelopes in decoded if any(e["eventId"] in undelivered for e in envelopes)
        ]
        logger.info(
            "batch processed",
            extra={
                "records": len(records),
                "envelopes": sum(len(e) for _, e in decoded),
                "failed_records": len(failures),
            },
        )
        return {"batchItemFailures": [{"itemIdentifier": s} for s in dict.fromkeys(failures)]}


_lock = threading.Lock()
_processor: StreamProcessor | None = None


def processor() -> StreamProcessor:
    global _processor
    with _lock:
        if _processor is None:
            _processor = StreamProcessor.from_env()
        return _processor


def reset() -> None:
    global _processor
    with _lock:
        if _processor is not None:
            _processor.app.close()
        _processor = None


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return processor().handle(event, context)
