"""The worker's client-side share of Stripe's rate limit (sfr3_adapters.rate_limit), on a
fake clock: no server needed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sfr3_adapters.rate_limit import RateLimitedProvider, TokenBucket, per_process_rate
from sfr3_ledger.payment_provider import PaymentProvider


class FakeClock:
    """Time that moves only when someone sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_bucket_spaces_calls_at_its_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(9):
        bucket.acquire()
        times.append(clock.now - 100)
    assert times == pytest.approx([0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    # In any window of a second, at most rate + capacity calls (here 4 + 1).
    assert max(sum(1 for t in times if start <= t < start + 1) for start in times) <= 5
    # Idle time saves up at most `capacity` tokens: after a quiet minute, one free call.
    clock.now += 60
    assert bucket.acquire() == 0
    assert bucket.acquire() == pytest.approx(0.25)
    assert bucket.acquired == 11
    assert bucket.waited_seconds == pytest.approx(2.25)


def test_concurrent_callers_reserve_tokens_in_turn() -> None:
    """Callers arriving together (threads of one process) wait 0, 1/r, 2/r, ..."""
    clock = FakeClock()
    waits: list[float] = []
    bucket = TokenBucket(5, clock=clock, sleep=waits.append)  # sleeping moves no clock
    assert [bucket.acquire() for _ in range(4)] == pytest.approx([0, 0.2, 0.4, 0.6])
    assert waits == pytest.approx([0.2, 0.4, 0.6])
    clock.now += 1.0  # the reservations are served, and the bucket refills to one token
    assert bucket.acquire() == pytest.approx(0.0)


def test_the_limit_is_split_between_the_workers() -> None:
    assert per_process_rate({}) == 20
    assert per_process_rate({"STRIPE_RATE_LIMIT_PER_SECOND": "20",
                             "JOBS_PAYMENTS_CONCURRENCY": "5"}) == 4
    assert per_process_rate({"STRIPE_RATE_LIMIT_PER_SECOND": "90",
                             "JOBS_PAYMENTS_CONCURRENCY": "4"}) == 22.5
    for bad in ({"STRIPE_RATE_LIMIT_PER_SECOND": "0"}, {"JOBS_PAYMENTS_CONCURRENCY": "0"},
                {"STRIPE_RATE_LIMIT_PER_SECOND": "-3"}):
        with pytest.raises(ValueError):
            per_process_rate(bad)
    with pytest.raises(ValueError):
        TokenBucket(0)
    # Five workers, each on its own bucket, over ten simulated seconds: <= 20/s together.
    clocks = [FakeClock() for _ in range(5)]
    buckets = [TokenBucket(4, clock=c, sleep=c.sleep) for c in clocks]
    calls = 0
    for bucket, clock in zip(buckets, clocks, strict=True):
        while True:
            bucket.acquire()
            if clock.now - 100 > 10:
                break
            calls += 1
    assert calls <= 20 * 10 + 5


class RecordingProvider:
    """Every port method, answering a marker and recording the call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, {"args": args, **kwargs}))
            return f"result-of-{name}"

        return call


def test_the_limited_provider_delegates_every_call_behind_the_bucket() -> None:
    methods = {n for n in vars(PaymentProvider) if not n.startswith("_")}
    assert methods <= set(vars(RateLimitedProvider))  # the whole port, by delegation
    clock = FakeClock()
    bucket = TokenBucket(1000, clock=clock, sleep=clock.sleep)
    inner = RecordingProvider()
    limited = RateLimitedProvider(inner, bucket)  # type: ignore[arg-type]
    now = datetime(2027, 3, 5, tzinfo=UTC)
    calls: dict[str, Any] = {
        "create_customer": lambda: limited.create_customer(resident_id="r", email=None),
        "attach_payment_method": lambda: limited.attach_payment_method(
            customer_id="cus_1", payment_method_id="pm_1"),
        "detach_payment_method": lambda: limited.detach_payment_method(payment_method_id="pm_1"),
        "create_payment_intent": lambda: limited.create_payment_intent(
            payment_id="pay_1", resident_id="r", amount=100, currency="usd",
            customer_id="cus_1", payment_method_id="pm_1", metadata={"k": "v"}),
        "retrieve_payment_intent": lambda: limited.retrieve_payment_intent("pi_1"),
        "list_payment_intents_page": lambda: limited.list_payment_intents_page(
            customer_id="cus_1", created_from=now, starting_after="pi_1", limit=10),
        "refund": lambda: limited.refund(payment_intent_id="pi_1", amount=None,
                                         idempotency_key="re-1", metadata=None),
        "list_balance_transactions": lambda: limited.list_balance_transactions(
            created_from=now, created_to=now),
        "submit_dispute_evidence": lambda: limited.submit_dispute_evidence(
            dispute_id="dp_1", evidence={"a": "b"}, submit=False),
        "create_ach_mandate": lambda: limited.create_ach_mandate(
            setup_id="set_1", customer_id="cus_1", payment_method_id="pm_1",
            ip_address="127.0.0.1", user_agent="ua", accepted_at=now),
        "retrieve_setup_intent": lambda: limited.retrieve_setup_intent("seti_1"),
        "retrieve_mandate": lambda: limited.retrieve_mandate("mandate_1"),
        "list_balance_transactions_page": lambda: limited.list_balance_transactions_page(
            created_from=now, created_to=now, starting_after="txn_1", limit=10),
        "upload_dispute_file": lambda: limited.upload_dispute_file(
            filename="a.pdf", content_type="application/pdf", content=b"%PDF"),
        "retrieve_dispute": lambda: limited.retrieve_dispute("dp_1"),
        "verify_webhook": lambda: limited.verify_webhook(payload=b"{}", signature_header="t=1"),
        "retrieve_event": lambda: limited.retrieve_event("evt_1"),
    }
    assert set(calls) == methods
    for name, call in calls.items():
        before = bucket.acquired
        result = call()
        assert inner.calls[-1][0] == name
        if name != "detach_payment_method":
            assert result == f"result-of-{name}"
        # Every Stripe request takes a token; a webhook's signature check is local.
        assert bucket.acquired - before == (0 if name == "verify_webhook" else 1), name
    assert inner.calls[3][1] == {"args": (), "payment_id": "pay_1", "resident_id": "r",
                                 "amount": 100, "currency": "usd", "customer_id": "cus_1",
                                 "payment_method_id": "pm_1", "metadata": {"k": "v"},
                                 "mandate_id": None, "mandate_acceptance": None}
