"""A client-side bound on Stripe's request rate: a token bucket around the payment provider.

Stripe limits API requests per second per account (live mode 100/s, test mode 25/s by
default) and answers 429 beyond it. A large autopay sweep must be bounded by that limit,
not by errors, so the jobs worker talks to the provider through `RateLimitedProvider`:
every call that reaches Stripe first takes a token from the process's `TokenBucket`.

The bound is shared by splitting it: Lambda runs at most `callers` sweep workers at once
(the payments queue's event source `maximumConcurrency`), so each process gets
`rate / callers` requests per second and a burst of one request, and all of them together
stay at or under `rate` (docs/operations.md, "Stripe's rate limit"). No coordination, no
shared store, and an idle worker costs nothing. A 429 that still happens (the API and the
webhooks share the account's limit) is the provider error it always was: the payment stays
PENDING and the item is retried with the same idempotency key.

Environment (`RateLimitedProvider.from_env`):
  STRIPE_RATE_LIMIT_PER_SECOND   requests per second for all the callers together (default 20)
  JOBS_PAYMENTS_CONCURRENCY      how many processes share it (default 1)
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfr3_ledger.payment_provider import (
        BalanceTransaction,
        BalanceTransactionPage,
        DisputeDetails,
        DisputeResult,
        MandateAcceptance,
        MandateResult,
        PaymentIntentPage,
        PaymentIntentResult,
        PaymentMethodDetails,
        PaymentProvider,
        ProviderEvent,
        RefundResult,
        SetupIntentResult,
    )

DEFAULT_RATE_PER_SECOND = 20.0


class TokenBucket:
    """`rate` tokens a second, at most `capacity` saved up; `acquire` waits for one.

    A caller that finds the bucket empty reserves the next token and sleeps until it is
    due, outside the lock, so concurrent callers (threads) are served in arrival order
    and never together exceed the rate. `clock` and `sleep` are injectable for tests.
    """

    def __init__(self, rate: float, capacity: float = 1.0, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate <= 0 or capacity < 1:
            raise ValueError("a token bucket needs rate > 0 and capacity >= 1")
        self.rate = float(rate)
        self.capacity = float(capacity)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.capacity
        self._updated = clock()
        self.acquired = 0
        self.waited_seconds = 0.0

    def acquire(self) -> float:
        """Take one token, waiting if need be; how long this call waited (seconds)."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity,
                               self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            self._tokens -= 1.0  # below zero: a reservation of a token not yet made
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
            self.acquired += 1
            self.waited_seconds += wait
        if wait > 0:
            self._sleep(wait)
        return wait


def per_process_rate(env: Mapping[str, str] | None = None) -> float:
    """This process's share: STRIPE_RATE_LIMIT_PER_SECOND / JOBS_PAYMENTS_CONCURRENCY."""
    source = os.environ if env is None else env
    total = float(source.get("STRIPE_RATE_LIMIT_PER_SECOND") or DEFAULT_RATE_PER_SECOND)
    callers = int(source.get("JOBS_PAYMENTS_CONCURRENCY") or 1)
    if total <= 0 or callers < 1:
        raise ValueError("STRIPE_RATE_LIMIT_PER_SECOND must be > 0 and "
                         "JOBS_PAYMENTS_CONCURRENCY >= 1")
    return total / callers


