"""The sandbox speaks Stripe's wire protocol: checked with the official SDK and raw HTTP."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
import stripe

from sfr3_dev.stripe_sandbox import StripeSandbox
from tests.harness.procs import ROOT, VENV_BIN, free_port, running
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver

pytestmark = pytest.mark.stripe_sandbox


@pytest.fixture
def sdk(stripe_sandbox: SandboxHandle) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_sdk", base_addresses={"api": stripe_sandbox.url},
                               max_network_retries=0)


def raw(url: str, method: str, path: str, form: list[tuple[str, str]] | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    data = urllib.parse.urlencode(form or []).encode() if method == "POST" else None
    request = urllib.request.Request(url + path, data=data, method=method, headers={
        "Authorization": "Bearer sk_test_raw", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def test_idempotency_key_replays_and_refuses_changed_params(
    stripe_sandbox: SandboxHandle,
) -> None:
    form = [("email", "a@example.com"), ("metadata[resident_id]", "r-1")]
    first = raw(stripe_sandbox.url, "POST", "/v1/customers", form, {"Idempotency-Key": "k1"})
    again = raw(stripe_sandbox.url, "POST", "/v1/customers", form, {"Idempotency-Key": "k1"})
    assert first[0] == again[0] == 200
    assert first[2] == again[2] and first[2]["metadata"] == {"resident_id": "r-1"}
    assert again[1].get("Idempotent-Replayed") == "true"
    assert "Idempotent-Replayed" not in first[1]
    status, _, body = raw(stripe_sandbox.url, "POST", "/v1/customers",
                          [("email", "b@example.com")], {"Idempotency-Key": "k1"})
    assert status == 400 and body["error"]["type"] == "idempotency_error"
    other = raw(stripe_sandbox.url, "POST", "/v1/customers", form, {"Idempotency-Key": "k2"})
    assert other[2]["id"] != first[2]["id"]


def test_errors_have_stripe_shape(stripe_sandbox: SandboxHandle,
                                  sdk: stripe.StripeClient) -> None:
    status, headers, body = raw(stripe_sandbox.url, "GET", "/v1/payment_intents/pi_missing")
    assert status == 404 and headers["Request-Id"].startswith("req_")
    assert body["error"]["type"] == "invalid_request_error"
    assert body["error"]["code"] == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as missing:
        sdk.v1.customers.retrieve("cus_missing")
    assert missing.value.http_status == 404 and missing.value.code == "resource_missing"
    assert raw(stripe_sandbox.url, "GET", "/v1/customers",
               headers={"Authorization": "Bearer sk_live_nope"})[0] == 401
    with pytest.raises(stripe.AuthenticationError):
        stripe.StripeClient("sk_live_x", base_addresses={"api": stripe_sandbox.url},
                            ).v1.customers.retrieve("cus_x")
    with pytest.raises(stripe.InvalidRequestError) as small:
        sdk.v1.payment_intents.create(params={"amount": 10, "currency": "usd"})
    assert small.value.code == "amount_too_small"


def test_card_decline_is_a_402_card_error_with_the_intent(sdk: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as declined:
        sdk.v1.payment_intents.create(params={
            "amount": 2100, "currency": "usd", "payment_method": "pm_card_chargeDeclined",
            "confirm": True, "off_session": True})
    err = declined.value
    assert err.http_status == 402 and err.code == "card_declined"
    assert err.error is not None and err.error.decline_code == "generic_decline"
    intent = sdk.v1.payment_intents.retrieve(err.error.payment_intent.id)
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None
    charge = sdk.v1.charges.retrieve(intent.latest_charge)  # type: ignore[arg-type]
    assert charge.status == "failed" and charge.failure_code == "card_declined"


def test_lists_paginate_and_expand(stripe_sandbox: SandboxHandle,
                                   sdk: stripe.StripeClient) -> None:
    customer = sdk.v1.customers.create()
    ids = [sdk.v1.payment_intents.create(params={
        "amount": 1000 + i, "currency": "usd", "customer": customer.id,
        "payment_method": "pm_card_visa", "confirm": True}).id for i in range(5)]
    page = sdk.v1.payment_intents.list(params={"limit": 2, "customer": customer.id})
    assert page.has_more and [pi.id for pi in page.data] == ids[::-1][:2]
    assert [pi.id for pi in page.auto_paging_iter()] == ids[::-1]
    txns = sdk.v1.balance_transactions.list(params={"limit": 100, "expand": ["data.source"]})
    assert {t.source.payment_intent for t in txns.data} == set(ids)  # type: ignore[union-attr]


def test_bank_accounts_by_test_number(sdk: stripe.StripeClient,
                                      stripe_sandbox: SandboxHandle) -> None:
    """Raw account numbers (not just tokens) follow Stripe's ACH test outcomes."""
    outcomes = {}
    for number in ("000123456789", "000111111113", "000333333335"):
        pm = sdk.v1.payment_methods.create(params={
            "type": "us_bank_account", "billing_details": {"name": "Pat Resident"},
            "us_bank_account": {"routing_number": "110000000", "account_number": number,
                                "account_holder_type": "individual"}})
        pi = sdk.v1.payment_intents.create(params={
            "amount": 5000, "currency": "usd", "payment_method": pm.id, "confirm": True,
            "payment_method_types": ["us_bank_account"],
            # On-session ACH needs the customer's mandate, as in Stripe.
            "mandate_data": {"customer_acceptance": {"type": "online", "online": {
                "ip_address": "203.0.113.1", "user_agent": "test"}}}})
        assert pi.status == "processing"
        outcomes[number] = pi.id
    stripe_sandbox.advance(5 * 86_400)
    final = {n: sdk.v1.payment_intents.retrieve(pi) for n, pi in outcomes.items()}
    assert final["000123456789"].status == "succeeded"
    errors = {n: p.last_payment_error.code if p.last_payment_error else None
              for n, p in final.items()}
    assert errors == {"000123456789": None, "000111111113": "account_closed",
                      "000333333335": "debit_not_authorized"}


