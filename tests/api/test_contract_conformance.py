"""Real answers of a full flow conform to docs/openapi.json, every route's success included.

The fuzz run (test_fuzz_openapi.py) checks whatever its random requests reach, mostly
refusals; this walks each operation of the document to a real success on the local stack
(payment methods, charges, payments settled, declined and refunded, leases, autopay,
disputes with evidence, a reconciliation report as JSON and CSV, payment health), plus
the typical refusals, and validates each answer with schemathesis' conformance checks:
status code listed, content type listed, body valid against that status's schema (the
success models forbid fields they do not name). The last test proves every operation's
success was checked, so a route added later cannot go unchecked.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import requests
import schemathesis

from sfr3_dev.finance import reconcile
from sfr3_lambdas import wiring
from tests.api.test_fuzz_openapi import CHECKS, DOC
from tests.e2e.stack import Client, Stack, charge, enroll, wait_for

SCHEMA = schemathesis.openapi.from_path(str(DOC))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QUIET_DAY = date(2001, 1, 1)  # no activity: reconciling it touches no other test's data
# (METHOD, template) -> statuses whose answers were validated.
CHECKED: dict[tuple[str, str], set[int]] = {}


def conform(response: requests.Response, template: str) -> requests.Response:
    """Validate `response` against the document's operation (`template` as in the doc)."""
    method = str(response.request.method).upper()
    operation = SCHEMA[template][method]
    pattern = re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(template))
    match = re.fullmatch(pattern, urlsplit(str(response.request.url)).path)
    assert match, (template, response.request.url)
    case = operation.Case(path_parameters=match.groupdict() or None)
    case.validate_response(response, checks=CHECKS)
    CHECKED.setdefault((method, template), set()).add(response.status_code)
    return response


LEASE = {"propertyId": "prop-17", "state": "TX", "startDate": "2026-01-01",
         "endDate": "2027-12-31", "monthlyRent": 185000, "rentDueDay": 1,
         "lateFee": {"type": "percent", "percentBps": 500, "capCents": 5000},
         "recurringCharges": [{"code": "pet-fee", "chargeType": "OTHER", "amount": 3500,
                               "description": "Pet fee", "day": 5}]}


