"""Stuck PENDING payments always resolve (issue 13): the payment-recovery job on the
payment-watch read model, after a crash between reservation and PaymentIntent creation,
a crash between creation and recording, and a dropped webhook: each resolved to Stripe's
truth exactly once (one PaymentIntent, no payment left PENDING), on SQLite and on
DynamoDB Local (ledger and read model alike).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from sfr3_adapters.dynamodb.client import RETRY_CONFIG
from sfr3_adapters.dynamodb.payment_watch import DynamoDBPaymentWatch
from sfr3_adapters.payment_watch_sqlite import SQLitePaymentWatch
from sfr3_ledger import PaymentStatus
from sfr3_ledger.payment_errors import PaymentDeclined, ProviderUnavailableError
from sfr3_ledger.read_models.payments_pending import (
    PENDING,
    RETRY,
    PaymentWatch,
    PaymentWatchProjection,
    WatchRow,
    rebuild,
)
from tests.flows.retry_harness import Harness
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver

R = "res-recover"
LATER = timedelta(minutes=16)


def _watch(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Any:
    if kind == "sqlite":
        return SQLitePaymentWatch(tmp_path / f"watch-{uuid.uuid4().hex}.db")
    endpoint = request.getfixturevalue("dynamodb_local")
    client = boto3.session.Session().client("dynamodb", endpoint_url=endpoint,
                                            region_name="us-east-1", config=RETRY_CONFIG)
    watch = DynamoDBPaymentWatch(f"watch-{uuid.uuid4().hex[:12]}", client=client)
    watch.create_table()
    return watch


def _env(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    if kind == "sqlite":
        return {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": str(tmp_path / f"ledger-{uuid.uuid4().hex}.db")}
    return {"PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
            "DYNAMODB_TABLE": f"ledger-{uuid.uuid4().hex[:12]}",
            "DYNAMODB_ENDPOINT_URL": request.getfixturevalue("dynamodb_local"),
            "CREATE_TABLE": "y"}


@pytest.fixture(params=["sqlite", "dynamodb"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def watch(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    made = _watch(backend, tmp_path, request)
    yield made
    if isinstance(made, SQLitePaymentWatch):
        made.close()
    else:
        made.client.delete_table(TableName=made.table_name)


@pytest.fixture
def h(backend: str, watch: PaymentWatch, tmp_path: Path, request: pytest.FixtureRequest,
      stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver) -> Harness:
    return Harness(_env(backend, tmp_path, request), stripe_sandbox, webhook_receiver, watch)


def _rent(h: Harness, token: str = "pm_card_visa", kind: str = "card",
          amount: int = 120_000) -> str:
    method = h.resident(R, token, kind)
    h.charge(R, amount)
    return method


def _assert_once(h: Harness, pid: str, status: PaymentStatus) -> None:
    payment = h.app.payment(R, pid)
    assert payment.status == status
    assert len(h.intents_for(pid)) == 1, "exactly one PaymentIntent: never a second charge"
    recovered = [e for e in h.envelopes(R) if e["eventType"] == "payment.recovered"]
    assert len(recovered) == 1 and recovered[0]["data"]["paymentId"] == pid


def test_the_watch_port(watch: PaymentWatch) -> None:
    t0 = datetime(2027, 3, 1, 12, tzinfo=UTC)
    watch.put(WatchRow(PENDING, "r1", "p1", t0, t0))
    watch.put(WatchRow(PENDING, "r2", "p2", t0 + timedelta(hours=1), t0))
    watch.put(WatchRow(RETRY, "r1", "p3", t0 + timedelta(minutes=5), t0, 2))
    assert [r.payment_id for r in watch.due(PENDING, t0 + timedelta(hours=2))] == ["p1", "p2"]
    assert watch.due(PENDING, t0) == [WatchRow(PENDING, "r1", "p1", t0, t0)]
    assert watch.due(RETRY, t0 + timedelta(minutes=5)) == [
        WatchRow(RETRY, "r1", "p3", t0 + timedelta(minutes=5), t0, 2)]
    watch.put(WatchRow(PENDING, "r1", "p1", t0 + timedelta(days=1), t0))  # deferred
    assert [r.payment_id for r in watch.due(PENDING, t0 + timedelta(hours=2))] == ["p2"]
    watch.remove(PENDING, "r2", "p2")
    watch.remove(PENDING, "r2", "p2")
    assert watch.due(PENDING, t0 + timedelta(hours=2)) == []
    watch.clear()
    assert watch.due(RETRY, t0 + timedelta(days=9)) == []


def test_crash_between_reservation_and_intent_creation(h: Harness) -> None:
    method = _rent(h)
    # The API reserved the payment and died before asking Stripe.
    started = h.app.initiate_payment(R, amount=120_000, method_id=method, actor=R,
                                     payment_id="pay_crash1")
    assert started.payment.stripe_ref is None
    assert h.app.ledger(R).payable == 0, "the reservation blocks the balance..."
    assert h.run("payment-recovery", datetime.now(UTC)) == [], "...not yet old enough"
    assert h.run("payment-recovery", datetime.now(UTC) + LATER) == ["settled"]
    h.deliver()  # the webhook of the re-driven intent changes nothing more
    _assert_once(h, "pay_crash1", PaymentStatus.SETTLED)
    assert h.app.balance(R) == 0
    assert h.run("payment-recovery", datetime.now(UTC) + 2 * LATER) == []


def test_crash_between_intent_creation_and_recording(h: Harness) -> None:
    method = _rent(h)
    # Stripe creates the intent, the answer is lost (as if we were killed before
    # recording it), and its webhook is dropped too.
    h.sandbox.control("fail", {"mode": "drop_response", "count": 1,
                               "path": "/v1/payment_intents"})
    with pytest.raises(ProviderUnavailableError):
        h.service.pay(R, amount=120_000, method_id=method, actor=R, payment_id="pay_crash2")
    h.deliver(drop=True)
    assert h.app.payment(R, "pay_crash2").stripe_ref is None
    assert len(h.intents_for("pay_crash2")) == 1
    assert h.run("payment-recovery", datetime.now(UTC) + LATER) == ["settled"]
    _assert_once(h, "pay_crash2", PaymentStatus.SETTLED)
    assert h.app.balance(R) == 0


def test_a_removed_method_never_hides_a_charge_stripe_made(h: Harness) -> None:
    """Stripe charged the card, the answer and the webhook were lost, then the resident
    removed the card: recovery sends nothing (the consent is withdrawn), finds the intent
    Stripe made by listing the customer's intents, and the ledger says SETTLED."""
    method = _rent(h)
    h.sandbox.control("fail", {"mode": "drop_response", "count": 1,
                               "path": "/v1/payment_intents"})
    with pytest.raises(ProviderUnavailableError):
        h.service.pay(R, amount=120_000, method_id=method, actor=R, payment_id="pay_rm1")
    h.deliver(drop=True)
    h.service.remove_payment_method(R, method, actor=R)
    assert h.run("payment-recovery", datetime.now(UTC) + LATER) == ["settled"]
    _assert_once(h, "pay_rm1", PaymentStatus.SETTLED)
    assert h.app.balance(R) == 0


