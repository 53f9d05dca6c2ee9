"""What the retry and recovery tests share: a ledger, the PaymentService on the local
Stripe server, the payment-watch read model fed from the notification log, and the
payment jobs run in-process at a chosen instant."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import stripe

from sfr3_adapters.payment_watch_sqlite import SQLitePaymentWatch
from sfr3_adapters.stripe_adapter import StripeAdapter
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import Envelope, ResidentResolver, envelopes_for
from sfr3_ledger.payment_jobs import PaymentJobName, PaymentJobWorker, PaymentWorkItem, run
from sfr3_ledger.payment_service import PaymentService
from sfr3_ledger.read_models.payments_pending import PaymentWatch, PaymentWatchProjection
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver


class InlineQueue:
    def __init__(self, worker: PaymentJobWorker, now: datetime) -> None:
        self.worker, self.now = worker, now
        self.outcomes: list[str] = []

    def send(self, items: Sequence[PaymentWorkItem]) -> None:
        for item in items:
            self.outcomes.append(self.worker(item, self.now))


class Harness:
    def __init__(self, env: dict[str, str], sandbox: SandboxHandle, receiver: WebhookReceiver,
                 watch: PaymentWatch) -> None:
        self.sandbox, self.receiver = sandbox, receiver
        secret = sandbox.register_webhook(receiver.url)
        self.key = "sk_test_retries"
        adapter = StripeAdapter(self.key, secret, api_base=sandbox.url, timeout=10,
                                max_network_retries=0)
        self.app = LedgerApplication(env=env)
        self.service = PaymentService(self.app, adapter)
        self.watch = watch
        self.projection = PaymentWatchProjection(watch)
        self.position = 0
        self.stripe = stripe.StripeClient(self.key, base_addresses={"api": sandbox.url})

    def feed(self) -> None:
        while notes := self.app.recorder.select_notifications(
                start=self.position, limit=500, inclusive_of_start=False):
            self.projection.process([self.app.mapper.to_domain_event(n) for n in notes])
            self.position = notes[-1].id

    def resident(self, rid: str, token: str, kind: str = "card") -> str:
        return self.service.enroll_payment_method(
            rid, method_type=kind, provider_method_id=token, actor=rid).method_id

    def charge(self, rid: str, amount: int) -> None:
        self.app.post_charge(rid, amount=amount, charge_type="RENT", description="Rent",
                             actor="pm")

    def behave(self, rid: str, method_id: str, token: str) -> None:
        provider_id = self.app.payment_methods(rid).methods[method_id].provider_id
        self.sandbox.control(f"payment_methods/{provider_id}/behave_as",
                             {"token": token})

    def funds_arrive(self, rid: str, method_id: str) -> None:
        self.behave(rid, method_id, "pm_card_visa")

    def run(self, job: PaymentJobName, now: datetime) -> list[str]:
        self.feed()
        queue = InlineQueue(PaymentJobWorker(self.service, self.watch), now)
        run(self.watch, queue, job, now)
        self.feed()
        return queue.outcomes

    def deliver(self, *, drop: bool = False) -> list[str]:
        """Apply every webhook received so far (or drop them all: `drop`)."""
        self.sandbox.drain()
        with self.receiver.lock:
            received, self.receiver.received[:] = list(self.receiver.received), []
        if drop:
            return []
        outcomes = []
        for r in received:
            header = {k.lower(): v for k, v in r.headers.items()}["stripe-signature"]
            outcomes.append(self.service.handle_provider_event(
                self.service.verify_webhook(r.body, header)))
        self.feed()
        return outcomes

    def intents_for(self, payment_id: str) -> list[dict[str, Any]]:
        """Every PaymentIntent Stripe holds for the ledger payment (any attempt)."""
        intents = self.stripe.v1.payment_intents.list(params={"limit": 100})
        found = [i.to_dict() for i in intents.data]
        return [i for i in found
                if (i["metadata"].get("retry_of") or i["metadata"].get("payment_id"))
                == payment_id]

    def envelopes(self, rid: str) -> list[Envelope]:
        events = list(self.app.events.get(self.app.ledger(rid).id))
        return envelopes_for(events, ResidentResolver.for_application(self.app))


@pytest.fixture
def retry_harness(stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver,
            tmp_path: Path) -> Iterator[Harness]:
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
           "SQLITE_DBNAME": str(tmp_path / f"ledger-{uuid.uuid4().hex}.db")}
    watch = SQLitePaymentWatch(tmp_path / "watch.db")
    yield Harness(env, stripe_sandbox, webhook_receiver, watch)
    watch.close()
