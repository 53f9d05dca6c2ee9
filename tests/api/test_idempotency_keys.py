"""`Idempotency-Key` on POST: same key and body → the first answer; other body → 422."""

from __future__ import annotations

from tests.api.support import footprint
from tests.e2e.stack import charge, enroll


def test_same_key_same_body_replays_the_first_payment(stack, resident, manager, rid):
    method = enroll(resident, rid)
    charge(manager, rid, 2100)
    body = {"amount": 700, "paymentMethodId": method}
    key = {"Idempotency-Key": "k-pay-1"}
    first = resident.post(f"/residents/{rid}/payments", body, headers=key)
    assert first.status_code == 202, first.text
    stack.drain()
    again = resident.post(f"/residents/{rid}/payments", body, headers=key)
    assert (again.status_code, again.json()) == (202, first.json())
    history = resident.get(f"/residents/{rid}/payments").json()["payments"]
    assert [p["paymentId"] for p in history] == [first.json()["paymentId"]]
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 1400

    before = footprint(stack, rid)
    other = resident.post(f"/residents/{rid}/payments", {**body, "amount": 701}, headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["error"]
    assert footprint(stack, rid) == before
    # Without a key the same body is a second, separate payment.
    assert resident.post(f"/residents/{rid}/payments", body).status_code == 202


def test_refusals_are_replayed_too_and_keys_are_scoped(stack, resident, manager, rid):
    method = enroll(resident, rid)
    key = {"Idempotency-Key": "shared-key"}
    body = {"amount": 100, "paymentMethodId": method}
    r1 = resident.post(f"/residents/{rid}/payments", body, headers=key)
    assert r1.json()["error"] == "No balance due"
    # The same key on another route (a staff charge) is a different request.
    c = manager.post(f"/residents/{rid}/charges",
                     {"amount": 300, "chargeType": "RENT", "description": "Rent"}, headers=key)
    assert c.status_code == 201
    c2 = manager.post(f"/residents/{rid}/charges",
                      {"amount": 300, "chargeType": "RENT", "description": "Rent"}, headers=key)
    assert c2.json() == c.json()
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 300
    # The first refusal is the remembered answer for that key and body.
    r2 = resident.post(f"/residents/{rid}/payments", body, headers=key)
    assert (r2.status_code, r2.json()) == (r1.status_code, r1.json())


def test_enroll_and_refund_with_keys(stack, resident, finance, manager, rid):
    key = {"Idempotency-Key": "enroll-1"}
    body = {"type": "card", "paymentMethodId": "pm_card_visa"}
    a = resident.post(f"/residents/{rid}/payment-methods", body, headers=key)
    b = resident.post(f"/residents/{rid}/payment-methods", body, headers=key)
    assert a.status_code == b.status_code == 201 and a.json() == b.json()
    charge(manager, rid, 1000)
    pid = resident.post(f"/residents/{rid}/payments", {
        "amount": 1000, "paymentMethodId": a.json()["methodId"]}).json()["paymentId"]
    stack.drain()
    rk = {"Idempotency-Key": "refund-1"}
    r1 = finance.post(f"/residents/{rid}/payments/{pid}/refund", {"amount": 300}, headers=rk)
    r2 = finance.post(f"/residents/{rid}/payments/{pid}/refund", {"amount": 300}, headers=rk)
    assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json()
    stack.drain()
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 300


def test_bad_key_is_400(stack, resident, rid):
    r = resident.post(f"/residents/{rid}/payment-methods",
                      {"type": "card", "paymentMethodId": "pm_card_visa"},
                      headers={"Idempotency-Key": "x" * 300})
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["error"]
