"""The deployed jobs, end to end on real protocols: the ledger and the schedule table on
DynamoDB Local (the events table's stream feeding the projection Lambda), the work queues
on moto's SQS; the scheduler, worker and projection handlers as Lambda would call them;
the autopay sweep paying through the stripeService client, its handler over HTTP, and the
local Stripe sandbox behind it. (The worker's rate limit is tests/jobs/test_rate_limit.py.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest

from sfr3_adapters import aws_clients
from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex
from sfr3_adapters.rate_limit import RateLimitedProvider
from sfr3_adapters.sqs import QueueSendFailed, SQSWorkQueue
from sfr3_lambdas import wiring
from sfr3_lambdas.jobs import projection, scheduler, worker
from sfr3_ledger import PaymentStatus
from sfr3_ledger.autopay import payment_id_for
from sfr3_ledger.jobs import WorkItem
from sfr3_ledger.leases import LeaseTerms
from tests.backbone.support import FakeContext, StreamReader, log_records, poisoned
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]
CHI = "America/Chicago"


def item(n: int, job: str = "recurring-charges") -> WorkItem:
    return WorkItem(job, f"res-{n:03d}", CHI, date(2025, 3, 1), date(2025, 3, 3))  # type: ignore[arg-type]


def drain(url: str) -> list[dict[str, Any]]:
    """Every message on the queue, as the records of Lambda's SQS event (then deleted)."""
    sqs = aws_clients.client("sqs")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    records: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = got.get("Messages", [])
        if not messages:
            return records
        for m in messages:
            records.append({
                "messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"], "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": "us-east-1",
            })
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def queue_url(moto: str) -> str:
    aws_clients.reset()
    return str(aws_clients.client("sqs").create_queue(
        QueueName=f"jobs-{uuid.uuid4().hex[:8]}")["QueueUrl"])


@pytest.fixture
def payments_queue_url(queue_url: str) -> str:
    return str(aws_clients.client("sqs").create_queue(
        QueueName=f"jobs-payments-{uuid.uuid4().hex[:8]}")["QueueUrl"])


# ---- SQSWorkQueue ---------------------------------------------------------------------


def test_work_items_round_trip_through_sqs_in_batches_of_ten(queue_url: str) -> None:
    calls: list[int] = []
    sqs = boto3.session.Session().client("sqs", region_name="us-east-1")
    sqs.meta.events.register(
        "provide-client-params.sqs.SendMessageBatch",
        lambda params, **_: calls.append(len(params["Entries"])))
    items = [item(n) for n in range(25)] + [
        WorkItem("late-fees", "res-x", CHI, date(2025, 3, 8), date(2025, 3, 8),
                 charge_id="L-1:rent:2025-03", assess_on=date(2025, 3, 8))]
    SQSWorkQueue(queue_url, sqs).send(items)
    assert sorted(calls) == [6, 10, 10]
    received = [WorkItem.from_json(json.loads(r["body"])) for r in drain(queue_url)]
    assert sorted(received, key=lambda i: i.resident_id) == sorted(
        items, key=lambda i: i.resident_id)


class FlakyClient:
    """SendMessageBatch that rejects chosen entries a number of times."""

    def __init__(self, reject: dict[str, int]) -> None:
        self.reject = reject  # residentId -> how many more times to reject it
        self.sent: list[list[str]] = []

    def send_message_batch(
        self, QueueUrl: str, Entries: list[dict[str, str]]  # boto3 keyword names
    ) -> dict[str, Any]:
        residents = [json.loads(e["MessageBody"])["residentId"] for e in Entries]
        self.sent.append(residents)
        failed = []
        for entry, resident in zip(Entries, residents, strict=True):
            if self.reject.get(resident, 0) > 0:
                self.reject[resident] -= 1
                failed.append({"Id": entry["Id"], "Code": "InternalError", "SenderFault": False})
        return {"Successful": [], "Failed": failed}


def test_only_rejected_entries_are_sent_again() -> None:
    client = FlakyClient({"res-003": 2, "res-007": 1})
    SQSWorkQueue("url", client, sleep=lambda _: None, parallel=1).send(
        [item(n) for n in range(10)])
    assert client.sent[0] == [f"res-{n:03d}" for n in range(10)]
    assert client.sent[1:] == [["res-003", "res-007"], ["res-003"]]


def test_entries_rejected_to_the_end_raise() -> None:
    client = FlakyClient({"res-004": 99})
    with pytest.raises(QueueSendFailed, match="1 of 12"):
        SQSWorkQueue("url", client, sleep=lambda _: None, max_attempts=3).send(
            [item(n) for n in range(12)])
    assert sum(r.count("res-004") for r in client.sent) == 3


