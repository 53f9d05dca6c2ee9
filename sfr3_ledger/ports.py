"""Where integration events go, as Protocols: the backbone's code names these, never boto3.

AWS adapters (EventBridge, Firehose, SES, S3) and the local file sinks both implement
them, so the Lambda handlers and the local backbone run the same reactions.

Sinks that take a batch return the envelopes they could *not* deliver after their own
retries; the caller decides what a failure means (a stream record reported as failed, a
tracking position not advanced). Nothing is swallowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sfr3_ledger.integration_events import Envelope


class EventPublisher(Protocol):
    """The event bus: rules subscribed to it drive the reactions."""

    def publish(self, envelopes: Sequence[Envelope]) -> list[Envelope]: ...


class LakeWriter(Protocol):
    """The analytics lake: one JSON line per envelope, partitioned by day."""

    def write(self, envelopes: Sequence[Envelope]) -> list[Envelope]: ...


class Mailer(Protocol):
    def send(self, *, to: str, subject: str, text: str, html: str) -> str:
        """Send one message; returns the message id."""
        ...


class ReceiptStore(Protocol):
    def put(self, resident_id: str, payment_id: str, pdf: bytes) -> str:
        """Store (or replace with identical content) a receipt; returns its key."""
        ...

    def url_for(self, resident_id: str, payment_id: str) -> str | None:
        """A link to the receipt, or None while none has been written."""
        ...


class ResidentDirectory(Protocol):
    def email_for(self, resident_id: str) -> str | None: ...


class PublishedLog(Protocol):
    """Which (sink, eventId) pairs were already delivered: makes redelivery publish nothing."""

    def delivered(self, sink: str, event_ids: Sequence[str]) -> set[str]: ...

    def mark_delivered(self, sink: str, event_ids: Sequence[str]) -> None: ...
