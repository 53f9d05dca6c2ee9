"""Who may do what (policy in sfr3_lambdas/auth.py): a refused request is 401/403 and
changes nothing."""

from __future__ import annotations

import pytest
import requests

from tests.api.support import footprint
from tests.e2e.stack import Client, charge, enroll


def test_no_or_bad_token_is_401_everywhere(stack, rid):
    for token in (None, "not-a-jwt"):
        client = Client(stack, token)
        assert client.get(f"/residents/{rid}/balance").status_code == 401
        assert client.post(f"/residents/{rid}/charges", {"amount": 1, "chargeType": "RENT",
                                                         "description": "x"}).status_code == 401
    forged = stack.token(resident=rid) + "x"
    assert Client(stack, forged).get(f"/residents/{rid}/balance").status_code == 401
    assert footprint(stack, rid) == (0, 0, 0, 0)


def test_token_from_another_key_is_401(stack, rid, tmp_path):
    from sfr3_dev import tokens

    other = tokens.issue(resident=rid, root=tmp_path)
    assert Client(stack, other).get(f"/residents/{rid}/balance").status_code == 401


def test_resident_only_touches_itself(stack, resident, manager, rid):
    other = f"{rid}-other"
    method = enroll(Client(stack, stack.token(resident=other)), other)
    charge(manager, other)
    before = footprint(stack, other)
    assert resident.get(f"/residents/{other}/balance").status_code == 403
    assert resident.get(f"/residents/{other}/payments").status_code == 403
    assert resident.get(f"/residents/{other}/payment-methods").status_code == 403
    assert resident.post(f"/residents/{other}/payments",
                         {"amount": 100, "paymentMethodId": method}).status_code == 403
    assert resident.delete(f"/residents/{other}/payment-methods/{method}").status_code == 403
    # 403 comes before validation: even a malformed body learns nothing.
    assert resident.post(f"/residents/{other}/payments", raw="{junk").status_code == 403
    assert footprint(stack, other) == before


def test_residents_cannot_charge_or_refund(stack, resident, manager, rid):
    method = enroll(resident, rid)
    charge(manager, rid)
    pid = resident.post(f"/residents/{rid}/payments",
                        {"amount": 100, "paymentMethodId": method}).json()["paymentId"]
    stack.drain()
    before = footprint(stack, rid)
    r = resident.post(f"/residents/{rid}/charges",
                      {"amount": 100, "chargeType": "OTHER", "description": "x"})
    assert r.status_code == 403 and r.json()["error"]
    assert resident.post(f"/residents/{rid}/payments/{pid}/refund").status_code == 403
    assert footprint(stack, rid) == before


@pytest.mark.parametrize("group", ["property-managers", "finance"])
def test_staff_read_any_resident_charge_and_refund_but_never_pay(stack, resident, rid, group):
    staff = Client(stack, stack.token(staff=f"s-{group}", groups=(group,)))
    method = enroll(resident, rid)
    charge(staff, rid, 500)
    assert staff.get(f"/residents/{rid}/balance").json()["balance"] == 500
    assert staff.get(f"/residents/{rid}/payment-methods").status_code == 200
    before = footprint(stack, rid)
    assert staff.post(f"/residents/{rid}/payments",
                      {"amount": 100, "paymentMethodId": method}).status_code == 403
    assert staff.post(f"/residents/{rid}/payment-methods",
                      {"type": "card", "paymentMethodId": "pm_card_visa"}).status_code == 403
    assert staff.delete(f"/residents/{rid}/payment-methods/{method}").status_code == 403
    assert footprint(stack, rid) == before


def test_token_without_resident_or_staff_group_is_403(stack, rid):
    nobody = Client(stack, stack.token(staff="x", groups=()))
    assert nobody.get(f"/residents/{rid}/balance").status_code == 403
    outsider = Client(stack, stack.token(staff="y", groups=("admins",)))  # not a staff group
    r = outsider.post(f"/residents/{rid}/charges",
                      {"amount": 1, "chargeType": "RENT", "description": "x"})
    assert r.status_code == 403


def test_claims_as_api_gateway_passes_them():
    """Cognito groups arrive comma-joined (REST) or bracketed (HTTP API)."""
    from sfr3_lambdas import auth

    p = auth.principal_from_claims({"sub": "s", "cognito:groups": "finance,other"})
    assert (p.kind, p.groups) == ("staff", frozenset({"finance"}))
    p = auth.principal_from_claims({"sub": "s", "cognito:groups": "[property-managers finance]"})
    assert p.groups == frozenset({"property-managers", "finance"})
    p = auth.principal_from_claims({"sub": "s", "custom:residentId": "r-9"})
    assert (p.kind, p.resident_id, p.may("pay", "r-9"), p.may("pay", "r-8")) == (
        "resident", "r-9", True, False)
    with pytest.raises(auth.Unauthenticated):
        auth.principal_from_claims(None)


def test_internal_stripe_needs_the_api_key(stack):
    r = requests.post(f"{stack.url}/internal/stripe",
                      json={"action": "create_customer", "params": {"resident_id": "x"}},
                      timeout=30)
    assert r.status_code == 401
    r = requests.post(f"{stack.url}/internal/stripe", headers={"x-api-key": "wrong"},
                      json={"action": "create_customer", "params": {"resident_id": "x"}},
                      timeout=30)
    assert r.status_code == 403
