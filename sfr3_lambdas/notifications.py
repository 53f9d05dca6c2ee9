"""notifications: resident emails (SES, from `FROM_EMAIL`) on the EventBridge rule for
charge.posted, payment.settled, payment.failed and payment.refunded.

The recipient comes from a resident directory. This project keeps no resident contact
data, so the directory is a convention: `RESIDENT_EMAIL_DOMAIN` gives `{residentId}@domain`
(tests, local runs, tenants whose resident ids are mailbox names); a deployment that keeps
addresses elsewhere plugs its own `ResidentDirectory`. With no directory, the event is
logged and not mailed.

EventBridge delivers at least once; with `BACKBONE_DEDUP_TABLE` set, Powertools
idempotency keyed on the envelope's `eventId` makes a redelivery send nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger

from sfr3_adapters.reactions import Notifier, directory_from_env
from sfr3_adapters.ses import SesMailer
from sfr3_ledger.integration_events import Envelope

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = Logger(service="notifications")
_lock = threading.Lock()
_send: Callable[..., Any] | None = None
_config: Any = None


def _build() -> Callable[..., Any]:
    global _config
    notifier = Notifier(SesMailer(os.environ.get("FROM_EMAIL", "")), directory_from_env())

    def send(envelope: Envelope) -> str | None:
        return notifier.handle(envelope)

    table = os.environ.get("BACKBONE_DEDUP_TABLE")
    if not table:
        return send
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    config = IdempotencyConfig(event_key_jmespath="eventId", expires_after_seconds=7 * 24 * 3600)
    _config = config
    return idempotent_function(  # type: ignore[no-any-return]
        data_keyword_argument="envelope",
        persistence_store=DynamoDBPersistenceLayer(table_name=table),
        config=config,
    )(send)


def sender() -> Callable[..., Any]:
    global _send
    with _lock:
        if _send is None:
            _send = _build()
        return _send


def reset() -> None:
    global _send, _config
    with _lock:
        _send = _config = None


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    envelope: Envelope = event["detail"]
    send = sender()
    if _config is not None:
        _config.register_lambda_context(context)
    message_id = send(envelope=envelope)
    logger.info(
        "notification",
        extra={
            "eventId": envelope.get("eventId"),
            "eventType": envelope.get("eventType"),
            "sent": message_id is not None,
        },
    )
    return {"eventId": envelope.get("eventId"), "messageId": message_id}