def payments_flow(stack: Stack, resident: Client, manager: Client, finance: Client,
                  rid: str) -> None:
    R = "/residents/{residentId}"
    method = conform(resident.post(f"/residents/{rid}/payment-methods",
                                   {"type": "card", "paymentMethodId": "pm_card_visa",
                                    "label": "Visa", "isDefault": True}),
                     f"{R}/payment-methods").json()["methodId"]
    conform(resident.get(f"/residents/{rid}/payment-methods"), f"{R}/payment-methods")
    conform(manager.post(f"/residents/{rid}/charges", {
        "amount": 5000, "chargeType": "RENT", "description": "Rent", "dueDate": "2026-01-01",
        "propertyId": "prop-17", "state": "TX"}), f"{R}/charges")
    paid = conform(resident.post(f"/residents/{rid}/payments",
                                 {"amount": 3000, "paymentMethodId": method},
                                 headers={"Idempotency-Key": f"{rid}-pay"}),
                   f"{R}/payments")
    assert paid.status_code == 202, paid.text
    stack.drain()
    declined = enroll(resident, rid, "pm_card_chargeDeclined")
    refused = conform(resident.post(f"/residents/{rid}/payments",
                                    {"amount": 1000, "paymentMethodId": declined}),
                      f"{R}/payments")
    assert refused.status_code == 402, refused.text
    history = conform(resident.get(f"/residents/{rid}/payments?limit=1"), f"{R}/payments")
    assert history.json()["nextCursor"], history.text
    settled = wait_for(lambda: resident.get(f"/residents/{rid}/payments").json(),
                       lambda b: any(p["status"] == "SETTLED" for p in b["payments"]))
    conform(resident.get(f"/residents/{rid}/payments"), f"{R}/payments")
    conform(resident.get(f"/residents/{rid}/balance"), f"{R}/balance")
    conform(resident.get(f"/residents/{rid}/charges"), f"{R}/charges")
    pid = next(p["paymentId"] for p in settled["payments"] if p["status"] == "SETTLED")
    refund = conform(finance.post(f"/residents/{rid}/payments/{pid}/refund", {"amount": 500}),
                     f"{R}/payments/{{paymentId}}/refund")
    assert refund.status_code == 200, refund.text
    stack.drain()
    conform(resident.get(f"/residents/{rid}/payments"), f"{R}/payments")
    # Refusals: validation (400 with details), a reused key (422), media type (415),
    # someone else's data (403), no token (401, the gateway's own body), unknown (404).
    bad = conform(resident.post(f"/residents/{rid}/payments",
                                {"amount": "30", "paymentMethodId": method}), f"{R}/payments")
    assert bad.status_code == 400 and bad.json()["details"], bad.text
    reused = conform(resident.post(f"/residents/{rid}/payments",
                                   {"amount": 2999, "paymentMethodId": method},
                                   headers={"Idempotency-Key": f"{rid}-pay"}), f"{R}/payments")
    assert reused.status_code == 422, reused.text
    media = conform(resident.post(f"/residents/{rid}/payments", raw="amount=1",
                                  headers={"Content-Type": "text/plain"}), f"{R}/payments")
    assert media.status_code == 415, media.text
    other = conform(resident.get(f"/residents/{rid}-x/balance"), f"{R}/balance")
    assert other.status_code == 403, other.text
    anonymous = conform(Client(stack, None).get(f"/residents/{rid}/balance"), f"{R}/balance")
    assert anonymous.status_code == 401, anonymous.text
    gone = conform(resident.delete(f"/residents/{rid}/payment-methods/pm_nope"),
                   f"{R}/payment-methods/{{methodId}}")
    assert gone.status_code == 404, gone.text
    removed = conform(resident.delete(f"/residents/{rid}/payment-methods/{declined}"),
                      f"{R}/payment-methods/{{methodId}}")
    assert removed.status_code == 200 and removed.json()["removedAt"], removed.text


def lease_and_autopay_flow(stack: Stack, resident: Client, manager: Client,
                           rid: str) -> None:
    R = "/residents/{residentId}"
    missing = conform(manager.get(f"/residents/{rid}/lease"), f"{R}/lease")
    assert missing.status_code == 404, missing.text
    started = conform(manager.post(f"/residents/{rid}/lease", LEASE), f"{R}/lease")
    assert started.status_code == 201, started.text
    again = conform(manager.post(f"/residents/{rid}/lease", LEASE), f"{R}/lease")
    assert again.status_code == 409, again.text
    conform(resident.get(f"/residents/{rid}/lease"), f"{R}/lease")
    changed = conform(manager.request("PATCH", f"/residents/{rid}/lease",
                                      {"monthlyRent": 190000,
                                       "lateFee": {"type": "flat", "amountCents": 4000}}),
                      f"{R}/lease")
    assert changed.status_code == 200 and changed.json()["effectiveFrom"], changed.text
    method = enroll(resident, rid)
    enrolled = conform(resident.post(f"/residents/{rid}/autopay", {
        "paymentMethodId": method, "chargeDay": 5, "maxAmount": 200000}), f"{R}/autopay")
    assert enrolled.status_code == 201, enrolled.text
    conform(manager.get(f"/residents/{rid}/autopay"), f"{R}/autopay")
    conform(resident.request("PATCH", f"/residents/{rid}/autopay", {"maxAmount": None}),
            f"{R}/autopay")
    for step in ("pause", "resume", "cancel"):
        answer = conform(resident.post(f"/residents/{rid}/autopay/{step}"),
                         f"{R}/autopay/{step}")
        assert answer.status_code == 200, (step, answer.text)
    ended = conform(manager.post(f"/residents/{rid}/lease/end", {"endDate": "2027-06-30"}),
                    f"{R}/lease/end")
    assert ended.status_code == 200, ended.text


