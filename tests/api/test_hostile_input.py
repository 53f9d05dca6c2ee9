"""Hostile or careless input gets a clear 400 and changes nothing (issue 10 §3, §5).

Each of these reached a 5xx, a silently different request, a broken email or a FAILED
payment before the fix.
"""

from __future__ import annotations

import json
import os

import pytest
import requests

from sfr3_adapters.reactions import header_safe
from tests.api.support import footprint
from tests.e2e.stack import charge, enroll

DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000


def post_routes(rid: str) -> list[str]:
    return [f"/residents/{rid}/payment-methods", f"/residents/{rid}/charges",
            f"/residents/{rid}/payments", f"/residents/{rid}/payments/pay_x/refund",
            f"/residents/{rid}/autopay", f"/residents/{rid}/autopay/pause",
            f"/residents/{rid}/autopay/cancel"]


@pytest.mark.parametrize("raw", [DEEP_ARRAY, DEEP_OBJECT])
def test_deeply_nested_json_is_400_on_every_post_route(stack, rid, raw):
    from tests.e2e.stack import Client

    clients = {
        "resident": Client(stack, stack.token(resident=rid)),
        "staff": Client(stack, stack.token(staff="pm-1", groups=("property-managers",))),
    }
    for path in post_routes(rid):
        statuses = set()
        for client in clients.values():
            r = client.post(path, raw=raw)
            statuses.add(r.status_code)
            assert r.status_code in (400, 403), (path, r.status_code, r.text)
            if r.status_code == 400:
                assert r.json()["code"] == "invalid_json", r.text
        assert 400 in statuses, "the caller allowed on the route read the body and refused it"
    key = os.environ["STRIPE_SERVICE_API_KEY"]
    r = requests.post(f"{stack.url}/internal/stripe", data=raw, timeout=30,
                      headers={"x-api-key": key, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    r = requests.post(f"{stack.url}/webhooks/stripe", data=raw, timeout=30,
                      headers={"Stripe-Signature": "t=1,v1=00", "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert footprint(stack, rid) == (0, 0, 0, 0)


def test_duplicate_keys_and_non_object_bodies_are_refused(stack, resident, manager, rid):
    method = enroll(resident, rid)
    charge(manager, rid, 3000)
    before = footprint(stack, rid)
    for raw in (
        f'{{"amount": 100, "amount": 3000, "paymentMethodId": "{method}"}}',
        f'{{"amount": 100, "paymentMethodId": "{method}", "paymentMethodId": "x"}}',
        json.dumps([{"amount": 100, "paymentMethodId": method}]),
        "null", '"text"', "100",
    ):
        r = resident.post(f"/residents/{rid}/payments", raw=raw)
        assert r.status_code == 400 and r.json()["code"] == "invalid_json", (raw, r.text)
    r = manager.post(f"/residents/{rid}/charges",
                     raw='{"amount": 1, "amount": 2, "chargeType": "RENT", "description": "x"}')
    assert r.status_code == 400
    assert footprint(stack, rid) == before


@pytest.mark.parametrize("text", ["Rent\r\nBcc: all@example.com", "Rent\x00", "Rent\nmore",
                                  "Rent\u2028more"])
def test_free_text_with_control_characters_is_refused(stack, resident, manager, rid, text):
    enroll(resident, rid)
    before = footprint(stack, rid)
    r = manager.post(f"/residents/{rid}/charges",
                     {"amount": 100, "chargeType": "OTHER", "description": text})
    assert r.status_code == 400, r.text
    assert "description" in r.json()["error"]
    r = resident.post(f"/residents/{rid}/payment-methods",
                      {"type": "card", "paymentMethodId": "pm_card_visa", "label": text})
    assert r.status_code == 400, r.text
    assert footprint(stack, rid) == before


def test_mail_subjects_never_carry_line_breaks():
    assert header_safe("New charge: Rent\r\nBcc: x@evil.example $1.00") == (
        "New charge: Rent Bcc: x@evil.example $1.00")
    assert "\n" not in header_safe("a\u2028b\x00c" * 100) and len(header_safe("x" * 500)) == 150


def test_a_payment_below_the_minimum_is_bad_input_not_a_decline(stack, resident, manager, rid):
    method = enroll(resident, rid)
    charge(manager, rid, 3000)
    before = footprint(stack, rid)
    r = resident.post(f"/residents/{rid}/payments", {"amount": 49, "paymentMethodId": method})
    assert (r.status_code, r.json()["code"]) == (400, "invalid_amount"), r.text
    assert footprint(stack, rid) == before
    assert resident.get(f"/residents/{rid}/payments").json()["payments"] == []
    r = resident.post(f"/residents/{rid}/payments", {"amount": 50, "paymentMethodId": method})
    assert r.status_code == 202, r.text


def test_a_double_clicked_refund_refunds_once(stack, resident, manager, finance, rid):
    method = enroll(resident, rid)
    charge(manager, rid, 3000)
    pid = resident.post(f"/residents/{rid}/payments",
                        {"amount": 3000, "paymentMethodId": method}).json()["paymentId"]
    stack.drain()
    url = f"/residents/{rid}/payments/{pid}/refund"
    first = finance.post(url, {"amount": 100})
    assert first.status_code == 200, first.text
    second = finance.post(url, {"amount": 100})
    assert (second.status_code, second.json()["code"]) == (409, "duplicate_refund"), second.text
    assert second.json()["refundId"] == first.json()["refundId"]
    # A deliberate second refund of the same amount names itself with a key; replays are free.
    key = {"Idempotency-Key": "refund-2"}
    third = finance.post(url, {"amount": 100}, headers=key)
    assert third.status_code == 200 and third.json()["refundId"] != first.json()["refundId"]
    assert finance.post(url, {"amount": 100}, headers=key).json() == third.json()
    stack.drain()
    [payment] = resident.get(f"/residents/{rid}/payments").json()["payments"]
    assert payment["refunded"] == 200
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 200
