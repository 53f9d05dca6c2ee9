"""The routes added with disputes, reconciliation reports, payment health, history pages
and ACH autopay mandates answer bad input as every other route does (issue 10 §3, §5):
a clear 4xx JSON error (`error` and `code`), and nothing written.

The patterns are tests/api/test_hostile_input.py and test_error_contract.py.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.api.support import footprint
from tests.api.test_autopay_mandate import enroll_bank, setup_intents_for
from tests.api.test_hostile_input import DEEP_ARRAY, DEEP_OBJECT
from tests.e2e.stack import Client, Stack, enroll
from tests.e2e.test_disputes import disputed_payment, wait_for


def refused(r: requests.Response, status: int = 400) -> dict[str, Any]:
    """The answer is `status` with a JSON error body that names what is wrong."""
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    body = r.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("code"), str) and body["code"], body
    return dict(body)


@pytest.fixture
def dispute(stack: Stack, resident: Client, manager: Client, finance: Client,
            rid: str) -> str:
    """An OPEN dispute on `rid`'s payment, as finance lists it."""
    disputed_payment(stack, resident, manager, rid)
    listed = wait_for(lambda: finance.get(f"/disputes?residentId={rid}").json(),
                      lambda body: body.get("disputes"))
    return str(listed["disputes"][0]["disputeId"])


def dispute_state(finance: Client, did: str) -> dict[str, Any]:
    """What finance sees of the dispute (status, evidence, submitted)."""
    r = finance.get(f"/disputes/{did}")
    assert r.status_code == 200, r.text
    body = r.json()
    return {"status": body["status"], "evidence": body["evidence"],
            "submitted": body["evidenceSubmitted"]}


@pytest.mark.parametrize("params", [
    {"status": "BOGUS"}, {"status": "open"}, {"limit": 0}, {"limit": 101}, {"limit": "ten"},
    {"cursor": "nope"}, {"cursor": "x" * 401}, {"openedFrom": "yesterday"},
    {"openedTo": "2026-13-01"}, {"openedFrom": "2026-02-01", "openedTo": "2026-01-01"},
    {"residentId": "r" * 201},
])
def test_bad_dispute_list_queries_are_400(finance: Client, params: dict[str, Any]) -> None:
    refused(finance.get("/disputes", params=params))


def test_bad_or_unknown_dispute_ids(finance: Client) -> None:
    refused(finance.get("/disputes/du_bad-id"))
    refused(finance.get("/disputes/" + "d" * 201))
    refused(finance.get("/disputes/du_unknown"), 404)
    refused(finance.post("/disputes/du_unknown/evidence", {
        "filename": "lease.pdf", "contentType": "application/pdf", "size": 10}), 404)
    refused(finance.post("/disputes/du_unknown/submit", {"text": "x"}), 404)


@pytest.mark.parametrize(("body", "raw"), [
    (None, "{not json"), (None, "[1, 2]"), (None, DEEP_ARRAY), (None, DEEP_OBJECT),
    (None, '{"filename": "a.pdf", "filename": "b.pdf", "contentType": "application/pdf",'
           ' "size": 10}'),
    ({}, None),
    ({"filename": "lease.pdf", "contentType": "application/pdf", "size": "10"}, None),
    ({"filename": "lease.pdf", "contentType": "application/pdf", "size": 10.5}, None),
    ({"filename": "lease.pdf", "contentType": "application/pdf", "size": 0}, None),
    ({"filename": "lease.pdf", "contentType": "application/pdf", "size": 10,
      "category": "bribe"}, None),
    ({"filename": "lease.pdf", "contentType": "application/pdf", "size": 10, "extra": 1},
     None),
    ({"filename": "", "contentType": "application/pdf", "size": 10}, None),
    ({"filename": "a" * 121, "contentType": "application/pdf", "size": 10}, None),
])
def test_bad_evidence_uploads_are_400_and_change_nothing(
        finance: Client, dispute: str, body: Any, raw: str | None) -> None:
    before = dispute_state(finance, dispute)
    refused(finance.post(f"/disputes/{dispute}/evidence", body, raw=raw))
    assert dispute_state(finance, dispute) == before


