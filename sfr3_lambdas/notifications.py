"""notifications: resident emails (SES, from `FROM_EMAIL`) on the EventBridge rule for
charge.posted, late_fee.applied, payment.settled, payment.failed and payment.refunded.

The recipient is the email on the resident's lease (`LeaseDirectory`: the Lease aggregate,
read from the ledger's tables). Without a lease or an email on it, the fallback is the
convention `RESIDENT_EMAIL_DOMAIN` → `{residentId}@domain` (tests, local runs, tenants
whose resident ids are mailbox names); with neither, the event is logged and not mailed.

EventBridge delivers at least once; with `BACKBONE_DEDUP_TABLE` set, Powertools
idempotency keyed on the envelope's `eventId` makes a redelivery send nothing.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sfr3_adapters.reactions import LeaseDirectory, Notifier, directory_from_env
from sfr3_adapters.ses import SesMailer
from sfr3_lambdas import wiring
from sfr3_lambdas.log_context import function_logger
from sfr3_ledger.integration_events import Envelope

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("notifications")
_lock = threading.Lock()
_send: Callable[..., Any] | None = None
_config: Any = None


def _build() -> Callable[..., Any]:
    global _config
    directory = LeaseDirectory(wiring.ledger(), directory_from_env())
    notifier = Notifier(SesMailer(os.environ.get("FROM_EMAIL", "")), directory)

    def send(envelope: Envelope) -> str | None:
        return notifier.handle(envelope)

    once, _config = wiring.once_per_event(send)
    return once


def sender() -> Callable[..., Any]:
    global _send
    with _lock:
        if _send is None:
            _send = _build()
        return _send


def reset() -> None:
    """Forget the sender and the ledger it reads leases from (tests change the environment)."""
    global _send, _config
    with _lock:
        _send = _config = None
    wiring.reset()


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
