"""Telling finance about disputes: the alert when one opens, the reminder before it is due.

- **Opened**: when the disputes read model first sees a `DisputeOpened`, finance gets an
  email (address from configuration, `FINANCE_EMAIL`). The read model's first insert is the
  guard, so a redelivered or replayed event alerts no one twice (a rebuild runs without
  alerts). The `ChargebackReceived` metric is counted from the `dispute.opened` envelope
  by the stream processor's payment-metrics sink, like every payment metric.
- **Reminder** (`DisputeReminders.run`, daily): every OPEN dispute (from the read model)
  whose evidence Stripe expects within `REMIND_WITHIN` and that has no evidence yet
  (Stripe's own `evidence_details`, read through the provider) gets one reminder a day,
  remembered in an `AlertLog` under `<disputeId>:<UTC day>`.

The texts are composed here (pure); mail goes through the `Mailer` port.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

import attrs

from sfr3_ledger.payment_provider import DisputeDetails, PaymentProviderError
from sfr3_ledger.ports import Mailer
from sfr3_ledger.read_models.disputes import DisputeQuery, DisputeRow, DisputesIndex

REMIND_WITHIN = timedelta(days=3)
NEEDS_RESPONSE = ("needs_response", "warning_needs_response")


class AlertLog(Protocol):
    def seen(self, key: str) -> bool: ...

    def mark(self, key: str) -> None: ...


def _dollars(cents: int) -> str:
    return f"${cents / 100:,.2f}"


def opened_notice(row: DisputeRow) -> tuple[str, str]:
    subject = f"Chargeback received: {_dollars(row.amount)} ({row.reason}) {row.dispute_id}"
    text = (f"A dispute was opened on payment {row.payment_id} of resident "
            f"{row.resident_id}.\n\nAmount: {_dollars(row.amount)}\nReason: {row.reason}\n"
            f"Dispute: {row.dispute_id}\nOpened: {row.opened_at.isoformat()}\n\n"
            "Stripe has withdrawn the amount. Upload evidence and submit it through "
            f"the payments API: POST /disputes/{row.dispute_id}/evidence, then "
            f"POST /disputes/{row.dispute_id}/submit.\n")
    return subject, text


def reminder_notice(row: DisputeRow, details: DisputeDetails, now: datetime) -> tuple[str, str]:
    assert details.evidence_due_by is not None
    left = details.evidence_due_by - now
    hours = max(int(left.total_seconds() // 3600), 0)
    subject = f"Dispute evidence due in {hours} h: {row.dispute_id} ({_dollars(row.amount)})"
    text = (f"No evidence has been submitted for dispute {row.dispute_id} (payment "
            f"{row.payment_id}, resident {row.resident_id}, {_dollars(row.amount)}, "
            f"{row.reason}).\nStripe needs it by {details.evidence_due_by.isoformat()}; "
            "after that the dispute is lost by default.\n")
    return subject, text


def html_of(text: str) -> str:
    from html import escape

    return "<pre>" + escape(text) + "</pre>"


@attrs.frozen
class OpenedAlert:
    """The reaction to a newly projected dispute: mail finance."""

    mailer: Mailer
    finance_email: str | None
    count_metric: Callable[[DisputeRow], None] = lambda row: None

    def __call__(self, row: DisputeRow) -> None:
        self.count_metric(row)
        if self.finance_email:
            subject, text = opened_notice(row)
            self.mailer.send(to=self.finance_email, subject=subject, text=text,
                             html=html_of(text))


class DisputeDetailsSource(Protocol):
    def retrieve_dispute(self, dispute_id: str) -> DisputeDetails: ...


class DisputeReminders:
    def __init__(self, index: DisputesIndex, provider: DisputeDetailsSource, mailer: Mailer,
                 log: AlertLog, finance_email: str, *,
                 within: timedelta = REMIND_WITHIN) -> None:
        self.index, self.provider, self.mailer = index, provider, mailer
        self.log, self.finance_email, self.within = log, finance_email, within

    def open_disputes(self) -> list[DisputeRow]:
        rows: list[DisputeRow] = []
        after = None
        while True:
            page = self.index.query(DisputeQuery(status="OPEN", limit=100, after=after))
            rows += page
            if len(page) < 100:
                return rows
            after = (page[-1].opened_at, page[-1].dispute_id)

    def run(self, now: datetime) -> list[str]:
        """Remind finance of each dispute due soon without evidence; once a day each."""
        sent = []
        for row in self.open_disputes():
            key = f"{row.dispute_id}:{now.date().isoformat()}"
            if self.log.seen(key):
                continue
            try:
                details = self.provider.retrieve_dispute(row.dispute_id)
            except PaymentProviderError:
                continue  # tomorrow's run (or the next hour's) asks again
            due = details.evidence_due_by
            if details.has_evidence or details.status not in NEEDS_RESPONSE or due is None:
                continue
            if due - now > self.within:
                continue
            subject, text = reminder_notice(row, details, now)
            self.mailer.send(to=self.finance_email, subject=subject, text=text,
                             html=html_of(text))
            self.log.mark(key)
            sent.append(row.dispute_id)
        return sent
