"""A short flow through the GENERATED client (clients/python, `sfr3_payments_client`) against
the local stack, as another SFR3 service would use it: staff post a charge, the resident
enrols a card, pays (with an Idempotency-Key, retried), reads the balance and the payment
history. Results are the generated attrs models (attributes, not dicts); a refusal is the
document's error model with its status.

Uses the session stack of tests/e2e (stack.py): one local stack per process at a time.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import re
from http import HTTPStatus

from sfr3_payments_client import AuthenticatedClient, Client
from sfr3_payments_client.api.balance import balance
from sfr3_payments_client.api.charges import post_charge
from sfr3_payments_client.api.payment_methods import enroll_payment_method as enroll_method
from sfr3_payments_client.api.payments import make_payment, payment_history
from sfr3_payments_client.models import (
    Balance,
    EnrollPaymentMethod,
    EnrollPaymentMethodType,
    ErrorBody,
    GatewayError,
    MakePayment,
    PaymentAccepted,
    PaymentHistory,
    PaymentMethod,
    PaymentStatus,
    PostCharge,
    PostChargeChargetype,
    PostedCharge,
)

from tests.e2e.stack import Stack
from tests.harness.procs import ROOT


def _client(stack: Stack, token: str) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=stack.url, token=token, raise_on_unexpected_status=True)


def test_charge_enrol_pay_balance_history_through_the_generated_client(stack: Stack,
                                                                        rid: str) -> None:
    staff = _client(stack, stack.token(staff="pm-1", groups=("property-managers",)))
    resident = _client(stack, stack.token(resident=rid))

    posted = post_charge.sync(rid, client=staff, body=PostCharge(
        amount=2100, charge_type=PostChargeChargetype.RENT, description="Rent"))
    assert isinstance(posted, PostedCharge), posted
    assert (posted.resident_id, posted.amount, posted.balance) == (rid, 2100, 2100)
    assert isinstance(posted.posted_at, datetime.datetime) and posted.posted_at.tzinfo

    method = enroll_method.sync(rid, client=resident, body=EnrollPaymentMethod(
        type_=EnrollPaymentMethodType.CARD, payment_method_id="pm_card_visa"))
    assert isinstance(method, PaymentMethod), method
    assert method.last4 == "4242" and method.removed_at is None

    body = MakePayment(amount=2100, payment_method_id=method.method_id)
    key = f"client-{rid}"
    accepted = make_payment.sync_detailed(rid, client=resident, body=body,
                                          idempotency_key=key)
    assert accepted.status_code == HTTPStatus.ACCEPTED
    assert isinstance(accepted.parsed, PaymentAccepted), accepted.content
    assert accepted.parsed.amount == 2100
    # A retry with the same key is the same payment, not a second one.
    again = make_payment.sync(rid, client=resident, body=body, idempotency_key=key)
    assert isinstance(again, PaymentAccepted) and again.payment_id == accepted.parsed.payment_id
    stack.drain()

    owed = balance.sync(rid, client=resident)
    assert isinstance(owed, Balance), owed
    assert (owed.resident_id, owed.balance, owed.pending_payments) == (rid, 0, 0)

    history = payment_history.sync(rid, client=resident)
    assert isinstance(history, PaymentHistory), history
    [payment] = history.payments
    assert payment.payment_id == accepted.parsed.payment_id
    assert payment.status is PaymentStatus.SETTLED
    assert payment.amount == 2100 and payment.payment_method_id == method.method_id
    assert isinstance(payment.settled_at, datetime.datetime)
    assert history.next_cursor is None

    # The async flavour of the same operation answers the same model.
    async def read() -> object:
        async with _client(stack, stack.token(resident=rid)) as client:
            return await balance.asyncio(rid, client=client)

    # On its own thread: the browser tests' session-wide Playwright (sync API) keeps an
    # event loop running on the main thread, where asyncio.run() refuses to start one.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, read()).result(timeout=60) == owed


def test_refusals_are_the_document_s_error_model(stack: Stack, rid: str) -> None:
    resident = _client(stack, stack.token(resident=rid))
    # A resident may not post charges: 403 with the error body, nothing changes.
    refused = post_charge.sync_detailed(rid, client=resident, body=PostCharge(
        amount=100, charge_type=PostChargeChargetype.RENT, description="Rent"))
    assert refused.status_code == HTTPStatus.FORBIDDEN
    assert isinstance(refused.parsed, ErrorBody), refused.content
    assert refused.parsed.code and refused.parsed.error

    # Paying more than is owed: 4xx with the code and the extra `balance` field.
    staff = _client(stack, stack.token(staff="pm-1", groups=("property-managers",)))
    assert isinstance(post_charge.sync(rid, client=staff, body=PostCharge(
        amount=300, charge_type=PostChargeChargetype.RENT, description="Rent")), PostedCharge)
    method = enroll_method.sync(rid, client=resident, body=EnrollPaymentMethod(
        type_=EnrollPaymentMethodType.CARD, payment_method_id="pm_card_visa"))
    assert isinstance(method, PaymentMethod)
    too_much = make_payment.sync_detailed(rid, client=resident, body=MakePayment(
        amount=500, payment_method_id=method.method_id))
    assert 400 <= too_much.status_code < 500
    assert isinstance(too_much.parsed, ErrorBody), too_much.content
    assert too_much.parsed.code == "amount_exceeds_balance"
    assert too_much.parsed.additional_properties["balance"] == 300

    # Another resident's balance: refused with the error model.
    other = balance.sync_detailed(f"{rid}-other", client=resident)
    assert other.status_code == HTTPStatus.FORBIDDEN
    assert isinstance(other.parsed, ErrorBody), other.content

    # No token at all: 401 (API Gateway's authorizer answers; its body is documented too).
    anonymous = balance.sync_detailed(rid, client=Client(base_url=stack.url))
    assert anonymous.status_code == HTTPStatus.UNAUTHORIZED
    assert isinstance(anonymous.parsed, GatewayError), anonymous.content
    assert anonymous.parsed.message == "Unauthorized"

    history = payment_history.sync(rid, client=resident)
    assert isinstance(history, PaymentHistory) and history.payments == []


def test_the_readme_example_runs(stack: Stack, rid: str) -> None:
    """clients/python/README.md's example, pointed at this stack, does what it says."""
    text = (ROOT / "clients" / "python" / "README.md").read_text()
    [example] = re.findall(r"```python\n(.*?)```", text, re.S)
    token = stack.token(staff="pm-1", groups=("property-managers",))
    code = (example.replace("http://127.0.0.1:8000", stack.url)
            .replace("<Cognito ID token>", token).replace("res-1", rid))
    printed: list[tuple[object, ...]] = []  # its print(), not stdout (the stack logs there)
    exec(compile(code, "clients/python/README.md", "exec"),
         {"print": lambda *args: printed.append(args)})
    assert printed == [(150000, 150000)]
