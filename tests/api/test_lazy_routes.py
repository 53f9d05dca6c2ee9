"""A cold API handler imports what its request needs, on that request (issue 17).

`sfr3_lambdas.api` includes a resource's router on the first request for it
(`router_module`), and the ledger imports the autopay, lease, reconciliation and payment
flows' modules on first use. The cold checks run in a fresh interpreter: in this one,
other tests have long since imported everything.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from sfr3_lambdas import api
from sfr3_lambdas.api import policy

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "https://app.example.com"

# What a balance never needs (its first request included): other resources' routes, the
# aggregates and flows they use.
NOT_FOR_A_BALANCE = (
    "sfr3_lambdas.api.autopay", "sfr3_lambdas.api.leases", "sfr3_lambdas.api.disputes",
    "sfr3_lambdas.api.reports", "sfr3_lambdas.api.analytics", "sfr3_lambdas.api.charges",
    "sfr3_lambdas.api.payment_methods", "sfr3_ledger.autopay", "sfr3_ledger.autopay_mandates",
    "sfr3_ledger.reconciliation_job", "sfr3_ledger.reconciliation_runs",
    "sfr3_ledger.payment_service", "sfr3_ledger.payment_provider",
    "sfr3_ledger.read_models.disputes", "sfr3_ledger.read_models.payment_health",
)

COLD = r"""
import json, sys
import sfr3_lambdas.api as api

def ask(method, path, claims, headers=None, body=None):
    event = {"httpMethod": method, "path": path, "headers": headers or {}, "body": body,
             "isBase64Encoded": False, "queryStringParameters": None,
             "requestContext": {"requestId": "r", "stage": "dev",
                                "authorizer": {"claims": claims} if claims else None}}
    answer = api.handler(event, None)
    body = answer.get("body")
    headers = {**(answer.get("headers") or {}),
               **{k: ",".join(v) for k, v in (answer.get("multiValueHeaders") or {}).items()}}
    return [answer["statusCode"], json.loads(body) if body else None, headers]

def loaded():
    return sorted(m for m in sys.modules if m.startswith(("sfr3_lambdas.api.", "sfr3_ledger")))

me = {"sub": "u-1", "custom:residentId": "r-1"}
steps = {"import": [None, loaded()]}
for name, method, path, claims, headers, *body in json.loads(sys.argv[1]):
    steps[name] = [ask(method, path, claims or None, headers, *body), loaded()]
if len(sys.argv) > 2:
    steps["all_methods"] = sorted({r.method for r in api.app._static_routes
                                   + api.app._dynamic_routes} | {"OPTIONS"})
print("COLD " + json.dumps(steps))
"""


def cold(steps: list[tuple[Any, ...]], *, extra_env: dict[str, str] | None = None,
         all_methods: bool = False) -> dict[str, Any]:
    """Run `steps` (name, method, path, claims, headers[, body]) on a fresh interpreter's
    handler; each step's answer and the sfr3 modules imported after it."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG", "TMPDIR")
           if key in os.environ}
    env.update({"PERSISTENCE_MODULE": "eventsourcing.popo", "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_REGION": "us-east-1", **(extra_env or {})})
    argv = [sys.executable, "-c", COLD, json.dumps(steps)] + (["all"] if all_methods else [])
    result = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120, check=True)
    [line] = [x for x in result.stdout.splitlines() if x.startswith("COLD ")]
    found: dict[str, Any] = json.loads(line[len("COLD "):])
    return found


def _filled(path: str) -> str:
    return re.sub(r"<(\w+)>", "x-1", path)


def test_every_route_is_found_by_the_module_that_holds_it() -> None:
    ours = [r for r in policy.routes(api.app) if r.func.__module__.startswith("sfr3_lambdas.api.")]
    assert {r.func.__module__.rsplit(".", 1)[1] for r in ours} == set(api.ROUTERS)
    for route in ours:
        module = route.func.__module__.rsplit(".", 1)[1]
        assert module in api.ROUTERS
        assert api.router_module(_filled(route.path)) == module, (route.method, route.path)


def test_app_read_from_outside_has_every_router() -> None:
    modules = {r.func.__module__ for r in policy.routes(api.app)}
    assert {f"sfr3_lambdas.api.{name}" for name in api.ROUTERS} <= modules


