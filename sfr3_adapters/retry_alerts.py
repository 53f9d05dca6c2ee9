"""What a permanently failed payment sets off: the retry DLQ, the property manager's alert.

A `payment.permanently_failed` integration event (a retryable payment failed on its last
attempt, sfr3_ledger/attempts.py) is, in the architecture's words, "DLQ and alert the
property manager". This reaction does the three things, each safe to repeat for a
redelivered event (keyed by the event id):

- the envelope goes to the **retry DLQ** (SQS; `RETRY_DLQ_URL`), whose depth > 0 alarms
  (resources/retries.yml): a payment no retry will fix waits there for a person, who
  deletes the message once the resident is reached (docs/operations.md);
- it is published to the **property-manager alerts topic** (SNS; `RETRY_ALERTS_TOPIC_ARN`,
  with the managers' email subscriptions);
- the property manager is **emailed** (SES; `PROPERTY_MANAGER_EMAIL`).

The resident was already told by the `payment.failed` mail of the last attempt (which
says that no further attempt will be made). Locally the same reaction runs with a file
queue and the local mailer (sfr3_dev), deployed behind an EventBridge rule
(sfr3_lambdas/jobs/retries.py).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Protocol

from sfr3_adapters.aws_clients import client as aws_client
from sfr3_adapters.receipts import money
from sfr3_ledger.integration_events import Envelope
from sfr3_ledger.ports import Mailer

log = logging.getLogger(__name__)
PERMANENTLY_FAILED = "payment.permanently_failed"


class Sink(Protocol):
    def put(self, envelope: Envelope) -> None: ...


class SQSDeadLetters:
    """The retry DLQ on SQS (a standard queue; a repeat is one more copy, keyed alike)."""

    def __init__(self, queue_url: str, *, client: Any = None) -> None:
        self.queue_url = queue_url
        self._client = client

    def put(self, envelope: Envelope) -> None:
        client = self._client or aws_client("sqs")
        client.send_message(
            QueueUrl=self.queue_url, MessageBody=json.dumps(envelope, sort_keys=True),
            MessageAttributes={"eventId": {"DataType": "String",
                                           "StringValue": str(envelope["eventId"])}})


class SNSAlerts:
    def __init__(self, topic_arn: str, *, client: Any = None) -> None:
        self.topic_arn = topic_arn
        self._client = client

    def put(self, envelope: Envelope) -> None:
        subject, text = compose_alert(envelope)
        client = self._client or aws_client("sns")
        client.publish(TopicArn=self.topic_arn, Subject=subject[:100], Message=text)


def compose_alert(envelope: Envelope) -> tuple[str, str]:
    data = envelope["data"]
    amount = money(int(data.get("amount") or 0), str(data.get("currency") or "USD"))
    subject = f"Payment permanently failed: {amount} ({data.get('residentId')})"
    text = (
        f"Payment {data.get('paymentId')} of {amount} by resident {data.get('residentId')} "
        f"(property {data.get('propertyId') or '-'}) failed on all {data.get('attempts')} "
        f"attempts; last reason: {data.get('failureReason')}. No further attempt will be "
        "made. Please contact the resident. The message is in the retry DLQ: delete it "
        f"once handled. Event {envelope['eventId']}."
    )
    return subject, text


class RetryAlerts:
    """The reaction: DLQ, topic, mail (any of them may be left out locally)."""

    def __init__(self, *, dead_letters: Sink | None, topic: Sink | None,
                 mailer: Mailer | None, manager_email: str | None) -> None:
        self.dead_letters = dead_letters
        self.topic = topic
        self.mailer = mailer
        self.manager_email = manager_email

    def handle(self, envelope: Envelope) -> bool:
        """React to `envelope` if it is a permanent failure; whether it was one."""
        if envelope.get("eventType") != PERMANENTLY_FAILED:
            return False
        if self.dead_letters is not None:
            self.dead_letters.put(envelope)
        if self.topic is not None:
            self.topic.put(envelope)
        if self.mailer is not None and self.manager_email:
            subject, text = compose_alert(envelope)
            self.mailer.send(to=self.manager_email, subject=subject, text=text,
                             html=f"<p>{text}</p>")
        log.warning("payment permanently failed", extra={"eventId": envelope["eventId"]})
        return True


def failed_attempt_mail(data: dict[str, Any], amount: str) -> tuple[str, str]:
    """The resident's mail after a failed attempt: what failed, and whether and when the
    payment is tried again (the `payment.failed` envelope carries the policy's decision)."""
    reason = data.get("failureReason") or "unknown"
    attempt = data.get("attempt")
    which = f" (attempt {attempt})" if attempt and attempt > 1 else ""
    head = (f"Your payment of {amount} (payment id {data.get('paymentId')}){which} failed: "
            f"{reason}. No money was taken.")
    retry_at = data.get("retryAt")
    if retry_at:
        when = str(retry_at).replace("T", " ")[:16] + " UTC"
        return (f"Payment failed: {amount}, we will try again",
                f"{head} We will try again automatically on {when}, for what you still "
                "owe then; you do not need to do anything, and a payment you make before "
                "then is counted.")
    if data.get("retryable") and attempt:
        return (f"Payment failed: {amount}, no more attempts",
                f"{head} That was the last automatic attempt: please pay with another "
                "payment method or contact your property manager.")
    return (f"Payment failed: {amount}",
            f"{head} This payment will not be retried automatically; please try again or "
            "use another payment method.")
