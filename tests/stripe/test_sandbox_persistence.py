"""The sandbox's state survives `kill -9`, and its secret-bearing controls need its key.

The sandbox runs as a real subprocess (`sfr3 stripe-sandbox --state FILE`), is killed with
SIGKILL (no exit handler runs), and is started again on the same file; the official SDK
then finds everything it made before.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

from sfr3_dev.stripe_sandbox import StripeSandbox
from sfr3_dev.stripe_sandbox.store import Store
from tests.harness.procs import ROOT, VENV_BIN, free_port, running
from tests.harness.stripe_sandbox import SandboxHandle, WebhookReceiver, sandbox_control

pytestmark = pytest.mark.stripe_sandbox

KEY = "sk_test_persistence"


@contextlib.contextmanager
def sandbox_process(state: Path, port: int, *extra: str) -> Iterator[subprocess.Popen[bytes]]:
    url = f"http://127.0.0.1:{port}"
    cmd = [str(VENV_BIN / "sfr3"), "stripe-sandbox", "--port", str(port), "--state",
           str(state), "--api-key", KEY, *extra]
    with running(cmd, f"{url}/_sandbox/health", log_name="stripe-sandbox-persistence") as proc:
        yield proc


def kill_9(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL


def raw_post(url: str, path: str, form: list[tuple[str, str]],
             headers: dict[str, str]) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url + path, data=urllib.parse.urlencode(form).encode(),
                                     method="POST",
                                     headers={"Authorization": f"Bearer {KEY}", **headers})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), json.loads(exc.read())


def sdk(url: str) -> stripe.StripeClient:
    return stripe.StripeClient(KEY, base_addresses={"api": url}, max_network_retries=0)


def test_state_survives_sigkill(tmp_path: Path, webhook_receiver: WebhookReceiver) -> None:
    state = tmp_path / "stripe-sandbox.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with sandbox_process(state, port) as proc:
        client = sdk(url)
        endpoint = client.v1.webhook_endpoints.create(params={
            "url": webhook_receiver.url, "enabled_events": ["*"]})
        secret = endpoint.secret
        assert secret is not None
        status, _, customer = raw_post(url, "/v1/customers",
                                       [("email", "pat@example.com"),
                                        ("metadata[resident_id]", "res-1")],
                                       {"Idempotency-Key": "cust-res-1"})
        assert status == 200
        pm = client.v1.payment_methods.attach("pm_card_visa",
                                              params={"customer": customer["id"]})
        intent = client.v1.payment_intents.create(params={
            "amount": 2100, "currency": "usd", "customer": customer["id"],
            "payment_method": pm.id, "confirm": True}, options={"idempotency_key": "pay-1"})
        assert intent.status == "succeeded"
        bank = client.v1.payment_methods.create(params={
            "type": "us_bank_account", "billing_details": {"name": "Pat Resident"},
            "us_bank_account": {"routing_number": "110000000",
                                "account_number": "000111111113"}})
        ach = client.v1.payment_intents.create(params={
            "amount": 5000, "currency": "usd", "payment_method": bank.id, "confirm": True,
            "payment_method_types": ["us_bank_account"],
            "mandate_data": {"customer_acceptance": {"type": "online", "online": {
                "ip_address": "203.0.113.1", "user_agent": "test"}}}})
        assert ach.status == "processing"
        refund = client.v1.refunds.create(params={"payment_intent": intent.id,
                                                  "amount": 100})
        events_before = [e.id for e in client.v1.events.list(params={"limit": 100}).data]
        assert len(events_before) >= 8
        kill_9(proc)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with sandbox_process(state, port) as proc:
        client = sdk(url)
        # the payment method (and its test behaviour) is still there, attached
        again = client.v1.payment_methods.retrieve(pm.id)
        assert again.customer == customer["id"] and again.card is not None
        assert again.card.last4 == "4242"
        listed = client.v1.customers.payment_methods.list(customer["id"])
        assert [p.id for p in listed.data] == [pm.id]
        assert client.v1.payment_intents.retrieve(intent.id).status == "succeeded"
        charge = client.v1.charges.retrieve(intent.latest_charge)  # type: ignore[arg-type]
        assert charge.amount_refunded == 100
        assert client.v1.refunds.retrieve(refund.id).amount == 100
        metadata = client.v1.customers.retrieve(customer["id"]).metadata
        assert metadata is not None and metadata.to_dict() == {"resident_id": "res-1"}
        # the saved method still pays
        second = client.v1.payment_intents.create(params={
            "amount": 900, "currency": "usd", "customer": customer["id"],
            "payment_method": pm.id, "confirm": True})
        assert second.status == "succeeded"
        # events list in the same order, and can be resent, signed with the old secret
        events_after = [e.id for e in client.v1.events.list(params={"limit": 100}).data]
        assert events_after[-len(events_before):] == events_before
        webhook_receiver.received.clear()
        first_event = events_before[-1]
        sandbox_control(url, f"events/{first_event}/resend", key=KEY)
        sandbox_control(url, "webhooks/drain", {"timeout": 10}, key=KEY)
        resent = [stripe.Webhook.construct_event(r.body, r.headers["Stripe-Signature"],
                                                 secret)
                  for r in webhook_receiver.received]
        assert first_event in [e.id for e in resent]
        # idempotency keys still replay, and still refuse changed parameters
        status, headers, replay = raw_post(url, "/v1/customers",
                                           [("email", "pat@example.com"),
                                            ("metadata[resident_id]", "res-1")],
                                           {"Idempotency-Key": "cust-res-1"})
        assert status == 200 and replay["id"] == customer["id"]
        assert headers.get("Idempotent-Replayed") == "true"
        status, _, body = raw_post(url, "/v1/customers", [("email", "other@example.com")],
                                   {"Idempotency-Key": "cust-res-1"})
        assert status == 400 and body["error"]["type"] == "idempotency_error"
        replayed = client.v1.payment_intents.create(params={
            "amount": 2100, "currency": "usd", "customer": customer["id"],
            "payment_method": pm.id, "confirm": True}, options={"idempotency_key": "pay-1"})
        assert replayed.id == intent.id
        # the pending ACH payment settles (here: fails, by its test number) on the clock
        settled = sandbox_control(url, "clock/advance", {"seconds": 5 * 86_400},
                                  key=KEY)["settled"]
        assert settled == [ach.id]
        failed = client.v1.payment_intents.retrieve(ach.id)
        assert failed.last_payment_error is not None
        assert failed.last_payment_error.code == "account_closed"
        kill_9(proc)

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with sandbox_process(state, port):  # the clock move was kept too
        assert sandbox_control(url, "clock/advance", {"seconds": 0}, key=KEY)["settled"] == []
        assert sdk(url).v1.payment_intents.retrieve(second.id).status == "succeeded"


def test_control_added_forward_survives_sigkill(tmp_path: Path,
                                                webhook_receiver: WebhookReceiver) -> None:
    state = tmp_path / "stripe-sandbox.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with sandbox_process(state, port) as proc:
        answer = sandbox_control(url, "webhooks", {"forward_to": webhook_receiver.url},
                                 key=KEY)
        secret = answer["forward_secret"]
        kill_9(proc)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with sandbox_process(state, port):
        customer = sdk(url).v1.customers.create()
        assert sandbox_control(url, "webhooks/drain", {"timeout": 10}, key=KEY)["idle"]
        events = [stripe.Webhook.construct_event(r.body, r.headers["Stripe-Signature"],
                                                 secret)
                  for r in webhook_receiver.received]
        assert [(e.type, e.data.object["id"]) for e in events] == [
            ("customer.created", customer.id)]
        assert sandbox_control(url, "webhooks", key=KEY)["forward_secret"] == secret


def test_store_restores_every_index(tmp_path: Path) -> None:
    """Another Store on the same file (the first never closed, as after kill -9) sees
    exactly the same state, index by index."""
    path = tmp_path / "state.db"
    first = Store(path=path)
    call = first.call
    _, customer, _ = call("POST", "/v1/customers", {"email": "a@example.com"}, "idem-1")
    _, pm, _ = call("POST", "/v1/payment_methods/pm_card_createDispute/attach",
                    {"customer": customer["id"]})
    call("POST", "/v1/payment_intents", {"amount": "3000", "currency": "usd",
                                         "customer": customer["id"],
                                         "payment_method": pm["id"], "confirm": "true"})
    _, bank, _ = call("POST", "/v1/payment_methods", {
        "type": "us_bank_account", "billing_details": {"name": "P"},
        "us_bank_account": {"routing_number": "110000000", "account_number": "000123456789",
                            "account_holder_type": "company"}})
    status, _, _ = call("POST", "/v1/payment_intents", {
        "amount": "5000", "currency": "usd", "payment_method": bank["id"], "confirm": "true",
        "payment_method_types": ["us_bank_account"], "mandate_data": {"customer_acceptance": {
            "type": "online", "online": {"ip_address": "203.0.113.1", "user_agent": "t"}}}})
    assert status == 200
    _, kept, _ = call("POST", "/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/a",
                                                        "enabled_events": ["*"]})
    _, gone, _ = call("POST", "/v1/webhook_endpoints", {"url": "http://127.0.0.1:9/b",
                                                        "enabled_events": ["*"]})
    call("DELETE", f"/v1/webhook_endpoints/{gone['id']}", {})
    first.advance(60)
    with first.transaction():
        first.injected.append((500, {"error": {"type": "api_error", "message": "x"}}))
    first.extra["sandbox"] = {"forward_secret": "whsec_x"}
    with first.transaction():
        pass

    second = Store(path=path)
    for name in ("objects", "behaviour", "pending_ach", "idempotency", "webhook_secrets",
                 "injected", "clock_offset", "extra"):
        assert getattr(second, name) == getattr(first, name), name
    assert list(second.objects) == list(first.objects)  # insertion order, for lists
    assert {k: list(v) for k, v in second.by_kind.items()} == {
        k: list(v) for k, v in first.by_kind.items()}
    assert gone["id"] not in second.objects and kept["id"] in second.webhook_secrets
    assert second.behaviour[bank["id"]].details["account_holder_type"] == "company"
    assert [d["status"] for d in second._all("dispute")] == ["needs_response"]
    first.close()

    second.reset()  # forgets everything but the server's own settings
    third = Store(path=path)
    assert third.objects == {} and third.idempotency == {} and third.clock_offset == 0
    assert third.extra == {"sandbox": {"forward_secret": "whsec_x"}}
    second.close()
    third.close()


def test_controls_do_not_reveal_the_signing_secret_without_the_key(
    stripe_sandbox: SandboxHandle, webhook_receiver: WebhookReceiver,
) -> None:
    url, secret = stripe_sandbox.url, stripe_sandbox.sandbox.forward_secret
    open_answer = sandbox_control(url, "webhooks", {}, key=None)
    assert "forward_secret" not in open_answer and secret not in json.dumps(open_answer)
    assert "forward_secret" not in sandbox_control(url, "webhooks", {}, key="sk_live_nope")
    with pytest.raises(urllib.error.HTTPError) as refused:
        sandbox_control(url, "webhooks", {"forward_to": webhook_receiver.url}, key=None)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["error"]["type"] == "invalid_request_error"
    assert all(u != webhook_receiver.url for u, _ in stripe_sandbox.sandbox.dispatcher.forwards)
    # a browser-style form post (CSRF) is refused the same way
    form = urllib.request.Request(f"{url}/_sandbox/webhooks", method="POST",
                                  data=f"forward_to={webhook_receiver.url}".encode())
    with pytest.raises(urllib.error.HTTPError) as csrf:
        urllib.request.urlopen(form, timeout=10)
    assert csrf.value.code == 401
    # the key sent to a non-loopback Host (DNS rebinding) gets no secret either
    rebound = urllib.request.Request(f"{url}/_sandbox/webhooks", method="POST", data=b"{}",
                                     headers={"Authorization": f"Bearer {stripe_sandbox.key}",
                                              "Host": "attacker.example:80",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(rebound, timeout=10) as response:
        assert "forward_secret" not in json.loads(response.read())
    # the switches stay open without the key; with it, the secret is handed out
    assert sandbox_control(url, "webhooks", {"hold": False}, key=None)["hold"] is False
    assert stripe_sandbox.control("webhooks", {})["forward_secret"] == secret


def test_pinned_key_is_the_only_key_for_controls() -> None:
    with StripeSandbox(api_key="sk_test_pinned") as sandbox:
        assert "forward_secret" not in sandbox_control(sandbox.url, "webhooks", {},
                                                       key="sk_test_other")
        assert sandbox_control(sandbox.url, "webhooks", {}, key="sk_test_pinned")[
            "forward_secret"] == sandbox.forward_secret


def test_binds_loopback_only_unless_told() -> None:
    with pytest.raises(ValueError, match="loopback"):
        StripeSandbox(host="0.0.0.0")
    with pytest.raises(ValueError, match="loopback"):
        StripeSandbox(host="")
    with StripeSandbox(host="localhost") as sandbox:
        assert sandbox.url.startswith("http://127.0.0.1:")
    done = subprocess.run([str(VENV_BIN / "sfr3"), "stripe-sandbox", "--host", "0.0.0.0",
                           "--port", str(free_port())], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 2 and "--allow-remote" in done.stderr