def test_a_path_of_no_resource_names_no_module() -> None:
    for path in ("/", "/residents", "/residents/r-1", "/residents/r-1/nothing", "/swagger",
                 "/nothing/at/all", "residents/r-1/balance"):
        assert api.router_module(path) is None, path


def test_a_cold_balance_imports_no_other_resource_and_the_next_request_includes_its_own() -> None:
    me = {"sub": "u-1", "custom:residentId": "r-1"}
    steps = cold([("balance", "GET", "/residents/r-1/balance", me, None),
                  ("autopay", "GET", "/residents/r-1/autopay", me, None),
                  ("lease", "GET", "/residents/r-1/lease", me, None)])
    imported = steps["import"][1]
    assert not [m for m in NOT_FOR_A_BALANCE if m in imported]
    assert "sfr3_lambdas.api.payments" not in imported
    (status, body, _), after_balance = steps["balance"]
    assert (status, body["balance"]) == (200, 0)
    assert "sfr3_lambdas.api.payments" in after_balance
    assert not [m for m in NOT_FOR_A_BALANCE if m in after_balance]
    (status, body, _), after_autopay = steps["autopay"]
    assert (status, body["code"]) == (404, "autopay_not_found")  # the route ran
    assert {"sfr3_lambdas.api.autopay", "sfr3_ledger.autopay"} <= set(after_autopay)
    assert "sfr3_lambdas.api.leases" not in after_autopay
    (status, body, _), _ = steps["lease"]
    assert (status, body["code"]) == (404, "lease_not_found")


def test_a_cold_request_is_authorised_against_the_route_it_includes() -> None:
    """The gate selects the route after including its router: another resident's lease is
    still 403 on a cold start, and an unknown path a 404 (every router included)."""
    other = {"sub": "u-2", "custom:residentId": "r-2"}
    steps = cold([("lease", "GET", "/residents/r-1/lease", other, None),
                  ("unknown", "GET", "/residents/r-1/nothing", other, None)])
    (status, body, _), _ = steps["lease"]
    assert (status, body["code"]) == (403, "forbidden")
    (status, body, _), after = steps["unknown"]
    assert status == 404
    assert {f"sfr3_lambdas.api.{name}" for name in api.ROUTERS} <= set(after)


def test_a_cold_preflight_allows_every_routes_method() -> None:
    preflight = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    steps = cold([("preflight", "OPTIONS", "/residents/r-1/balance", None, preflight)],
                 extra_env={"SFR3_CORS_ORIGINS": ORIGIN}, all_methods=True)
    (status, _, headers), _ = steps["preflight"]
    assert status == 204
    allowed = sorted(m.strip() for m in headers["Access-Control-Allow-Methods"].split(","))
    assert allowed == steps["all_methods"]
    assert {"DELETE", "PATCH", "POST", "GET"} <= set(allowed)


def test_a_cold_write_runs_on_the_router_it_includes() -> None:
    """A staff charge on a cold handler: the router included for it reads the principal,
    validates its (deferred) body model and answers; the balance then sees the charge."""
    staff = {"sub": "pm-1", "cognito:groups": "property-managers"}
    me = {"sub": "u-1", "custom:residentId": "r-1"}
    headers = {"Content-Type": "application/json", "Idempotency-Key": "cold-charge-1"}
    body = json.dumps({"amount": 2100, "chargeType": "RENT", "description": "Rent"})
    bad = json.dumps({"amount": "2100", "chargeType": "RENT", "description": "Rent"})
    steps = cold([("invalid", "POST", "/residents/r-1/charges", staff, headers, bad),
                  ("charge", "POST", "/residents/r-1/charges", staff, headers, body),
                  ("balance", "GET", "/residents/r-1/balance", me, None)])
    (status, answer, _), _ = steps["invalid"]
    assert (status, answer["code"]) == (400, "invalid_request")
    (status, answer, _), after = steps["charge"]
    assert (status, answer["amount"], answer["chargeType"]) == (201, 2100, "RENT")
    assert "sfr3_lambdas.api.charges" in after and "sfr3_lambdas.api.payments" not in after
    (status, answer, _), _ = steps["balance"]
    assert (status, answer["balance"]) == (200, 2100)
