"""Reactions to integration events: resident emails and PDF receipts.

The same code runs behind EventBridge rules (sfr3_lambdas.notifications / .receipts) and in
the local backbone, with different sinks behind the ports. Both reactions are safe to
repeat for a redelivered event: an email is keyed by the event id where the sink can
dedupe (the local mailer; the notifications Lambda adds Powertools idempotency), and a
receipt is stored under the payment id with deterministic bytes.
"""

from __future__ import annotations

import html
import logging
import os
import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from sfr3_adapters.receipts import ReceiptData, money, render_receipt
from sfr3_adapters.retry_alerts import failed_attempt_mail
from sfr3_ledger.application import LedgerApplication
from sfr3_ledger.autopay import MANDATE_REVOKED
from sfr3_ledger.integration_events import Envelope
from sfr3_ledger.ports import Mailer, ReceiptStore, ResidentDirectory

logger = logging.getLogger(__name__)

# Autopay's own charges are mailed as payments (settled / failed); a skipped period (nothing
# owed) is not worth a mail.
EMAIL_TYPES = frozenset({"charge.posted", "late_fee.applied", "payment.settled",
                         "payment.failed", "payment.refunded", "autopay.enrolled",
                         "autopay.paused", "autopay.cancelled", "autopay.reminder_sent"})
METHOD_REMOVED = "payment method removed"
RECEIPT_TYPES = frozenset({"payment.settled"})

_LOCAL_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$")


@attrs.frozen
class DomainDirectory:
    """`{residentId}@{domain}`: the convention of tests and local runs (and of tenants
    whose resident ids are their mailbox names). A resident id that is not a valid
    mailbox name has no address, rather than a guessed one."""

    domain: str

    def email_for(self, resident_id: str) -> str | None:
        if not self.domain or not _LOCAL_PART.match(resident_id):
            return None
        return f"{resident_id}@{self.domain}"


@attrs.frozen
class LeaseDirectory:
    """The email on the resident's lease; the fallback directory only when none is on file."""

    app: LedgerApplication
    fallback: ResidentDirectory | None = None

    def email_for(self, resident_id: str) -> str | None:
        lease = self.app.find_lease(resident_id)
        if lease is not None and lease.email:
            return lease.email
        return self.fallback.email_for(resident_id) if self.fallback else None


def directory_from_env(env: Mapping[str, str] | None = None) -> ResidentDirectory | None:
    env = os.environ if env is None else env
    domain = env.get("RESIDENT_EMAIL_DOMAIN", "")
    return DomainDirectory(domain) if domain else None


def _amount(data: Mapping[str, Any]) -> str:
    amount = data.get("amount")
    return money(int(amount), str(data.get("currency") or "USD")) if amount is not None else "-"


def compose(envelope: Envelope) -> tuple[str, str] | None:
    """(subject, text) for the resident, or None for an event nobody is mailed about."""
    kind = envelope["eventType"]
    data = envelope["data"]
    amount = _amount(data)
    if kind == "charge.posted":
        what = data.get("description") or data.get("chargeType") or "charge"
        due = f", due {data['dueDate']}" if data.get("dueDate") else ""
        return (
            f"New charge: {what} {amount}",
            f"A charge of {amount} ({what}{due}) was posted to your account.",
        )
    if kind == "late_fee.applied":
        what = data.get("description") or "Late fee"
        return (
            f"Late fee: {amount}",
            f"A late fee of {amount} ({what}) was added to your account because the rent "
            "was still unpaid after its grace period.",
        )
    if kind == "payment.settled":
        return (
            f"Payment received: {amount}",
            f"We received your payment of {amount}. Payment id: {data.get('paymentId')}. "
            "Your receipt is available in your payment history.",
        )
    if kind == "payment.failed":  # whether and when it is retried (issue 13)
        return failed_attempt_mail(data, amount)
    if kind == "payment.refunded":
        return (
            f"Refund issued: {amount}",
            f"A refund of {amount} for payment {data.get('paymentId')} was issued to your "
            "original payment method.",
        )
    if kind.startswith("autopay."):
        return _autopay(kind, data, amount)
    return None


def _cap(data: Mapping[str, Any]) -> str | None:
    cap = data.get("maxAmount")
    return money(int(cap), str(data.get("currency") or "USD")) if cap is not None else None