def test_a_removed_method_with_no_charge_releases_the_reservation(h: Harness) -> None:
    method = _rent(h)
    h.app.initiate_payment(R, amount=120_000, method_id=method, actor=R,
                           payment_id="pay_rm2")  # reserved, then the process died
    h.service.remove_payment_method(R, method, actor=R)
    assert h.run("payment-recovery", datetime.now(UTC) + LATER) == ["failed"]
    assert h.app.payment(R, "pay_rm2").status == PaymentStatus.FAILED
    assert h.intents_for("pay_rm2") == [], "nothing charged on a removed card"
    assert h.app.ledger(R).payable == 120_000


def test_a_dropped_webhook_is_recovered_and_a_late_one_changes_nothing(h: Harness) -> None:
    method = _rent(h)
    h.service.pay(R, amount=120_000, method_id=method, actor=R, payment_id="pay_drop")
    h.sandbox.drain()
    with h.receiver.lock:
        late = list(h.receiver.received)
        h.receiver.received[:] = []
    assert h.app.payment(R, "pay_drop").status == PaymentStatus.PENDING
    assert h.run("payment-recovery", datetime.now(UTC) + LATER) == ["settled"]
    _assert_once(h, "pay_drop", PaymentStatus.SETTLED)
    with h.receiver.lock:
        h.receiver.received[:] = late
    assert "settled" in h.deliver()
    assert h.app.balance(R) == 0
    _assert_once(h, "pay_drop", PaymentStatus.SETTLED)