def _sdk_verified(receiver: WebhookReceiver, secret: str) -> list[stripe.Event]:
    return [stripe.Webhook.construct_event(r.body, r.headers["Stripe-Signature"], secret)
            for r in receiver.received]


def test_webhooks_are_signed_like_stripe_and_retried(
    stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver,
    sdk: stripe.StripeClient,
) -> None:
    secret = stripe_sandbox.register_webhook(webhook_receiver.url,
                                             ["payment_intent.succeeded"])
    assert secret.startswith("whsec_")
    webhook_receiver.statuses = [500, 503]  # the endpoint is down for two attempts
    pi = sdk.v1.payment_intents.create(params={
        "amount": 2100, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    stripe_sandbox.drain()
    events = _sdk_verified(webhook_receiver, secret)
    assert [e.type for e in events] == ["payment_intent.succeeded"] * 3
    assert len({e.id for e in events}) == 1 and events[0].data.object["id"] == pi.id
    header = webhook_receiver.received[0].headers["Stripe-Signature"]
    assert header.startswith("t=") and ",v1=" in header
    attempts = [(d["attempt"], d["status"]) for d in stripe_sandbox.deliveries()]
    assert attempts == [(1, 500), (2, 503), (3, 200)]
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(webhook_receiver.received[0].body, header,
                                       "whsec_wrong")


def test_duplicates_and_out_of_order_switches(
    stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver,
    sdk: stripe.StripeClient,
) -> None:
    secret = stripe_sandbox.register_webhook(webhook_receiver.url, ["payment_intent.*"])
    stripe_sandbox.control("webhooks", {"duplicates": True})
    sdk.v1.payment_intents.create(params={
        "amount": 2100, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    stripe_sandbox.drain()
    types = [e.type for e in _sdk_verified(webhook_receiver, secret)]
    assert types == ["payment_intent.created"] * 2 + ["payment_intent.succeeded"] * 2

    webhook_receiver.received.clear()
    stripe_sandbox.control("webhooks", {"duplicates": False, "hold": True})
    sdk.v1.payment_intents.create(params={
        "amount": 2200, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    stripe_sandbox.drain()
    assert webhook_receiver.received == [], "held deliveries wait for release"
    assert stripe_sandbox.control("webhooks/release", {"order": "reverse"})["released"] == 2
    stripe_sandbox.drain()
    events = _sdk_verified(webhook_receiver, secret)
    assert [e.type for e in events] == ["payment_intent.succeeded", "payment_intent.created"]

    webhook_receiver.received.clear()
    stripe_sandbox.control("webhooks", {"hold": False})
    stripe_sandbox.control(f"events/{events[0].id}/resend")
    stripe_sandbox.drain()
    assert [e.id for e in _sdk_verified(webhook_receiver, secret)] == [events[0].id]


def test_disputes_open_and_close_on_command(
    stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver,
    sdk: stripe.StripeClient,
) -> None:
    secret = stripe_sandbox.register_webhook(webhook_receiver.url, ["charge.dispute.*"])
    pi = sdk.v1.payment_intents.create(params={
        "amount": 3000, "currency": "usd", "payment_method": "pm_card_visa", "confirm": True})
    dispute = stripe_sandbox.control("disputes", {"payment_intent": pi.id,
                                                  "reason": "product_not_received"})
    assert dispute["status"] == "needs_response" and dispute["payment_intent"] == pi.id
    with pytest.raises(stripe.InvalidRequestError):  # a disputed charge cannot be refunded
        sdk.v1.refunds.create(params={"payment_intent": pi.id})
    closed = stripe_sandbox.control(f"disputes/{dispute['id']}/close", {"outcome": "lost"})
    assert closed["status"] == "lost"
    stripe_sandbox.drain()
    types = [e.type for e in _sdk_verified(webhook_receiver, secret)]
    assert types == ["charge.dispute.created", "charge.dispute.funds_withdrawn",
                     "charge.dispute.closed"]
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.disputes.update(dispute["id"], params={"evidence": {"receipt": "x"}})


def test_forward_to_like_stripe_listen(webhook_receiver: WebhookReceiver) -> None:
    with StripeSandbox(forward_to=webhook_receiver.url, forward_secret="whsec_fixed",
                       retry_delays=(0.05,)) as sandbox:
        client = stripe.StripeClient("sk_test_fw", base_addresses={"api": sandbox.url})
        customer = client.v1.customers.create(params={"email": "f@example.com"})
        assert sandbox.dispatcher.drain(10)
    events = _sdk_verified(webhook_receiver, "whsec_fixed")
    assert [(e.type, e.data.object["id"]) for e in events] == [
        ("customer.created", customer.id)]


def test_cli_runs_the_sandbox_on_a_port() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [str(VENV_BIN / "sfr3"), "stripe-sandbox", "--port", str(port)]
    with running(cmd, f"{url}/_sandbox/health", log_name="stripe-sandbox-cli"):
        client = stripe.StripeClient("sk_test_cli", base_addresses={"api": url})
        assert client.v1.customers.create().id.startswith("cus_")
    out = subprocess.run([str(VENV_BIN / "sfr3"), "stripe-sandbox", "--help"],
                         capture_output=True, text=True, cwd=ROOT, check=True)
    assert "--forward-to" in out.stdout
    assert "POST /_sandbox/clock/advance" in out.stdout  # controls.py's list


def test_split_modules_keep_the_old_import_paths() -> None:
    """store.py and finance.py were split by resource family; every name they defined
    still imports from them, and the dispute-card tables (now derived from catalog.py)
    hold what they used to spell out."""
    from sfr3_dev.stripe_sandbox import balance_transactions, errors, files, finance, store

    old_store_names = ["Obj", "DISPUTE_FEE", "DAY", "EVIDENCE_FIELDS", "StripeError",
                       "invalid", "missing", "new_id", "_int", "_bool", "_str_map", "_Tracked",
                       "_CODECS", "_SCHEMA_VERSION", "_dumps", "Store", "_ref", "_type_match",
                       "_enabled"]
    assert [name for name in old_store_names if not hasattr(store, name)] == []
    assert store.StripeError is errors.StripeError and store.invalid is errors.invalid
    assert store.Store(path=None).call("GET", "/v1/nowhere", {})[0] == 404
    assert finance.set_balance_transaction_amount is \
        balance_transactions.set_balance_transaction_amount
    assert finance.parse_multipart is files.parse_multipart
    assert finance.DISPUTE_CARDS == {
        "pm_card_createDispute": ("fraudulent", "dispute"),
        "pm_card_createDisputeProductNotReceived": ("product_not_received", "dispute"),
        "pm_card_createDisputeInquiry": ("fraudulent", "inquiry"),
        "pm_card_createMultipleDisputes": ("fraudulent", "multiple"),
        "pm_card_createIssuerFraudRecord": ("fraudulent", "early_fraud_warning"),
    }
    assert finance.DISPUTE_LAST4 == {
        "pm_card_createDispute": "0259", "pm_card_createDisputeProductNotReceived": "2685",
        "pm_card_createDisputeInquiry": "1976", "pm_card_createMultipleDisputes": "0079",
        "pm_card_createIssuerFraudRecord": "5423"}
