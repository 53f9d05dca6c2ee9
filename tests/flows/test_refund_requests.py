"""One refund request is one refund: double clicks, races, retries and outages (issue 10 §3).

Before the fix the provider key named the amount already refunded, which changes after
the first refund, so two identical keyless refunds made two refunds and four concurrent
300¢ refunds made four. Now a refund is reserved on the ledger before the provider is
asked (RefundRequested), and its provider key is the request id.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import stripe

from sfr3_ledger import DuplicateRefund, LedgerError, PaymentStatus
from sfr3_ledger.errors import RefundExceedsPayment
from sfr3_ledger.payment_service import PaymentService, ProviderUnavailableError
from tests.flows.test_payment_service import R, charge, deliver, enroll, service  # noqa: F401
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver


@pytest.fixture
def settled(
    service: PaymentService,  # noqa: F811
    webhook_receiver: WebhookReceiver,
    stripe_sandbox: SandboxHandle,
) -> str:
    """A settled 1,000¢ card payment of R."""
    method = enroll(service)
    charge(service, 1000)
    pid = service.pay(R, amount=1000, method_id=method, actor=R).payment.payment_id
    deliver(service, webhook_receiver, stripe_sandbox)
    assert service.ledger.payment(R, pid).status == PaymentStatus.SETTLED
    return pid


def stripe_refunds(sandbox: SandboxHandle, svc: PaymentService, pid: str) -> list[Any]:
    intent = svc.ledger.payment(R, pid).stripe_ref
    sdk = stripe.StripeClient(sandbox.key, base_addresses={"api": sandbox.url},
                              max_network_retries=0)
    return list(sdk.v1.refunds.list(params={"payment_intent": intent, "limit": 100}).data)


def test_the_same_keyless_refund_twice_refunds_once(
    service: PaymentService, settled: str, stripe_sandbox: SandboxHandle  # noqa: F811
) -> None:
    first = service.refund(R, settled, amount=100, actor="fin")
    with pytest.raises(DuplicateRefund) as info:
        service.refund(R, settled, amount=100, actor="fin")
    assert info.value.status == 409
    assert info.value.details()["refundId"] == first.refund_id
    assert service.ledger.payment(R, settled).refunded == 100
    assert len(stripe_refunds(stripe_sandbox, service, settled)) == 1
    # Another amount is another refund; so is the same amount under a new request id.
    service.refund(R, settled, amount=200, actor="fin")
    service.refund(R, settled, amount=100, actor="fin", request_id="rfq_deliberate")
    assert service.ledger.payment(R, settled).refunded == 400
    assert len(stripe_refunds(stripe_sandbox, service, settled)) == 3


def test_a_request_id_replays_its_refund(
    service: PaymentService, settled: str, stripe_sandbox: SandboxHandle  # noqa: F811
) -> None:
    a = service.refund(R, settled, amount=300, actor="fin", request_id="rfq_one")
    b = service.refund(R, settled, amount=300, actor="fin", request_id="rfq_one")
    assert a == b
    assert service.ledger.payment(R, settled).refunded == 300
    assert len(stripe_refunds(stripe_sandbox, service, settled)) == 1


def _race(calls: list[Any]) -> tuple[list[Any], list[BaseException]]:
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(call: Any) -> None:
        barrier.wait()
        try:
            outcome = call()
        except (LedgerError, ProviderUnavailableError) as exc:
            with lock:
                errors.append(exc)
        else:
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results, errors


def test_four_concurrent_identical_refunds_refund_once(
    service: PaymentService, settled: str, stripe_sandbox: SandboxHandle  # noqa: F811
) -> None:
    results, errors = _race(
        [lambda: service.refund(R, settled, amount=300, actor="fin") for _ in range(4)]
    )
    assert results, errors
    assert {r.refund_id for r in results} == {results[0].refund_id}
    assert service.ledger.payment(R, settled).refunded == 300
    assert len(stripe_refunds(stripe_sandbox, service, settled)) == 1


def test_concurrent_valid_refunds_never_exceed_the_payment(
    service: PaymentService, settled: str, stripe_sandbox: SandboxHandle  # noqa: F811
) -> None:
    results, errors = _race(
        [lambda a=amount: service.refund(R, settled, amount=a, actor="fin")
         for amount in (300, 301, 302, 303)]
    )
    payment = service.ledger.payment(R, settled)
    assert payment.refunded == sum(r.amount for r in results) <= 1000
    assert len(results) == 3
    assert any(isinstance(e, RefundExceedsPayment) for e in errors), errors
    assert sum(r.amount for r in stripe_refunds(stripe_sandbox, service, settled)) == (
        payment.refunded
    )
    assert payment.refund_pending == 0


def test_an_outage_leaves_the_refund_reserved_and_asking_again_completes_it(
    service: PaymentService,  # noqa: F811
    settled: str,
    stripe_sandbox: SandboxHandle,
    webhook_receiver: WebhookReceiver,
) -> None:
    # Stripe makes the refund but the answer is lost on the way back.
    stripe_sandbox.control("fail", {"mode": "drop_response", "count": 1, "path": "/v1/refunds"})
    with pytest.raises(ProviderUnavailableError):
        service.refund(R, settled, amount=400, actor="fin")
    payment = service.ledger.payment(R, settled)
    assert (payment.refunded, payment.refund_pending, payment.refundable) == (0, 400, 600)
    with pytest.raises(RefundExceedsPayment):  # the reservation holds meanwhile
        service.refund(R, settled, amount=601, actor="fin")
    again = service.refund(R, settled, amount=400, actor="fin")  # the same request, re-driven
    assert again.amount == 400
    assert len(stripe_refunds(stripe_sandbox, service, settled)) == 1
    deliver(service, webhook_receiver, stripe_sandbox)  # charge.refunded for it: same fact
    payment = service.ledger.payment(R, settled)
    assert (payment.refunded, payment.refund_pending) == (400, 0)
    assert service.ledger.balance(R) == 400


def test_the_webhook_recording_the_refund_first_releases_the_request(
    service: PaymentService,  # noqa: F811
    settled: str,
    stripe_sandbox: SandboxHandle,
    webhook_receiver: WebhookReceiver,
) -> None:
    stripe_sandbox.control("fail", {"mode": "drop_response", "count": 1, "path": "/v1/refunds"})
    with pytest.raises(ProviderUnavailableError):
        service.refund(R, settled, amount=250, actor="fin")
    # The refund's webhooks carry the request id in metadata and arrive first.
    deliver(service, webhook_receiver, stripe_sandbox)
    payment = service.ledger.payment(R, settled)
    assert (payment.refunded, payment.refund_pending) == (250, 0)
    [request] = payment.refund_requests.values()
    assert request.status == "COMPLETED" and request.refund_id in payment.refunds