@pytest.mark.parametrize(("body", "raw"), [
    (None, "{not json"), (None, '"text"'), (None, DEEP_OBJECT),
    ({"text": 5}, None), ({"text": "x" * 5001}, None), ({"text": "ok", "extra": 1}, None),
    ({}, None),  # nothing uploaded and no text: no evidence to submit
])
def test_bad_evidence_submissions_are_400_and_change_nothing(
        stack: Stack, finance: Client, dispute: str, body: Any, raw: str | None) -> None:
    before = dispute_state(finance, dispute)
    refused(finance.post(f"/disputes/{dispute}/submit", body, raw=raw))
    stack.drain()
    assert dispute_state(finance, dispute) == before
    assert before["status"] == "OPEN" and not before["submitted"]


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 367}, {"limit": "many"}])
def test_bad_report_list_queries_are_400(finance: Client, params: dict[str, Any]) -> None:
    refused(finance.get("/reports/reconciliation", params=params))


@pytest.mark.parametrize(("day", "params"), [
    ("yesterday", {}), ("2026-1-01", {}), ("2026-13-40", {}), ("2026-02-30", {}),
    ("2026-01-05", {"format": "xml"}),
])
def test_bad_report_days_are_400(finance: Client, day: str, params: dict[str, Any]) -> None:
    refused(finance.get(f"/reports/reconciliation/{day}", params=params))


def test_a_day_without_a_report_is_404(finance: Client) -> None:
    refused(finance.get("/reports/reconciliation/1999-01-01"), 404)


@pytest.mark.parametrize("as_of", ["today", "2026-02-30", "2026-1-1", "2026-01-01T00:00"])
def test_bad_payment_health_days_are_400(finance: Client, manager: Client, as_of: str) -> None:
    for client in (finance, manager):
        refused(client.get("/analytics/payment-health", params={"asOf": as_of}))


@pytest.mark.parametrize("params", [
    {"limit": -1}, {"limit": 1.5}, {"cursor": ""}, {"cursor": "c" * 401},
    {"from": "2026-02-01", "to": "2026-01-01"}, {"from": "not-a-day"},
])
def test_bad_history_pages_are_400_and_change_nothing(
        stack: Stack, resident: Client, rid: str, params: dict[str, Any]) -> None:
    enroll(resident, rid)
    before = footprint(stack, rid)
    refused(resident.get(f"/residents/{rid}/payments", params=params))
    assert footprint(stack, rid) == before


def test_an_ach_mandate_without_a_user_agent_is_400_and_records_nothing(
        stack: Stack, resident: Client, rid: str) -> None:
    method = enroll_bank(resident, rid)
    before = footprint(stack, rid)
    path = f"/residents/{rid}/autopay"
    # An empty User-Agent (urllib3 adds its own to a request that has none).
    body = refused(resident.post(path, {"paymentMethodId": method, "chargeDay": 3},
                                 headers={"User-Agent": ""}))
    assert body["code"] == "invalid_request"
    assert footprint(stack, rid) == before
    assert setup_intents_for(stack, rid) == []
    assert resident.get(path).status_code == 404
    # Switching a card enrollment to the bank account needs the acceptance too.
    card = enroll(resident, rid)
    r = resident.post(path, {"paymentMethodId": card, "chargeDay": 3})
    assert r.status_code == 201, r.text
    before = footprint(stack, rid)
    refused(resident.request("PATCH", path, {"paymentMethodId": method},
                             headers={"User-Agent": ""}))
    assert footprint(stack, rid) == before
    assert setup_intents_for(stack, rid) == []
    assert resident.get(path).json()["paymentMethodId"] == card
