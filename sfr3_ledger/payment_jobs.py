"""The payment jobs: `payment-retries` and `payment-recovery`, planned from the watch.

Both run every few minutes (deployed: an EventBridge Scheduler rate schedule, every 15
minutes by default; locally: `make run`'s scheduler, or `sfr3 jobs run payment-retries
--at ...`). A run reads only the payment-watch read model (never every resident): the
retries due by now, or the payments PENDING since before now - recover_after, and
queues one `PaymentWorkItem` per payment (SQS deployed, in-process locally). A worker
does the item against that resident's ledger, idempotently:

- a retry starts only if the ledger still has it scheduled and due (`start_retry`), so a
  redelivered or re-planned item makes no second attempt;
- a recovery acts only on a payment still PENDING: with the same idempotency key, or,
  where a re-send could charge without consent (withdrawn since) or twice (a reservation
  older than Stripe's 24 h key window), by listing what Stripe made first
  (sfr3_ledger/recovery.py).

Why a frequent scan of a read model rather than SQS delays (docs/jobs.md): SQS delays
are at most 15 minutes, retries are hours apart. EventBridge Scheduler one-time schedules
would work too, but one schedule per failed payment is a second copy of the retry state
to keep in step with the ledger (create, delete on a manual payment or cancellation,
quotas); the watch is a projection of the ledger itself, rebuildable from events, and a
retry is at most one run (15 minutes) late.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

import attrs

from sfr3_ledger.payment_errors import ProviderUnavailableError
from sfr3_ledger.read_models.payments_pending import (
    PENDING,
    RETRY,
    Kind,
    PaymentWatch,
    WatchRow,
)
from sfr3_ledger.values import PaymentStatus

if TYPE_CHECKING:
    from sfr3_ledger.payment_service import PaymentService

log = logging.getLogger(__name__)

PaymentJobName = Literal["payment-retries", "payment-recovery"]
PAYMENT_JOBS: tuple[PaymentJobName, ...] = ("payment-retries", "payment-recovery")
# A payment still processing at Stripe is looked at again after this long (doubling with
# its age, up to MAX_RECHECK), not on every run.
MAX_RECHECK = timedelta(hours=6)


@attrs.frozen
class PaymentWorkItem:
    """One payment's share of a run. `at` is the instant the run was for: the worker
    judges "due" by it (a run for a later instant, e.g. `--at`, is an operator's call)."""

    job: PaymentJobName
    resident_id: str
    payment_id: str
    attempt: int
    at: datetime | None = None

    def to_json(self) -> dict[str, str | int | None]:
        return {"job": self.job, "residentId": self.resident_id, "paymentId": self.payment_id,
                "attempt": self.attempt, "at": self.at.isoformat() if self.at else None}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> PaymentWorkItem:
        job = str(data["job"])
        if job not in PAYMENT_JOBS:
            raise ValueError(f"unknown payment job {job!r}")
        at = datetime.fromisoformat(str(data["at"])) if data.get("at") else None
        if at is not None and at.tzinfo is None:
            raise ValueError("at must carry a UTC offset")
        return cls(job=job, resident_id=str(data["residentId"]),
                   payment_id=str(data["paymentId"]), attempt=int(str(data["attempt"])),
                   at=at)


class PaymentQueue(Protocol):
    def send(self, items: Sequence[PaymentWorkItem]) -> None:
        """Queue every item (or raise: the next run plans the same items again)."""


def plan(watch: PaymentWatch, job: PaymentJobName, now: datetime,
         limit: int = 1000) -> list[PaymentWorkItem]:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    kind = RETRY if job == "payment-retries" else PENDING
    return [PaymentWorkItem(job, r.resident_id, r.payment_id, r.attempt, now)
            for r in watch.due(kind, now, limit)]


def run(watch: PaymentWatch, queue: PaymentQueue, job: PaymentJobName,
        now: datetime) -> int:
    """Plan and queue; how many items. Nothing is recorded: the watch is the state."""
    items = plan(watch, job, now)
    for start in range(0, len(items), 10):
        queue.send(items[start:start + 10])
    log.info("payment job %s at %s: %d items", job, now.isoformat(), len(items))
    return len(items)


class PaymentJobWorker:
    """Does one PaymentWorkItem; safe to repeat (every step re-reads the ledger)."""

    def __init__(self, payments: PaymentService, watch: PaymentWatch) -> None:
        self.payments = payments
        self.watch = watch

    def __call__(self, item: PaymentWorkItem, now: datetime) -> str:
        now = max(now, item.at) if item.at is not None else now
        if item.job == "payment-retries":
            outcome: str = self.payments.retry_payment(item.resident_id, item.payment_id,
                                                       now=now)
            if outcome == "not due":
                self._tidy(item, RETRY, now)
            return outcome
        try:
            outcome = self.payments.recover_payment(item.resident_id, item.payment_id,
                                                    now=now)
        except ProviderUnavailableError:
            # Stripe unreachable: look again later (not a failed item: an outage would
            # otherwise fill the DLQ with payments that are merely waiting).
            self._defer(item, now)
            return "provider unavailable"
        if outcome in ("processing", "submitted", "mismatch"):
            self._defer(item, now)
        elif outcome == "already resolved":
            self.watch.remove(PENDING, item.resident_id, item.payment_id)
        return outcome

    def _tidy(self, item: PaymentWorkItem, kind: Kind, now: datetime) -> None:
        """A row whose payment has moved on (a replayed event re-added it): drop it; one
        whose retry is scheduled later (the policy changed): move it."""
        payment = self.payments.ledger.payment(item.resident_id, item.payment_id)
        if payment.status == PaymentStatus.FAILED and payment.retry_at is not None:
            if payment.retry_at > now:
                self.watch.put(WatchRow(kind, item.resident_id, item.payment_id,
                                        payment.retry_at, payment.failed_at or now,
                                        payment.attempt + 1))
            return
        self.watch.remove(kind, item.resident_id, item.payment_id)

    def _defer(self, item: PaymentWorkItem, now: datetime) -> None:
        payment = self.payments.ledger.payment(item.resident_id, item.payment_id)
        age = now - payment.initiated_at
        wait = min(max(age, timedelta(minutes=15)), MAX_RECHECK)
        self.watch.put(WatchRow(PENDING, item.resident_id, item.payment_id, now + wait,
                                payment.initiated_at, payment.attempt))
