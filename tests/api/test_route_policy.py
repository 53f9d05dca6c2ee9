"""Authorisation is decided on the route the resolver runs (issue 10 §1-2).

Before the fix the gate matched its own regexes (`/?$`) against the raw path while the
resolver routed `^…/*$`, so `POST /residents/<other>/charges//` with a resident token
posted a charge on another resident. The matrix below is the policy, written out by
hand: a route added without a row here (or without `@allow`) fails this file.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from sfr3_dev.gateway import LocalContext, proxy_event
from sfr3_lambdas import api, auth
from sfr3_lambdas.api import policy
from tests.api.support import footprint
from tests.e2e.stack import Client, charge, enroll

ALL = {"self", "pm", "finance"}
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("POST", "/residents/<residentId>/payment-methods"): {"self"},
    ("GET", "/residents/<residentId>/payment-methods"): ALL,
    ("DELETE", "/residents/<residentId>/payment-methods/<methodId>"): {"self"},
    ("POST", "/residents/<residentId>/charges"): {"pm", "finance"},
    ("POST", "/residents/<residentId>/payments"): {"self"},
    ("GET", "/residents/<residentId>/payments"): ALL,
    ("GET", "/residents/<residentId>/balance"): ALL,
    ("POST", "/residents/<residentId>/payments/<paymentId>/refund"): {"pm", "finance"},
    ("GET", "/residents/<residentId>/charges"): ALL,
    ("POST", "/residents/<residentId>/lease"): {"pm"},
    ("GET", "/residents/<residentId>/lease"): ALL,
    ("PATCH", "/residents/<residentId>/lease"): {"pm"},
    ("POST", "/residents/<residentId>/lease/end"): {"pm"},
    ("POST", "/residents/<residentId>/autopay"): {"self"},
    ("GET", "/residents/<residentId>/autopay"): ALL,
    ("PATCH", "/residents/<residentId>/autopay"): {"self"},
    ("POST", "/residents/<residentId>/autopay/pause"): {"self"},
    ("POST", "/residents/<residentId>/autopay/resume"): {"self"},
    ("POST", "/residents/<residentId>/autopay/cancel"): ALL,
    ("GET", "/disputes"): {"pm", "finance"},
    ("GET", "/disputes/<disputeId>"): {"pm", "finance"},
    ("POST", "/disputes/<disputeId>/evidence"): {"finance"},
    ("POST", "/disputes/<disputeId>/submit"): {"finance"},
    ("GET", "/reports/reconciliation"): {"finance"},
    ("GET", "/reports/reconciliation/<day>"): {"finance"},
    ("GET", "/analytics/payment-health"): {"pm", "finance"},
}
PRINCIPALS = ["self", "other", "pm", "finance", "no-role", "none"]
# Odd spellings of a route's path: each must be refused, never routed unchecked.
VARIANTS = [
    lambda p: p + "/",
    lambda p: p + "//",
    lambda p: p.replace("/residents/", "/residents//", 1),
    lambda p: "/" + p,
    lambda p: p + "/.",
    lambda p: p.rsplit("/", 1)[0] + "/x/../" + p.rsplit("/", 1)[1],
    lambda p: p.replace("/residents/", "/./residents/", 1),
    lambda p: p.replace("/residents/", "/residents%2F", 1),
    lambda p: p.replace("residents", "resid%65nts", 1),
    lambda p: p + "%00",
    lambda p: p + "\t",
]


def claims(who: str, rid: str) -> dict[str, str] | None:
    return {
        "self": {"sub": "u-self", "custom:residentId": rid},
        "other": {"sub": "u-other", "custom:residentId": f"{rid}-other"},
        "pm": {"cognito:username": "pm-1", "cognito:groups": "property-managers"},
        "finance": {"cognito:username": "fin-1", "cognito:groups": "finance"},
        "no-role": {"sub": "u-nobody"},
        "none": None,
    }[who]


def call(method: str, path: str, who: str, rid: str, body: Any = None) -> dict[str, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"Content-Type": "application/json"} if raw else {}
    event = proxy_event(method, path, headers, raw, claims(who, rid))
    event["path"] = event["resource"] = path  # exactly as spelled, even after a '?'
    return api.handler(event, LocalContext())


def concrete(rule: str, rid: str) -> str:
    return (rule.replace("<residentId>", rid).replace("<methodId>", "meth_nope")
            .replace("<paymentId>", "pay_nope").replace("<disputeId>", "dp_nope")
            .replace("<day>", "2001-01-01"))


def test_every_route_has_a_rule_and_a_row_here() -> None:
    routes = {(r.method, r.path): policy.action_of(r) for r in policy.routes(api.app)}
    assert set(routes) == set(EXPECTED), "a route without a row in this policy matrix"
    assert all(action is not None for action in routes.values()), routes


def test_a_route_without_a_rule_is_refused_to_everyone() -> None:
    [route] = [r for r in policy.routes(api.app) if r.path.endswith("/balance")]
    bare = policy.Selected(route=type(route)(route.method, route.path, route.rule,
                                             lambda: None, None, False),
                           params={"residentId": "r"})
    for principal in (auth.Principal(kind="resident", subject="r", resident_id="r"),
                      auth.Principal(kind="staff", subject="f", groups=frozenset({"finance"}))):
        with pytest.raises(auth.Forbidden):
            policy.authorize(principal, bare)


@pytest.mark.parametrize(("method", "rule"), sorted(EXPECTED))
def test_policy_matrix_on_every_spelling(stack, rid, method: str, rule: str) -> None:
    allowed = EXPECTED[(method, rule)]
    before = footprint(stack, rid)
    # A body that fails validation: an allowed caller gets past the gate and no further.
    body = {"unexpected": 1} if method in ("POST", "PATCH") else None
    path = concrete(rule, rid)
    for who in PRINCIPALS:
        status = call(method, path, who, rid, body)["statusCode"]
        if who == "none":
            assert status == 401, (who, path)
        elif who == "no-role":
            assert status == 403, (who, path)
        elif who in allowed:
            assert status in (200, 400, 404), (who, path, status)
        else:
            assert status == 403, (who, path, status)
        for variant in VARIANTS:
            odd = variant(path)
            if odd == path:  # a spelling trick that does not apply to this path
                continue
            answer = call(method, odd, who, rid, body)
            # Identity comes first: no token is 401, a token with no role 403, anywhere.
            expected = {"none": {401}, "no-role": {403}}.get(who, {400, 404})
            assert answer["statusCode"] in expected, (who, odd, answer)
    assert footprint(stack, rid) == before


def test_the_route_that_runs_must_be_the_one_authorised(stack, rid, monkeypatch) -> None:
    """If the gate and the resolver ever disagreed, the middleware refuses (403)."""
    [balance] = [r for r in policy.routes(api.app) if r.path.endswith("/balance")]
    monkeypatch.setattr(policy, "select", lambda app, method, path: policy.Selected(
        route=balance, params={"residentId": rid}))
    before = footprint(stack, rid)
    body = {"amount": 100, "chargeType": "OTHER", "description": "x"}
    answer = call("POST", f"/residents/{rid}/charges", "self", rid, body)
    assert answer["statusCode"] == 403, answer
    assert footprint(stack, rid) == before


def test_the_reported_bypass_is_closed_through_http(stack, resident, manager, rid) -> None:
    other = f"{rid}-victim"
    victim = Client(stack, stack.token(resident=other))
    method = enroll(victim, other)
    charge(manager, other, 3000)
    before = footprint(stack, other)
    body = {"amount": 100, "chargeType": "OTHER", "description": "x"}
    for path in (f"/residents/{other}/charges//", f"/residents/{other}/charges/",
                 f"/residents//{other}/charges", f"/residents/{other}%2F/charges"):
            # (requests itself removes "." segments: those are in the matrix above)
        r = resident.post(path, body)
        assert r.status_code == 400 and r.json()["code"] == "invalid_path", (path, r.text)
    assert resident.delete(f"/residents/{other}/payment-methods/{method}//").status_code == 400
    finance = Client(stack, stack.token(staff="fin-1", groups=("finance",)))
    r = finance.post(f"/residents/{other}/payments//", {"amount": 100, "paymentMethodId": method})
    assert r.status_code == 400
    assert footprint(stack, other) == before
    assert victim.get(f"/residents/{other}/balance").json()["balance"] == 3000


def test_one_key_one_payment_whatever_the_spelling(stack, resident, manager, rid) -> None:
    method = enroll(resident, rid)
    charge(manager, rid, 2100)
    body = {"amount": 700, "paymentMethodId": method}
    key = {"Idempotency-Key": "k-spelling"}
    first = resident.post(f"/residents/{rid}/payments", body, headers=key)
    assert first.status_code == 202, first.text
    second = resident.post(f"/residents/{rid}/payments/", body, headers=key)
    assert second.status_code == 400
    third = resident.post(f"/residents/{rid}/payments", body, headers=key)
    assert third.json() == first.json()
    stack.drain()
    payments = resident.get(f"/residents/{rid}/payments").json()["payments"]
    assert [p["paymentId"] for p in payments] == [first.json()["paymentId"]]


def test_the_idempotency_scope_names_the_operation_not_the_url(stack, rid) -> None:
    from sfr3_lambdas.api import requests as api_requests

    [route] = [r for r in policy.routes(api.app) if r.path.endswith("/payments")
               and r.method == "POST"]
    api.app.append_context(
        principal=auth.Principal(kind="resident", subject=rid, resident_id=rid),
        **{policy.AUTHORISED: policy.Selected(route=route, params={"residentId": rid})})
    try:
        scope = api_requests.operation_scope(api.app, "k")
    finally:
        api.app.clear_context()
    # Built from the route and its parameters (never the raw path), in the shape earlier
    # records were keyed with, so keys in flight across a deploy still replay.
    assert scope == f"resident:{rid}|POST|/residents/{rid}/payments|k"
