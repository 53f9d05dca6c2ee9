"""The ACH mandate of autopay through HTTP (issue 12): an ACH enrollment or switch makes a
Stripe mandate from the request's own acceptance (source IP, User-Agent, now) and records
its id; a card needs none; when the mandate cannot be made, nothing is recorded."""

from __future__ import annotations

from typing import Any

from sfr3_ledger.autopay import AutopayEnrollment
from sfr3_ledger.integration_events import to_envelope
from tests.api.support import footprint
from tests.e2e.stack import Client, enroll

AGENT = "Mozilla/5.0 (autopay test)"


def path(rid: str, action: str = "") -> str:
    return f"/residents/{rid}/autopay" + (f"/{action}" if action else "")


def enroll_bank(client: Client, rid: str, token: str = "pm_usBankAccount_success") -> str:
    r = client.post(f"/residents/{rid}/payment-methods",
                    {"type": "us_bank_account", "paymentMethodId": token})
    assert r.status_code == 201, r.text
    return str(r.json()["methodId"])


def mandates(stack: Any) -> dict[str, dict[str, Any]]:
    store = stack.sandbox.store
    with store.lock:
        return {k: dict(v) for k, v in store.by_kind.get("mandate", {}).items()}


def setup_intents_for(stack: Any, rid: str) -> list[dict[str, Any]]:
    store = stack.sandbox.store
    with store.lock:
        return [dict(s) for s in store.by_kind.get("setup_intent", {}).values()
                if s["metadata"].get("resident_id") == rid]


def test_ach_enrollment_records_the_mandate_made_from_the_request(stack, resident, rid):
    method = enroll_bank(resident, rid)
    r = resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 3},
                      headers={"User-Agent": AGENT})
    assert r.status_code == 201, r.text
    mandate_id = r.json()["mandateId"]
    assert mandate_id and mandate_id.startswith("mandate_")
    mandate = mandates(stack)[mandate_id]
    assert (mandate["status"], mandate["type"]) == ("active", "multi_use")
    assert mandate["customer_acceptance"]["type"] == "online"
    assert mandate["customer_acceptance"]["online"] == {"ip_address": "127.0.0.1",
                                                        "user_agent": AGENT}
    [seti] = setup_intents_for(stack, rid)
    assert (seti["status"], seti["usage"], seti["mandate"]) == (
        "succeeded", "off_session", mandate_id)
    assert seti["payment_method_types"] == ["us_bank_account"]
    # On the stored fact, and in its integration envelope.
    app = stack.ledger()
    enrolled = [e for e in app.events.get(AutopayEnrollment.create_id(rid))
                if type(e).__name__ == "Enrolled"]
    assert [e.mandate_id for e in enrolled] == [mandate_id]
    envelope = to_envelope(enrolled[0], rid)
    assert envelope is not None and envelope["data"]["mandateId"] == mandate_id
    assert resident.get(path(rid)).json()["mandateId"] == mandate_id


def test_a_card_needs_no_mandate_and_switching_makes_or_drops_one(stack, resident, rid):
    card = enroll(resident, rid)
    r = resident.post(path(rid), {"paymentMethodId": card, "chargeDay": 3})
    assert r.status_code == 201 and r.json()["mandateId"] is None, r.text
    assert setup_intents_for(stack, rid) == []
    bank = enroll_bank(resident, rid)
    r = resident.request("PATCH", path(rid), {"paymentMethodId": bank},
                         headers={"User-Agent": AGENT})
    assert r.status_code == 200, r.text
    switched = r.json()["mandateId"]
    assert switched in mandates(stack)
    # Changing only the day keeps the mandate; back to the card drops it.
    r = resident.request("PATCH", path(rid), {"chargeDay": 9})
    assert r.json()["mandateId"] == switched
    r = resident.request("PATCH", path(rid), {"paymentMethodId": card})
    assert r.status_code == 200 and r.json()["mandateId"] is None
    assert len(setup_intents_for(stack, rid)) == 1


def test_no_mandate_no_enrollment(stack, resident, rid):
    method = enroll_bank(resident, rid)
    before = footprint(stack, rid)
    stack.control("fail", {"status": 500, "count": 40})
    try:
        r = resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 3})
    finally:
        stack.control("fail", {"status": 500, "count": 0})
        stack.sandbox.store.injected.clear()
    assert r.status_code == 503, r.text
    assert r.json()["code"] == "provider_unavailable"
    assert footprint(stack, rid) == before, "nothing is recorded without the mandate"
    assert resident.get(path(rid)).status_code == 404
    # The same enrollment a moment later succeeds.
    r = resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 3})
    assert r.status_code == 201 and r.json()["mandateId"], r.text


def test_a_second_enrollment_is_refused_before_any_mandate(stack, resident, rid):
    method = enroll_bank(resident, rid)
    assert resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 3}
                         ).status_code == 201
    r = resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 4})
    assert r.status_code == 409, r.text
    assert len(setup_intents_for(stack, rid)) == 1