def test_an_ach_debit_still_processing_is_deferred_then_failed_and_retried(h: Harness) -> None:
    method = _rent(h, "pm_usBankAccount_insufficientFunds", "us_bank_account")
    h.service.pay(R, amount=120_000, method_id=method, actor=R, payment_id="pay_ach")
    h.deliver(drop=True)
    now = datetime.now(UTC)
    assert h.run("payment-recovery", now + LATER) == ["processing"]
    assert h.run("payment-recovery", now + 2 * LATER) == [], "deferred, not asked every run"
    h.sandbox.advance(5 * 86400)  # the debit is returned (R01); its webhook is dropped
    h.deliver(drop=True)
    assert h.run("payment-recovery", now + timedelta(days=1)) == ["failed"]
    failed = h.app.payment(R, "pay_ach")
    assert (failed.status, failed.failure_reason, failed.retry_status) == (
        PaymentStatus.FAILED, "insufficient_funds", "SCHEDULED")
    assert h.run("payment-recovery", now + timedelta(days=2)) == []
    recovered = [e for e in h.envelopes(R) if e["eventType"] == "payment.recovered"]
    assert [e["data"]["outcome"] for e in recovered] == ["failed"]


def test_a_retry_left_pending_by_an_outage_is_recovered(h: Harness) -> None:
    method = _rent(h, "pm_card_chargeDeclinedInsufficientFunds")
    with pytest.raises(PaymentDeclined):
        h.service.pay(R, amount=120_000, method_id=method, actor=R, payment_id="pay_out")
    h.funds_arrive(R, method)
    at = h.app.payment(R, "pay_out").retry_at
    assert at is not None
    h.sandbox.control("fail", {"status": 500, "count": 1})
    assert h.run("payment-retries", at + timedelta(seconds=1)) == ["pending"]
    assert h.app.payment(R, "pay_out").stripe_ref is None
    assert h.run("payment-recovery", at + LATER + timedelta(minutes=1)) == ["settled"]
    payment = h.app.payment(R, "pay_out")
    assert payment.status == PaymentStatus.SETTLED and payment.attempt == 2
    assert len(h.intents_for("pay_out")) == 2


def test_the_watch_rebuilt_from_events_equals_the_live_one(h: Harness, backend: str,
                                                           tmp_path: Path,
                                                           request: pytest.FixtureRequest
                                                           ) -> None:
    method = _rent(h, "pm_card_chargeDeclinedInsufficientFunds")
    with pytest.raises(PaymentDeclined):
        h.service.pay(R, amount=60_000, method_id=method, actor=R, payment_id="pay_w1")
    h.app.initiate_payment(R, amount=60_000, method_id=method, actor=R, payment_id="pay_w2")
    h.feed()
    far = datetime.now(UTC) + timedelta(days=30)
    live = (h.watch.due(PENDING, far), h.watch.due(RETRY, far))
    assert [r.payment_id for r in live[0]] == ["pay_w2"]
    assert [r.payment_id for r in live[1]] == ["pay_w1"]
    other = _watch(backend, tmp_path, request)
    notes = h.app.recorder.select_notifications(start=None, limit=10_000)
    rebuild(other, PaymentWatchProjection(other),
            [[h.app.mapper.to_domain_event(n) for n in notes]])
    assert (other.due(PENDING, far), other.due(RETRY, far)) == live


def test_stripe_down_defers_the_recovery_without_failing_the_item(h: Harness) -> None:
    method = _rent(h)
    h.app.initiate_payment(R, amount=120_000, method_id=method, actor=R, payment_id="pay_down")
    h.sandbox.control("fail", {"status": 500, "count": 1})
    now = datetime.now(UTC)
    assert h.run("payment-recovery", now + LATER) == ["provider unavailable"]
    assert h.app.payment(R, "pay_down").status == PaymentStatus.PENDING
    assert h.run("payment-recovery", now + LATER + timedelta(minutes=5)) == [], "deferred"
    assert h.run("payment-recovery", now + timedelta(hours=1)) == ["settled"]
    _assert_once(h, "pay_down", PaymentStatus.SETTLED)
