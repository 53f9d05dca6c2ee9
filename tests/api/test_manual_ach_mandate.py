"""A manual (on-session) ACH payment through `POST /residents/{id}/payments` carries the
resident's mandate acceptance: this request's source IP, User-Agent and moment, sent to
Stripe as `mandate_data` and recorded on the payment (`PaymentInitiated`), so a retry of
the same Idempotency-Key re-sends exactly the first request (Stripe refuses a key reused
with other parameters). Without a User-Agent there is nothing to record: 400, nothing
written. Cards are unchanged. The local Stripe refuses an on-session ACH confirmation
without a mandate, as Stripe does, so the old request could not pass any more.
"""

from __future__ import annotations

import uuid
from typing import Any

from sfr3_ledger import ResidentLedger
from tests.api.support import footprint
from tests.api.test_autopay_mandate import enroll_bank, mandates
from tests.e2e.stack import Client, Stack, charge, enroll

AGENT = "Mozilla/5.0 (manual ACH test)"


def _initiated(stack: Stack, rid: str, payment_id: str) -> Any:
    events = stack.ledger().events.get(ResidentLedger.create_id(rid))
    [event] = [e for e in events if type(e).__name__ == "PaymentInitiated"
               and e.payment_id == payment_id]
    return event


def _charge_mandate(stack: Stack, rid: str, payment_id: str) -> dict[str, Any]:
    """The mandate the payment's charge names in the local Stripe."""
    store = stack.sandbox.store
    ref = stack.ledger().payment(rid, payment_id).stripe_ref
    with store.lock:
        charge_id = store.objects[ref]["latest_charge"]
        named = store.objects[charge_id]["payment_method_details"]["us_bank_account"]
    return mandates(stack)[named["mandate"]]


def test_an_ach_payment_sends_and_records_the_requests_acceptance(stack, resident, manager,
                                                                  rid):
    method = enroll_bank(resident, rid)
    charge(manager, rid, 150_000)
    r = resident.post(f"/residents/{rid}/payments", {"amount": 150_000,
                                                     "paymentMethodId": method},
                      headers={"User-Agent": AGENT})
    assert r.status_code == 202, r.text
    payment_id = r.json()["paymentId"]
    acceptance = _initiated(stack, rid, payment_id).mandate_acceptance
    assert (acceptance.ip_address, acceptance.user_agent) == ("127.0.0.1", AGENT)
    mandate = _charge_mandate(stack, rid, payment_id)
    assert (mandate["status"], mandate["type"]) == ("active", "single_use")
    assert mandate["customer_acceptance"] == {
        "type": "online", "accepted_at": int(acceptance.accepted_at.timestamp()),
        "online": {"ip_address": "127.0.0.1", "user_agent": AGENT}}
    assert stack.ledger().payment(rid, payment_id).status.value == "PENDING"


def test_a_retried_key_resends_the_first_acceptance(stack, resident, manager, rid):
    """Stripe made the intent but its answer was lost; the client retries the same key
    from another browser: the payment's recorded acceptance is what is sent, so Stripe
    replays its first answer (one intent) instead of refusing the key."""
    method = enroll_bank(resident, rid)
    charge(manager, rid, 90_000)
    key = {"Idempotency-Key": f"k-ach-{uuid.uuid4().hex[:8]}"}
    body = {"amount": 90_000, "paymentMethodId": method}
    sandbox = stack.sandbox
    with sandbox.store.lock:
        sandbox.drop_responses.extend(["/v1/payment_intents"] * 3)
    try:
        first = resident.post(f"/residents/{rid}/payments", body,
                              headers={**key, "User-Agent": AGENT})
    finally:
        with sandbox.store.lock:
            sandbox.drop_responses.clear()
    assert first.status_code == 503, first.text
    [payment_id] = [p for p in stack.ledger().ledger(rid).payments]
    assert stack.ledger().payment(rid, payment_id).stripe_ref is None
    again = resident.post(f"/residents/{rid}/payments", body,
                          headers={**key, "User-Agent": "Other/2.0 (a second browser)"})
    assert again.status_code == 202, again.text
    assert again.json()["paymentId"] == payment_id
    mandate = _charge_mandate(stack, rid, payment_id)
    assert mandate["customer_acceptance"]["online"]["user_agent"] == AGENT
    with sandbox.store.lock:
        intents = [pi for pi in sandbox.store.by_kind["payment_intent"].values()
                   if pi["metadata"].get("payment_id") == payment_id]
    assert len(intents) == 1


def test_an_ach_payment_without_a_user_agent_is_400_and_records_nothing(
        stack: Stack, resident: Client, manager: Client, rid: str) -> None:
    method = enroll_bank(resident, rid)
    charge(manager, rid, 50_000)
    before = footprint(stack, rid)
    r = resident.post(f"/residents/{rid}/payments", {"amount": 50_000,
                                                     "paymentMethodId": method},
                      headers={"User-Agent": ""})
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_request"
    assert footprint(stack, rid) == before
    assert stack.ledger().ledger(rid).payments == {}


def test_a_card_payment_is_unchanged(stack, resident, manager, rid):
    card = enroll(resident, rid)
    charge(manager, rid, 20_000)
    before = len(mandates(stack))
    r = resident.post(f"/residents/{rid}/payments", {"amount": 20_000,
                                                     "paymentMethodId": card},
                      headers={"User-Agent": ""})  # a card needs no acceptance
    assert r.status_code == 202, r.text
    assert _initiated(stack, rid, r.json()["paymentId"]).mandate_acceptance is None
    assert len(mandates(stack)) == before