def _autopay(kind: str, data: Mapping[str, Any], amount: str) -> tuple[str, str] | None:
    if kind == "autopay.enrolled":
        cap = _cap(data)
        limit = f", up to {cap} each time" if cap else ""
        return (
            "Autopay is on",
            f"You enrolled in autopay: on day {data.get('chargeDay')} of each month we will "
            f"pay the balance you owe then{limit}. We will email you at least 3 days before "
            "each charge with its amount.",
        )
    if kind == "autopay.paused":
        if data.get("reason") == MANDATE_REVOKED:
            return (
                "Autopay paused: your bank authorization was revoked",
                "Your autopay is paused because your bank told us the authorization to debit "
                "your account for autopay was revoked (or a debit was returned as "
                "unauthorized). No automatic payments will be made. To turn autopay back "
                "on, enroll in autopay again (cancel it, then enroll), or switch it to "
                "another payment method: either records a new authorization. You can "
                "still pay by hand at any time.",
            )
        if data.get("reason") == METHOD_REMOVED:
            return (
                "Autopay paused: payment method removed",
                "Your autopay is paused because the payment method it used was removed. "
                "No automatic payments will be made: choose another payment method for "
                "autopay and resume it.",
            )
        return (
            "Autopay paused",
            "Your autopay is paused. No automatic payments will be made until you resume it.",
        )
    if kind == "autopay.cancelled":
        return (
            "Autopay cancelled",
            "Your autopay is cancelled: no more automatic payments will be made. A payment "
            "already under way is not affected. You can enroll again at any time.",
        )
    if kind == "autopay.reminder_sent":
        when = data.get("chargeDate") or "the charge day"
        method = f"{data.get('methodLabel') or 'your payment method'} ending {data.get('last4')}"
        if not data.get("amount"):
            return (
                f"Autopay on {when}: nothing due now",
                f"Nothing is owed on your account right now. On {when} autopay will charge "
                f"{method} with the balance you owe then, if any (up to your autopay limit if "
                "you set one).",
            )
        return (
            f"Autopay on {when}: {amount}",
            f"On {when} we will charge {amount} to {method} (your balance then, up to your "
            "autopay limit if you set one). If your balance changes before then, we charge "
            "what you owe on that day. To change this payment, change or pause autopay "
            "before then.",
        )
    return None


def header_safe(value: str, *, limit: int = 150) -> str:
    """A mail header value from free text: control and line-break characters become spaces.

    Descriptions and failure reasons are validated at the API and in the ledger, but a
    header is where an injected CR/LF does harm (or makes the mail fail to compose), so
    the one place that builds subjects never trusts that.
    """
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") else ch
        for ch in value
    )
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


class Notifier:
    def __init__(self, mailer: Mailer, directory: ResidentDirectory | None) -> None:
        self.mailer = mailer
        self.directory = directory

    def handle(self, envelope: Envelope) -> str | None:
        """Send the resident's email for `envelope`; the message id, or None if none is due."""
        message = compose(envelope) if envelope.get("eventType") in EMAIL_TYPES else None
        if message is None:
            return None
        resident_id = str(envelope["data"]["residentId"])
        to = self.directory.email_for(resident_id) if self.directory else None
        if to is None:
            logger.warning(
                "no email address for resident; not notified",
                extra={"eventId": envelope["eventId"]},
            )
            return None
        subject, text = message
        subject = header_safe(subject)
        ref = html.escape(str(envelope["eventId"]))
        body = f"<p>{html.escape(text)}</p><p style='color:#666'>Ref {ref}</p>"
        return self.mailer.send(to=to, subject=subject, text=text, html=body)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


class ReceiptWriter:
    def __init__(self, app: LedgerApplication, store: ReceiptStore) -> None:
        self.app = app
        self.store = store

    def receipt_data(self, envelope: Envelope) -> ReceiptData:
        data = envelope["data"]
        resident_id = str(data["residentId"])
        payment = self.app.payment(resident_id, str(data["paymentId"]))
        method = self.app.payment_methods(resident_id).methods.get(payment.method_id)
        if method is None:
            label = "Payment method on file"
        else:
            kind = method.brand.title() if method.brand else method.method_type.value.title()
            label = f"{kind} ending {method.last4}"
        return ReceiptData(
            resident_id=resident_id,
            payment_id=payment.payment_id,
            amount=int(data.get("amount") or payment.amount),
            currency=str(data.get("currency") or "USD"),
            settled_at=_parse(str(envelope["timestamp"])),
            initiated_at=payment.initiated_at,
            method=label,
            reference=data.get("stripeRef") or payment.stripe_ref,
            property_id=data.get("propertyId"),
            state=data.get("state"),
        )

    def handle(self, envelope: Envelope) -> str | None:
        """Write the receipt of a settled payment; its key, or None for other events."""
        if envelope.get("eventType") not in RECEIPT_TYPES:
            return None
        data = envelope["data"]
        pdf = render_receipt(self.receipt_data(envelope))
        return self.store.put(str(data["residentId"]), str(data["paymentId"]), pdf)