# ---- the Lambdas, deployed shape ------------------------------------------------------


@pytest.fixture
def deployed(queue_url: str, payments_queue_url: str, dynamodb_local: str,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:10]
    env = {
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": f"jobs-ledger-{suffix}",
        "CREATE_TABLE": "y",
        "SCHEDULE_TABLE": f"jobs-schedule-{suffix}",
        "JOBS_QUEUE_URL": queue_url,
        "JOBS_PAYMENTS_QUEUE_URL": payments_queue_url,
        "SCHEDULED_TIME_ZONES": "America/New_York,America/Chicago",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    DynamoDBScheduleIndex(env["SCHEDULE_TABLE"]).create_table()
    wiring.reset()
    projection.reset()
    yield env
    projection.reset()
    wiring.reset()


def project(reader: StreamReader) -> list[str]:
    records = log_records(reader.read())
    # The schedule read model's step of the stream's second reader (read_models.handler, its
    # Lambda entry point, is run with a context in tests/jobs/test_finance_lambdas.py).
    response = projection.handle({"Records": records}, FakeContext())
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


def test_schedule_queue_work_and_project_a_month(deployed: dict[str, str]) -> None:
    app = wiring.ledger()
    for n, due in ((1, 3), (2, 3), (3, 10)):
        app.start_lease(f"res-{n}", lease_id=f"L-{n}", property_id="p-1", us_state="TX",
                        start_date=date(2025, 1, 1), actor="pm", email=f"r{n}@example.com",
                        terms=LeaseTerms(monthly_rent=100_000 * n, rent_due_day=due,
                                         grace_days=4))
    reader = StreamReader(deployed["DYNAMODB_TABLE"])
    assert project(reader) == []
    index = wiring.schedule_index()
    assert index.residents_due(CHI, 3) == ["res-1", "res-2"]

    # The scheduler plans from the read model and queues one item per due resident.
    out = scheduler.handler({"job": "recurring-charges", "timeZone": CHI, "date": "2025-03-03"},
                            FakeContext())
    assert out["runs"] == [{"job": "recurring-charges", "timeZone": CHI, "date": "2025-03-03",
                            "from": "2025-03-03", "queued": 2}]
    assert out["unscheduledTimeZones"] == []
    records = drain(deployed["JOBS_QUEUE_URL"])
    assert len(records) == 2

    # The worker: a poison record fails alone, the rest are done.
    poison = {**records[0], "messageId": "poison-1", "body": "{not json"}
    unknown = {**records[0], "messageId": "poison-2",
               "body": json.dumps({**json.loads(records[0]["body"]), "job": "autopay"})}
    event = {"Records": [records[0], poison, records[1], unknown]}
    response = worker.handler(event, FakeContext())
    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == [
        "poison-1", "poison-2"]
    assert app.balance("res-1") == 100_000 and app.balance("res-2") == 200_000
    assert app.balance("res-3") == 0
    # Redelivered (SQS is at least once): nothing posted twice.
    assert worker.handle({"Records": records}) == {"batchItemFailures": []}
    assert app.balance("res-1") == 100_000

    # The posted rent becomes a late-fee candidate; res-2 pays in time, res-1 does not.
    assert project(reader) == []
    assert [c.resident_id for c in index.late_candidates(CHI, date(2025, 3, 8))] == [
        "res-1", "res-2"]
    assert [c.assess_on for c in index.late_candidates(CHI, date(2025, 3, 8))] == [
        date(2025, 3, 8)] * 2
    app.apply_credit("res-2", amount=200_000, reason="paid at the office", actor="pm")
    assert scheduler.run({"job": "late-fees", "timeZone": CHI, "date": "2025-03-07"})[
        "runs"][0]["queued"] == 0
    out = scheduler.run({"job": "late-fees", "timeZone": CHI, "date": "2025-03-08"})
    assert out["runs"][0]["queued"] == 2
    assert worker.handle({"Records": drain(deployed["JOBS_QUEUE_URL"])}) == {
        "batchItemFailures": []}
    assert app.ledger("res-1").late_fees and not app.ledger("res-2").late_fees
    assert index.late_candidates(CHI, date(2025, 3, 31)) == []
    assert project(reader) == []  # the late fee's event: nothing left to remove
    # Re-running the day queues nothing more (every candidate was decided).
    assert scheduler.run({"job": "late-fees", "timeZone": CHI, "date": "2025-03-08"})[
        "runs"][0]["queued"] == 0


def test_all_zones_and_today_by_default(deployed: dict[str, str]) -> None:
    app = wiring.ledger()
    app.start_lease("res-hi", lease_id="L-hi", property_id="p-2", us_state="HI",
                    start_date=date(2025, 1, 1), actor="pm",
                    terms=LeaseTerms(monthly_rent=100_000, rent_due_day=1))
    app.start_lease("res-ny", lease_id="L-ny", property_id="p-3", us_state="NY",
                    start_date=date(2025, 1, 1), actor="pm",
                    terms=LeaseTerms(monthly_rent=100_000, rent_due_day=1))
    assert project(StreamReader(deployed["DYNAMODB_TABLE"])) == []
    # 2025-04-01 05:30 UTC: already the 1st in New York, still March 31st in Honolulu.
    out = scheduler.run({"job": "recurring-charges", "timeZone": "*"},
                        now=datetime(2025, 4, 1, 5, 30, tzinfo=UTC))
    runs = {r["timeZone"]: r for r in out["runs"]}
    assert runs["America/New_York"]["date"] == "2025-04-01"
    assert runs["America/New_York"]["queued"] == 1
    assert runs["Pacific/Honolulu"]["date"] == "2025-03-31"
    assert runs["Pacific/Honolulu"]["queued"] == 0
    # Honolulu has leases but (in this environment) no schedule of its own.
    assert out["unscheduledTimeZones"] == ["Pacific/Honolulu"]
    assert [json.loads(r["body"])["residentId"] for r in drain(deployed["JOBS_QUEUE_URL"])] == [
        "res-ny"]


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


@pytest.mark.parametrize("bad", [
    {"job": "autopay", "timeZone": CHI},
    {"job": "late-fees", "timeZone": "Mars/Olympus"},
    {"job": "late-fees"},
    {"job": "late-fees", "timeZone": CHI, "date": "03/08/2025"},
])
def test_the_scheduler_refuses_bad_input(deployed: dict[str, str], bad: dict[str, Any]) -> None:
    with pytest.raises(scheduler.BadJobInput):
        scheduler.run(bad)
    assert drain(deployed["JOBS_QUEUE_URL"]) == []


def test_a_poison_stream_record_stops_the_projection_batch_there(
        deployed: dict[str, str]) -> None:
    app = wiring.ledger()
    app.start_lease("res-9", lease_id="L-9", property_id="p-1", us_state="TX",
                    start_date=date(2025, 1, 1), actor="pm",
                    terms=LeaseTerms(monthly_rent=1000, rent_due_day=9))
    records = log_records(StreamReader(deployed["DYNAMODB_TABLE"]).read())
    bad = poisoned(records[-1])
    response = projection.handle({"Records": [bad, *records]})
    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    assert failed == [r["dynamodb"]["SequenceNumber"] for r in [bad, *records]]
    assert wiring.schedule_index().lease_row("res-9") is None
    assert projection.handle({"Records": records}) == {"batchItemFailures": []}
    assert wiring.schedule_index().residents_due(CHI, 9) == ["res-9"]


def test_notifications_mail_the_lease_email(deployed: dict[str, str], moto: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from sfr3_lambdas import notifications

    monkeypatch.setenv("FROM_EMAIL", "payments@example.com")
    monkeypatch.setenv("RESIDENT_EMAIL_DOMAIN", "residents.example.com")
    boto3.client("ses", region_name="us-east-1").verify_email_identity(
        EmailAddress="payments@example.com")
    notifications.reset()
    wiring.ledger().start_lease(
        "res-mail", lease_id="L-m", property_id="p-1", us_state="TX",
        start_date=date(2025, 1, 1), actor="pm", email="tenant@example.org",
        terms=LeaseTerms(monthly_rent=1000, rent_due_day=1))
    envelope = {"eventId": "e-1", "eventType": "late_fee.applied", "source": "sfr3.ledger",
                "timestamp": "2025-03-08T23:00:00Z", "version": 1,
                "data": {"residentId": "res-mail", "amount": 5000, "currency": "USD"}}
    other = {**envelope, "eventId": "e-2", "data": {**envelope["data"], "residentId": "r-2"}}
    notifications.handler({"detail": envelope}, FakeContext())
    notifications.handler({"detail": other}, FakeContext())
    import requests

    sent = requests.get(f"{moto}/moto-api/data.json", timeout=10).json()["ses"]["Message"]
    assert sorted(tuple(m["destinations"]["ToAddresses"]) for m in sent) == [
        ("r-2@residents.example.com",), ("tenant@example.org",)]
    assert {m["subject"] for m in sent} == {"Late fee: $50.00"}
    notifications.reset()
