"""Stripe's deliveries as they really come: signed, late, twice, out of order."""

from __future__ import annotations

import json

import requests

from sfr3_dev.stripe_sandbox import sign
from tests.e2e.stack import charge, enroll
from tests.e2e.test_payment_metrics import emitted


def _post_webhook(stack, payload: bytes, signature: str) -> requests.Response:
    return requests.post(f"{stack.url}/webhooks/stripe", data=payload, timeout=30,
                         headers={"Stripe-Signature": signature,
                                  "Content-Type": "application/json"})


def test_bad_signature_is_400_and_applies_nothing(stack, resident, manager, rid):
    method = enroll(resident, rid)
    charge(manager, rid, 1000)
    stack.control("webhooks", {"hold": True})
    try:
        pid = resident.post(f"/residents/{rid}/payments",
                            {"amount": 1000, "paymentMethodId": method}).json()["paymentId"]
        held = [d.event for d in stack.sandbox.dispatcher._held
                if d.event["type"] == "payment_intent.succeeded"]
        assert held, "the sandbox should hold the success event"
        payload = json.dumps(held[0]).encode()
        assert _post_webhook(stack, payload, sign(payload, "whsec_wrong")).status_code == 400
        assert _post_webhook(stack, payload, "").status_code == 400
        assert _post_webhook(stack, payload + b" ",
                             sign(payload, stack.sandbox.forward_secret)).status_code == 400
        [p] = resident.get(f"/residents/{rid}/payments").json()["payments"]
        assert (p["paymentId"], p["status"]) == (pid, "PENDING")
        # The genuine signature is accepted, and a replay of it is harmless.
        good = sign(payload, stack.sandbox.forward_secret)
        first = _post_webhook(stack, payload, good)
        again = _post_webhook(stack, payload, good)
        assert first.status_code == again.status_code == 200
        assert first.json()["outcome"] == again.json()["outcome"] == "settled"
    finally:
        stack.control("webhooks/release", {"order": "fifo"})
        stack.control("webhooks", {"hold": False})
    stack.drain()
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 0


def test_duplicate_deliveries_settle_once(webhook_switches, resident, manager, rid):
    stack = webhook_switches
    method = enroll(resident, rid)
    charge(manager, rid, 2100)
    stack.control("webhooks", {"duplicates": True})
    for amount in (1000, 1100):
        assert resident.post(f"/residents/{rid}/payments",
                             {"amount": amount, "paymentMethodId": method}).status_code == 202
    stack.drain()
    delivered = [a for a in stack.sandbox.dispatcher.attempts
                 if a.type == "payment_intent.succeeded" and a.status == 200]
    assert len({a.event_id for a in delivered}) >= 2 and len(delivered) >= 4
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 0
    statuses = [p["status"] for p in resident.get(f"/residents/{rid}/payments").json()["payments"]]
    assert statuses == ["SETTLED", "SETTLED"]
    # A refund after duplicated deliveries is counted once too.
    pid = resident.get(f"/residents/{rid}/payments").json()["payments"][0]["paymentId"]
    finance_token = stack.token(staff="fin-2", groups=("finance",))
    r = requests.post(f"{stack.url}/residents/{rid}/payments/{pid}/refund", timeout=30,
                      headers={"Authorization": f"Bearer {finance_token}"})
    assert r.status_code == 200, r.text
    stack.drain()
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == r.json()["amount"]


def test_out_of_order_and_late_delivery(webhook_switches, resident, manager, rid):
    """Events released in reverse order (succeeded before created, refund before success)."""
    stack = webhook_switches
    method = enroll(resident, rid)
    charge(manager, rid, 2000)
    stack.control("webhooks", {"hold": True})
    pid = resident.post(f"/residents/{rid}/payments",
                        {"amount": 2000, "paymentMethodId": method}).json()["paymentId"]
    # Nothing delivered yet: the balance does not count the payment until it settles.
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 2000
    assert stack.control("webhooks/release", {"order": "reverse"})["released"] >= 2
    stack.drain()
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 0
    [p] = resident.get(f"/residents/{rid}/payments").json()["payments"]
    assert (p["paymentId"], p["status"]) == (pid, "SETTLED")


