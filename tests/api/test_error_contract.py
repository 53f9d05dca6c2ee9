"""The brief's error contract: exact bodies for the balance rules, a clear 4xx JSON error for
every other bad input, and nothing written when a request is refused."""

from __future__ import annotations

import pytest

from tests.api.support import footprint
from tests.e2e.stack import charge, enroll


def test_balance_rules_have_the_briefs_exact_bodies(stack, resident, manager, rid):
    method = enroll(resident, rid)
    r = resident.post(f"/residents/{rid}/payments", {"amount": 100, "paymentMethodId": method})
    assert (r.status_code, r.json()) == (400, {"error": "No balance due",
                                               "code": "no_balance_due"})
    charge(manager, rid, 2100)
    r = resident.post(f"/residents/{rid}/payments", {"amount": 2101, "paymentMethodId": method})
    assert r.status_code == 400
    assert r.json()["error"] == "Amount exceeds current balance"
    assert r.json()["balance"] == 2100


@pytest.mark.parametrize(
    ("body", "raw"),
    [
        (None, "{not json"),
        (None, "[1, 2]"),
        ({}, None),
        ({"amount": 0}, None),
        ({"amount": -5}, None),
        ({"amount": 10.5}, None),
        ({"amount": "100"}, None),
        ({"amount": True}, None),
        ({"amount": 10**12}, None),
        ({"amount": 100}, None),  # method missing
        ({"amount": 100, "paymentMethodId": 7}, None),
        ({"amount": 100, "paymentMethodId": "meth_unknown"}, None),
        ({"amount": 100, "paymentMethodId": "METHOD", "extra": 1}, None),
    ],
)
def test_bad_payment_requests_are_4xx_json_and_change_nothing(stack, resident, manager, rid,
                                                              body, raw):
    method = enroll(resident, rid)
    charge(manager, rid, 2100)
    if body and body.get("paymentMethodId") == "METHOD":
        body["paymentMethodId"] = method
    before = footprint(stack, rid)
    r = resident.post(f"/residents/{rid}/payments", body, raw=raw)
    assert 400 <= r.status_code < 500, r.text
    assert isinstance(r.json()["error"], str) and r.json()["error"]
    assert "Traceback" not in r.text
    assert footprint(stack, rid) == before


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 2100, "chargeType": "PIZZA", "description": "Rent"},
        {"amount": 2100, "chargeType": "RENT"},
        {"amount": 2100.0, "chargeType": "RENT", "description": "Rent"},
        {"amount": 2100, "chargeType": "RENT", "description": "Rent", "dueDate": "2026-02-30"},
        {"amount": 2100, "chargeType": "RENT", "description": "Rent", "state": "XX"},
        {"amount": 2100, "chargeType": "RENT", "description": ""},
    ],
)
def test_bad_charges_are_rejected(stack, manager, rid, body):
    before = footprint(stack, rid)
    r = manager.post(f"/residents/{rid}/charges", body)
    assert 400 <= r.status_code < 500 and r.json()["error"], r.text
    assert footprint(stack, rid) == before


def test_removed_method_cannot_pay_and_unknown_method_is_404(stack, resident, manager, rid):
    method = enroll(resident, rid)
    charge(manager, rid)
    assert resident.delete(f"/residents/{rid}/payment-methods/{method}").status_code == 200
    listed = resident.get(f"/residents/{rid}/payment-methods").json()["paymentMethods"]
    assert listed == []
    before = footprint(stack, rid)
    r = resident.post(f"/residents/{rid}/payments", {"amount": 100, "paymentMethodId": method})
    assert r.status_code == 404 and "not found" in r.json()["error"]
    assert resident.delete(f"/residents/{rid}/payment-methods/meth_nope").status_code == 404
    assert footprint(stack, rid) == before


def test_bad_method_enrollments(stack, resident, rid):
    for body in ({"type": "paypal", "paymentMethodId": "pm_card_visa"},
                 {"type": "card"},
                 {"type": "card", "paymentMethodId": "not-a-pm"},
                 {"type": "us_bank_account", "paymentMethodId": "pm_card_visa"}):
        r = resident.post(f"/residents/{rid}/payment-methods", body)
        assert 400 <= r.status_code < 500 and r.json()["error"], (body, r.text)
    assert resident.get(f"/residents/{rid}/payment-methods").json()["paymentMethods"] == []


def test_refund_rules(stack, resident, manager, finance, rid):
    method = enroll(resident, rid)
    charge(manager, rid, 3000)
    stack.control("webhooks", {"hold": True})
    try:
        r = resident.post(f"/residents/{rid}/payments", {"amount": 1000,
                                                         "paymentMethodId": method})
        pid = r.json()["paymentId"]
        # Still PENDING (the success webhook is held): not refundable yet.
        r = finance.post(f"/residents/{rid}/payments/{pid}/refund")
        assert r.status_code == 400 and r.json()["status"] == "PENDING", r.text
    finally:
        stack.control("webhooks/release", {"order": "fifo"})
        stack.control("webhooks", {"hold": False})
    stack.drain()
    assert finance.post(f"/residents/{rid}/payments/pay_other/refund").status_code == 404
    for bad in ({"amount": 0}, {"amount": 1.5}, {"amount": 5000}, {"amt": 1}):
        r = finance.post(f"/residents/{rid}/payments/{pid}/refund", bad)
        assert 400 <= r.status_code < 500, (bad, r.text)
    r = finance.post(f"/residents/{rid}/payments/{pid}/refund", {"amount": 400})
    assert r.status_code == 200, r.text
    assert (r.json()["amount"], r.json()["status"]) == (400, "PARTIALLY_REFUNDED")
    r = manager.post(f"/residents/{rid}/payments/{pid}/refund")
    assert (r.status_code, r.json()["amount"], r.json()["status"]) == (200, 600, "REFUNDED")
    stack.drain()
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 3000


def test_unknown_paths_and_methods_are_json_404(stack, resident, rid):
    for method, path in (("GET", "/nope"), ("GET", f"/residents/{rid}/wat"),
                         ("PUT", f"/residents/{rid}/balance")):
        r = resident.request(method, path)
        assert r.status_code in (404, 405) and r.json()["error"], (path, r.text)


def test_history_filters(stack, resident, manager, rid):
    m1 = enroll(resident, rid, "pm_card_visa")
    m2 = enroll(resident, rid, "pm_card_mastercard")
    charge(manager, rid, 1000)
    for m in (m1, m2):
        assert resident.post(f"/residents/{rid}/payments",
                             {"amount": 100, "paymentMethodId": m}).status_code == 202
    stack.drain()
    history = resident.get(f"/residents/{rid}/payments").json()["payments"]
    assert [p["status"] for p in history] == ["SETTLED", "SETTLED"]
    only = resident.get(f"/residents/{rid}/payments", params={"paymentMethodId": m2}).json()
    assert [p["paymentMethodId"] for p in only["payments"]] == [m2]
    day = history[0]["initiatedAt"][:10]
    assert len(resident.get(f"/residents/{rid}/payments",
                            params={"from": day, "to": day}).json()["payments"]) == 2
    assert resident.get(f"/residents/{rid}/payments",
                        params={"from": "2000-01-01", "to": "2000-01-02"}
                        ).json()["payments"] == []
    r = resident.get(f"/residents/{rid}/payments", params={"from": "yesterday"})
    assert r.status_code == 400 and "from" in r.json()["error"]
