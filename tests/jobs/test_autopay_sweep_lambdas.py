"""The autopay sweep through the deployed jobs: the worker pays through the stripeService
client, its handler over HTTP, and the local Stripe sandbox behind it; only the sweep
builds the payment service. (The worker's rate limit is tests/jobs/test_rate_limit.py.)"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from sfr3_adapters.rate_limit import RateLimitedProvider
from sfr3_lambdas import wiring
from sfr3_lambdas.jobs import scheduler, worker
from sfr3_ledger import PaymentStatus
from sfr3_ledger.autopay import payment_id_for
from sfr3_ledger.jobs import WorkItem
from sfr3_ledger.leases import LeaseTerms
from tests.backbone.support import FakeContext, StreamReader
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver
from tests.jobs.sqs_support import CHI, drain, item, project

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]


SERVICE_API_KEY = "svc-key-for-jobs-0123456789"


@pytest.fixture
def paying(deployed: dict[str, str], stripe_sandbox: SandboxHandle,
           stripe_service_url: str, webhook_receiver: WebhookReceiver,
           monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The deployed worker's Stripe path: the stripeService client (STRIPE_SERVICE_URL,
    API key), the stripeService handler behind HTTP, the sandbox behind it."""
    env = {
        "STRIPE_SERVICE_URL": stripe_service_url,
        "STRIPE_SERVICE_API_KEY": SERVICE_API_KEY,
        # stripeService's own configuration (env overrides instead of SSM).
        "STRIPE_SECRET_KEY": "sk_test_jobs",
        "STRIPE_WEBHOOK_SECRET": stripe_sandbox.register_webhook(webhook_receiver.url),
        "STRIPE_API_BASE": stripe_sandbox.url,
        "STRIPE_MAX_NETWORK_RETRIES": "0",
        "STRIPE_RATE_LIMIT_PER_SECOND": "20",
        "JOBS_PAYMENTS_CONCURRENCY": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    wiring.reset()
    return {**deployed, **env}


def test_the_autopay_sweep_pays_through_the_worker_once(paying: dict[str, str]) -> None:
    app = wiring.ledger()
    service = wiring.payment_service()  # the API's path, to enroll the cards
    for rid, cap in (("res-ap1", None), ("res-ap2", 40_000), ("res-ap3", None)):
        app.start_lease(rid, lease_id=f"L-{rid}", property_id="p-1", us_state="TX",
                        start_date=date(2027, 1, 1), actor="pm",
                        terms=LeaseTerms(monthly_rent=100_000, rent_due_day=1))
        method = service.enroll_payment_method(rid, method_type="card",
                                               provider_method_id="pm_card_visa", actor=rid)
        app.enroll_autopay(rid, enrollment_id=f"apay_{rid}", method_id=method.method_id,
                           charge_day=5, max_amount=cap, actor=rid)
        app.post_charge(rid, charge_id=f"L-{rid}:rent:2027-03", amount=100_000,
                        charge_type="RENT", description="Rent 2027-03",
                        due_date=date(2027, 3, 1), actor="system:jobs")
    app.pause_autopay("res-ap3", actor="res-ap3")
    reader = StreamReader(paying["DYNAMODB_TABLE"])
    assert project(reader) == []
    index = wiring.schedule_index()
    assert index.autopay_due(CHI, 5) == ["res-ap1", "res-ap2"]  # paused: not due
    assert index.time_zones() == [CHI]

    # 06:00 on the 5th: the sweep's items go to the payments queue, nothing to the other.
    out = scheduler.run({"job": "autopay-sweep", "timeZone": CHI, "date": "2027-03-05"})
    assert out["runs"][0]["queued"] == 2
    assert drain(paying["JOBS_QUEUE_URL"]) == []
    records = drain(paying["JOBS_PAYMENTS_QUEUE_URL"])
    assert len(records) == 2
    assert worker.handler({"Records": records}, FakeContext()) == {"batchItemFailures": []}

    period = date(2027, 3, 1)
    for rid, amount in (("res-ap1", 100_000), ("res-ap2", 40_000)):
        pid = payment_id_for(f"apay_{rid}", period)
        payments = app.ledger(rid).payments
        assert list(payments) == [pid]
        assert payments[pid].amount == amount and payments[pid].stripe_ref
        assert payments[pid].status != PaymentStatus.FAILED
        assert app.autopay(rid).outcomes["2027-03"][0] == "CHARGED"
    assert not app.ledger("res-ap3").payments
    # The worker paid through its share of the rate limit: 20/s split by 2 workers.
    limited = wiring.jobs_payment_service().provider
    assert isinstance(limited, RateLimitedProvider)
    assert limited.bucket.rate == 10 and limited.bucket.acquired == 2

    # Redelivered, and the day run again: no second payment.
    assert worker.handle({"Records": records}) == {"batchItemFailures": []}
    scheduler.run({"job": "autopay-sweep", "timeZone": CHI, "date": "2027-03-05"})
    assert worker.handle({"Records": drain(paying["JOBS_PAYMENTS_QUEUE_URL"])}) == {
        "batchItemFailures": []}
    assert [len(app.ledger(r).payments) for r in ("res-ap1", "res-ap2")] == [1, 1]
    assert limited.bucket.acquired == 2  # repeats never reach Stripe

    # The reminders (jobs queue) 3 days before April's charge; no Stripe needed.
    out = scheduler.run({"job": "autopay-reminders", "timeZone": CHI, "date": "2027-04-02"})
    assert out["runs"][0]["queued"] == 2
    assert drain(paying["JOBS_PAYMENTS_QUEUE_URL"]) == []
    reminders = drain(paying["JOBS_QUEUE_URL"])
    assert worker.handle({"Records": reminders}) == {"batchItemFailures": []}
    assert all("2027-04" in app.autopay(r).reminded for r in ("res-ap1", "res-ap2"))


def test_only_the_sweep_builds_the_payment_service(deployed: dict[str, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Rent, reminders and late fees run without any Stripe configuration."""

    def no_stripe() -> Any:
        raise AssertionError("a job other than the sweep asked for Stripe")

    monkeypatch.setattr(wiring, "jobs_payment_service", no_stripe)
    record = {"messageId": "m-1", "receiptHandle": "h", "attributes": {},
              "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
              "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:jobs",
              "awsRegion": "us-east-1"}
    bodies = [item(1).to_json(), item(2, "autopay-reminders").to_json(),
              WorkItem("late-fees", "res-x", CHI, date(2025, 3, 8), date(2025, 3, 8),
                       charge_id="L-x:rent:2025-03", assess_on=date(2025, 3, 8)).to_json()]
    event = {"Records": [{**record, "messageId": f"m-{n}", "body": json.dumps(b)}
                         for n, b in enumerate(bodies)]}
    assert worker.handle(event) == {"batchItemFailures": []}
    # A sweep item does ask (and fails alone here, Stripe being "unavailable").
    sweep = {**record, "messageId": "m-sweep",
             "body": json.dumps(item(3, "autopay-sweep").to_json())}
    assert worker.handle({"Records": [sweep, *event["Records"]]}) == {"batchItemFailures": [
        {"itemIdentifier": "m-sweep"}]}