def test_failure_after_success_does_not_unsettle(stack, resident, manager, rid):
    """A late `payment_failed` for an intent that already succeeded changes nothing."""
    method = enroll(resident, rid)
    charge(manager, rid, 900)
    pid = resident.post(f"/residents/{rid}/payments",
                        {"amount": 900, "paymentMethodId": method}).json()["paymentId"]
    stack.drain()
    [p] = resident.get(f"/residents/{rid}/payments").json()["payments"]
    succeeded = next(e for e in stack.sandbox.store.objects.values()
                     if e.get("object") == "event" and e["type"] == "payment_intent.succeeded"
                     and e["data"]["object"]["metadata"].get("payment_id") == pid)
    failed = json.loads(json.dumps(succeeded))
    failed["id"] = succeeded["id"] + "late"
    failed["type"] = "payment_intent.payment_failed"
    failed["data"]["object"]["status"] = "requires_payment_method"
    failed["data"]["object"]["last_payment_error"] = {"code": "card_declined",
                                                      "decline_code": "generic_decline"}
    payload = json.dumps(failed).encode()
    r = _post_webhook(stack, payload, sign(payload, stack.sandbox.forward_secret))
    assert r.status_code == 200, r.text
    [after] = resident.get(f"/residents/{rid}/payments").json()["payments"]
    assert after["status"] == "SETTLED" and p["status"] == "SETTLED"
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 0


def test_declined_card_is_402_failed_and_balance_unchanged(stack, resident, manager, rid):
    method = enroll(resident, rid, "pm_card_chargeDeclined")
    charge(manager, rid, 500)
    r = resident.post(f"/residents/{rid}/payments", {"amount": 500, "paymentMethodId": method})
    assert r.status_code == 402, r.text
    assert r.json()["status"] == "FAILED" and r.json()["paymentId"]
    stack.drain()
    [p] = resident.get(f"/residents/{rid}/payments").json()["payments"]
    assert p["status"] == "FAILED" and p["failureReason"]
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 500


def test_signed_events_for_another_intent_move_no_money(stack, resident, manager, rid, capsys):
    """Issue 10 item 4: a genuine signature on a PaymentIntent the ledger never recorded.

    A success for an unknown intent with amount 1 must not settle the 3,000¢ payment, and
    a failure for one must not fail it while its real debit is in flight (releasing the
    reservation would let the resident pay, and be collected, twice).
    """
    method = enroll(resident, rid)
    charge(manager, rid, 3000)
    stack.control("webhooks", {"hold": True})
    try:
        pid = resident.post(f"/residents/{rid}/payments",
                            {"amount": 3000, "paymentMethodId": method}).json()["paymentId"]
        [held] = [d.event for d in stack.sandbox.dispatcher._held
                  if d.event["type"] == "payment_intent.succeeded"
                  and d.event["data"]["object"]["metadata"].get("payment_id") == pid]
        capsys.readouterr()
        forged = json.loads(json.dumps(held))
        forged["id"] = held["id"] + "forged"
        forged["data"]["object"].update(id="pi_unknown", amount=1, amount_received=1)
        failed = json.loads(json.dumps(forged))
        failed["id"] = held["id"] + "forgedfail"
        failed["type"] = "payment_intent.payment_failed"
        failed["data"]["object"].update(amount=3000, amount_received=0,
                                        status="requires_payment_method",
                                        last_payment_error={"code": "card_declined"})
        for event in (forged, failed, forged):  # the replay is deduplicated
            payload = json.dumps(event).encode()
            r = _post_webhook(stack, payload, sign(payload, stack.sandbox.forward_secret))
            assert r.status_code == 200, r.text
            assert r.json()["outcome"] == "rejected: mismatch"
        [p] = resident.get(f"/residents/{rid}/payments").json()["payments"]
        assert (p["paymentId"], p["status"]) == (pid, "PENDING")
        assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 3000
        # The reservation holds: nothing more may be paid against the same balance.
        again = resident.post(f"/residents/{rid}/payments",
                              {"amount": 50, "paymentMethodId": method})
        assert again.status_code == 400, again.text
        totals = emitted(capsys.readouterr().out)
        assert totals.get("WebhookMismatch") == 2, totals
        assert "PaymentsSettled" not in totals and "PaymentsFailed" not in totals
    finally:
        stack.control("webhooks/release", {"order": "fifo"})
        stack.control("webhooks", {"hold": False})
    stack.drain()
    [p] = resident.get(f"/residents/{rid}/payments").json()["payments"]
    assert p["status"] == "SETTLED"
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 0