def finance_flow(stack: Stack, resident: Client, manager: Client, finance: Client,
                 rid: str) -> None:
    method = enroll(resident, rid, "pm_card_createDispute")
    charge(manager, rid, 2100)
    paid = resident.post(f"/residents/{rid}/payments", {"amount": 2100, "paymentMethodId": method})
    assert paid.status_code == 202, paid.text
    stack.drain()
    listed = wait_for(lambda: finance.get(f"/disputes?residentId={rid}").json(),
                      lambda body: body.get("disputes"))
    conform(finance.get(f"/disputes?residentId={rid}"), "/disputes")
    did = listed["disputes"][0]["disputeId"]
    conform(manager.get(f"/disputes/{did}"), "/disputes/{disputeId}")
    upload = conform(finance.post(f"/disputes/{did}/evidence", {
        "filename": "lease.pdf", "contentType": "application/pdf", "size": len(PDF),
        "category": "receipt"}), "/disputes/{disputeId}/evidence")
    assert upload.status_code == 201, upload.text
    target = Path(upload.json()["upload"]["path"])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(PDF)
    submitted = conform(finance.post(f"/disputes/{did}/submit", {"text": "Lease attached."}),
                        "/disputes/{disputeId}/submit")
    assert submitted.status_code == 202, submitted.text
    stack.drain()
    review = wait_for(lambda: finance.get(f"/disputes/{did}").json(),
                      lambda body: body["status"] == "UNDER_REVIEW")
    assert review["status"] == "UNDER_REVIEW", review
    conform(finance.get(f"/disputes/{did}"), "/disputes/{disputeId}")
    closed = conform(finance.post(f"/disputes/{did}/evidence", {
        "filename": "more.pdf", "contentType": "application/pdf", "size": 10}),
        "/disputes/{disputeId}/evidence")
    assert closed.status_code == 409, closed.text
    unknown = conform(finance.get("/disputes/dp_nope"), "/disputes/{disputeId}")
    assert unknown.status_code == 404, unknown.text

    service = wiring.payment_service()
    reconcile(wiring.ledger(), service, service.provider, stack.local.finance, QUIET_DAY)
    conform(finance.get("/reports/reconciliation"), "/reports/reconciliation")
    day = f"/reports/reconciliation/{QUIET_DAY}"
    summary = conform(finance.get(day), "/reports/reconciliation/{day}")
    assert summary.status_code == 200 and summary.json()["day"] == str(QUIET_DAY)
    csv = conform(finance.get(f"{day}?format=csv"), "/reports/reconciliation/{day}")
    assert csv.status_code == 200 and csv.headers["Content-Type"].startswith("text/csv")
    none = conform(finance.get("/reports/reconciliation/1999-12-31"),
                   "/reports/reconciliation/{day}")
    assert none.status_code == 404, none.text
    health = conform(manager.get("/analytics/payment-health"), "/analytics/payment-health")
    assert health.status_code == 200, health.text


def test_every_operation_answers_as_documented(stack: Stack, manager: Client,
                                              finance: Client, rid: str) -> None:
    CHECKED.clear()
    for name, flow in (("pay", payments_flow), ("lease", lease_and_autopay_flow),
                       ("dispute", finance_flow)):
        who = f"{rid}-{name}"
        resident = Client(stack, stack.token(resident=who))
        if flow is lease_and_autopay_flow:
            flow(stack, resident, manager, who)
        else:
            flow(stack, resident, manager, finance, who)
    operations = {(op.ok().method.upper(), op.ok().path) for op in SCHEMA.get_all_operations()}
    unchecked = sorted(op for op in operations
                       if not any(200 <= s < 300 for s in CHECKED.get(op, ())))
    assert not unchecked, f"no success validated for {unchecked}"
    refusals = {s for statuses in CHECKED.values() for s in statuses if s >= 400}
    assert refusals >= {400, 401, 402, 403, 404, 409, 415, 422}, refusals