class RateLimitedProvider:
    """The `PaymentProvider` port, by delegation, each Stripe request behind the bucket.

    `verify_webhook` is not limited: it checks a signature and never calls Stripe.
    """

    def __init__(self, provider: PaymentProvider, bucket: TokenBucket) -> None:
        self.provider = provider
        self.bucket = bucket

    @classmethod
    def from_env(cls, provider: PaymentProvider,
                 env: Mapping[str, str] | None = None) -> RateLimitedProvider:
        return cls(provider, TokenBucket(per_process_rate(env)))

    def create_customer(self, *, resident_id: str, email: str | None = None) -> str:
        self.bucket.acquire()
        return self.provider.create_customer(resident_id=resident_id, email=email)

    def attach_payment_method(self, *, customer_id: str,
                              payment_method_id: str) -> PaymentMethodDetails:
        self.bucket.acquire()
        return self.provider.attach_payment_method(customer_id=customer_id,
                                                   payment_method_id=payment_method_id)

    def detach_payment_method(self, *, payment_method_id: str) -> None:
        self.bucket.acquire()
        self.provider.detach_payment_method(payment_method_id=payment_method_id)

    def create_payment_intent(self, *, payment_id: str, resident_id: str, amount: int,
                              currency: str, customer_id: str, payment_method_id: str,
                              metadata: Mapping[str, str] | None = None,
                              mandate_id: str | None = None,
                              mandate_acceptance: MandateAcceptance | None = None
                              ) -> PaymentIntentResult:
        self.bucket.acquire()
        return self.provider.create_payment_intent(
            payment_id=payment_id, resident_id=resident_id, amount=amount, currency=currency,
            customer_id=customer_id, payment_method_id=payment_method_id, metadata=metadata,
            mandate_id=mandate_id, mandate_acceptance=mandate_acceptance)

    def create_ach_mandate(self, *, setup_id: str, customer_id: str, payment_method_id: str,
                           ip_address: str, user_agent: str, accepted_at: datetime,
                           metadata: Mapping[str, str] | None = None) -> SetupIntentResult:
        self.bucket.acquire()
        return self.provider.create_ach_mandate(
            setup_id=setup_id, customer_id=customer_id, payment_method_id=payment_method_id,
            ip_address=ip_address, user_agent=user_agent, accepted_at=accepted_at,
            metadata=metadata)

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentResult:
        self.bucket.acquire()
        return self.provider.retrieve_setup_intent(setup_intent_id)

    def retrieve_mandate(self, mandate_id: str) -> MandateResult:
        self.bucket.acquire()
        return self.provider.retrieve_mandate(mandate_id)

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentResult:
        self.bucket.acquire()
        return self.provider.retrieve_payment_intent(intent_id)

    def list_payment_intents_page(self, *, customer_id: str, created_from: datetime,
                                  starting_after: str | None = None,
                                  limit: int = 100) -> PaymentIntentPage:
        self.bucket.acquire()
        return self.provider.list_payment_intents_page(
            customer_id=customer_id, created_from=created_from,
            starting_after=starting_after, limit=limit)

    def refund(self, *, payment_intent_id: str, amount: int | None, idempotency_key: str,
               metadata: Mapping[str, str] | None = None) -> RefundResult:
        self.bucket.acquire()
        return self.provider.refund(payment_intent_id=payment_intent_id, amount=amount,
                                    idempotency_key=idempotency_key, metadata=metadata)

    def list_balance_transactions(self, *, created_from: datetime,
                                  created_to: datetime) -> list[BalanceTransaction]:
        self.bucket.acquire()
        return self.provider.list_balance_transactions(created_from=created_from,
                                                       created_to=created_to)

    def submit_dispute_evidence(self, *, dispute_id: str, evidence: Mapping[str, str],
                                submit: bool = True) -> DisputeResult:
        self.bucket.acquire()
        return self.provider.submit_dispute_evidence(dispute_id=dispute_id, evidence=evidence,
                                                     submit=submit)

    def list_balance_transactions_page(
            self, *, created_from: datetime, created_to: datetime,
            starting_after: str | None = None, limit: int = 100) -> BalanceTransactionPage:
        self.bucket.acquire()
        return self.provider.list_balance_transactions_page(
            created_from=created_from, created_to=created_to, starting_after=starting_after,
            limit=limit)

    def upload_dispute_file(self, *, filename: str, content_type: str, content: bytes) -> str:
        self.bucket.acquire()
        return self.provider.upload_dispute_file(filename=filename, content_type=content_type,
                                                 content=content)

    def retrieve_dispute(self, dispute_id: str) -> DisputeDetails:
        self.bucket.acquire()
        return self.provider.retrieve_dispute(dispute_id)

    def verify_webhook(self, *, payload: bytes, signature_header: str) -> ProviderEvent:
        return self.provider.verify_webhook(payload=payload, signature_header=signature_header)

    def retrieve_event(self, event_id: str) -> ProviderEvent:
        self.bucket.acquire()  # a Stripe read, unlike the signature check above
        return self.provider.retrieve_event(event_id)


__all__ = ["DEFAULT_RATE_PER_SECOND", "RateLimitedProvider", "TokenBucket", "per_process_rate"]
