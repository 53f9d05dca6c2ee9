"""Leases through HTTP (issue 11): property managers create, change and end them; residents
and all staff read them; bad input is 400 and records nothing. And the statement
(`GET /residents/{residentId}/charges`): what is owed on each charge, its late fee, and
the lease's home on charges posted for a resident with a lease."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode

from sfr3_ledger.schedules import next_period
from tests.api.support import footprint
from tests.e2e.stack import Client, charge, enroll


def recorded(stack: Any, rid: str) -> tuple[int, int, int, int]:
    """Ledger, payment-method, lease and autopay events stored for `rid`."""
    return footprint(stack, rid)


def today_in(zone: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


def body(**overrides: Any) -> dict[str, Any]:
    start = today_in("America/Chicago").replace(day=1)
    out: dict[str, Any] = {
        "propertyId": "prop-17", "state": "TX", "email": "tenant@example.com",
        "startDate": start.isoformat(), "monthlyRent": 185_000, "rentDueDay": 1,
    }
    out.update(overrides)
    return {k: v for k, v in out.items() if v is not ...}


def patch(client: Client, path: str, payload: Any = None, **kw: Any) -> Any:
    return client.request("PATCH", path, payload, **kw)


def test_create_read_change_end(stack, resident, manager, finance, rid):
    pet = {"code": "pet-fee", "chargeType": "OTHER", "amount": 3500,
           "description": "Pet fee", "day": 5}
    r = manager.post(f"/residents/{rid}/lease",
                     body(graceDays=3, recurringCharges=[pet],
                          lateFee={"type": "percent", "percentBps": 500, "capCents": 7500}))
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["leaseId"].startswith("lse_")
    assert (created["propertyId"], created["state"], created["timeZone"], created["status"]) == (
        "prop-17", "TX", "America/Chicago", "active")
    assert created["terms"] == {
        "monthlyRent": 185_000, "rentDueDay": 1, "graceDays": 3,
        "lateFee": {"type": "percent", "percentBps": 500, "capCents": 7500},
        "recurringCharges": [pet]}
    assert created["changedBy"] == "staff:pm-1" and created["endDate"] is None

    # The resident reads their own lease; both staff groups read it too.
    for reader in (resident, manager, finance):
        r = reader.get(f"/residents/{rid}/lease")
        assert r.status_code == 200 and r.json() == created, r.text

    # A change takes effect from the next period; this period keeps its terms.
    r = patch(manager, f"/residents/{rid}/lease", {"monthlyRent": 190_000, "email": None})
    assert r.status_code == 200, r.text
    changed = r.json()
    following = next_period(today_in("America/Chicago").replace(day=1))
    assert changed["effectiveFrom"] == following.isoformat()
    assert changed["email"] is None
    assert changed["terms"] == created["terms"]  # today's period: unchanged
    [first, second] = changed["termsHistory"]
    assert first == {"effectiveFrom": created["startDate"], "terms": created["terms"]}
    # Unnamed fields keep their values: only the rent changed.
    assert second == {"effectiveFrom": following.isoformat(),
                      "terms": {**created["terms"], "monthlyRent": 190_000}}

    # The same PATCH again changes nothing more.
    before = footprint(stack, rid)[2]
    again = patch(manager, f"/residents/{rid}/lease", {"monthlyRent": 190_000})
    assert again.status_code == 200 and again.json()["effectiveFrom"] == following.isoformat()
    assert footprint(stack, rid)[2] == before

    r = patch(manager, f"/residents/{rid}/lease", {"email": "new@example.com",
                                                   "lateFee": {"type": "flat",
                                                               "amountCents": 4000}})
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "new@example.com"
    assert r.json()["termsHistory"][-1]["terms"]["lateFee"] == {"type": "flat",
                                                                "amountCents": 4000}
    assert r.json()["termsHistory"][-1]["terms"]["monthlyRent"] == 190_000

    end = (following.replace(day=28)).isoformat()
    r = manager.post(f"/residents/{rid}/lease/end", {"endDate": end})
    assert r.status_code == 200, r.text
    assert r.json()["endDate"] == end
    assert resident.get(f"/residents/{rid}/lease").json()["endDate"] == end


def test_defaults_and_idempotency_key(stack, manager, rid):
    key = {"Idempotency-Key": "lease-1"}
    first = manager.post(f"/residents/{rid}/lease", body(email=..., state="HI"), headers=key)
    assert first.status_code == 201, first.text
    lease = first.json()
    assert lease["timeZone"] == "Pacific/Honolulu" and lease["email"] is None
    assert lease["terms"]["graceDays"] == 5
    assert lease["terms"]["lateFee"] == {"type": "flat", "amountCents": 5000}
    assert lease["terms"]["recurringCharges"] == []
    # The key names the lease: the same request again is the same answer, nothing new.
    events = footprint(stack, rid)[2]
    again = manager.post(f"/residents/{rid}/lease", body(email=..., state="HI"), headers=key)
    assert (again.status_code, again.json()) == (201, lease)
    assert footprint(stack, rid)[2] == events
    other = manager.post(f"/residents/{rid}/lease", body(state="HI"), headers=key)
    assert other.status_code == 422


def test_time_zone_override_and_explicit_lease_id(stack, manager, rid):
    r = manager.post(f"/residents/{rid}/lease",
                     body(leaseId="L-2026-0001", state="FL", timeZone="America/Chicago",
                          endDate="2099-12-31"))
    assert r.status_code == 201, r.text
    assert (r.json()["leaseId"], r.json()["timeZone"], r.json()["endDate"]) == (
        "L-2026-0001", "America/Chicago", "2099-12-31")


BAD_BODIES = [
    pytest.param(body(rentDueDay=29), id="due-day-29"),
    pytest.param(body(rentDueDay=0), id="due-day-0"),
    pytest.param(body(state="XX"), id="unknown-state"),
    pytest.param(body(state="tx"), id="lowercase-state"),
    pytest.param(body(timeZone="Mars/Olympus_Mons"), id="bad-time-zone"),
    pytest.param(body(timeZone="../../etc/passwd"), id="path-time-zone"),
    pytest.param(body(timeZone="America"), id="time-zone-directory"),
    pytest.param(body(email="not-an-email"), id="bad-email"),
    pytest.param(body(email="a@b.com\r\nBcc: x@y.com"), id="email-crlf"),
    pytest.param(body(recurringCharges=[{"code": "water", "chargeType": "UTILITY",
                                         "amount": 4000, "description": "Water\r\nX",
                                         "day": 10}]), id="description-crlf"),
    pytest.param(body(recurringCharges=[{"code": "water", "chargeType": "UTILITY",
                                         "amount": 4000, "description": "Water\x85",
                                         "day": 10}]), id="description-nel"),
    pytest.param(body(startDate="2026-03-01", endDate="2026-02-28"), id="end-before-start"),
    pytest.param(body(startDate="2026-02-30"), id="not-a-calendar-date"),
    pytest.param(body(startDate="2026-3-1"), id="not-iso"),
    pytest.param(body(startDate="2026-03-01T00:00:00Z"), id="datetime-not-date"),
    pytest.param(body(recurringCharges=[
        {"code": "water", "chargeType": "UTILITY", "amount": 4000, "description": "Water",
         "day": 10},
        {"code": "water", "chargeType": "UTILITY", "amount": 100, "description": "More",
         "day": 11}]), id="duplicate-codes"),
    pytest.param(body(recurringCharges=[{"code": "rent", "chargeType": "OTHER",
                                         "amount": 1, "description": "x", "day": 1}]),
                 id="code-rent"),
    pytest.param(body(recurringCharges=[{"code": "x", "chargeType": "RENT", "amount": 1,
                                         "description": "x", "day": 1}]),
                 id="recurring-rent-type"),
    pytest.param(body(recurringCharges=[{"code": "x", "chargeType": "OTHER", "amount": 1,
                                         "description": "x", "day": 31}]),
                 id="recurring-day-31"),
    pytest.param(body(monthlyRent="1850.00"), id="rent-string"),
    pytest.param(body(monthlyRent=1850.5), id="rent-float"),
    pytest.param(body(monthlyRent=0), id="rent-zero"),
    pytest.param(body(graceDays=-1), id="grace-negative"),
    pytest.param(body(graceDays=28), id="grace-28"),
    pytest.param(body(lateFee={"type": "flat"}), id="flat-without-amount"),
    pytest.param(body(lateFee={"type": "percent", "percentBps": 10_001}), id="bps-too-high"),
    pytest.param(body(lateFee={"type": "flat", "amountCents": 5000, "percentBps": 5}),
                 id="flat-and-percent"),
    pytest.param(body(lateFee={"type": "daily", "amountCents": 5000}), id="fee-type"),
    pytest.param(body(propertyId=""), id="empty-property"),
    pytest.param(body(propertyId="p\n1"), id="property-newline"),
    pytest.param(body(leaseId="has space"), id="bad-lease-id"),
    pytest.param(body(extra=1), id="unknown-field"),
    pytest.param(body(monthlyRent=...), id="rent-missing"),
    pytest.param({}, id="empty"),
]


@pytest.mark.parametrize("payload", BAD_BODIES)
def test_bad_leases_are_400_and_record_nothing(stack, manager, rid, payload):
    before = recorded(stack, rid)
    r = manager.post(f"/residents/{rid}/lease", payload)
    assert r.status_code == 400, r.text
    assert isinstance(r.json()["error"], str) and r.json()["code"] in ("invalid_request",
                                                                       "invalid_amount")
    assert "Traceback" not in r.text
    assert recorded(stack, rid) == before
    assert manager.get(f"/residents/{rid}/lease").status_code == 404


def test_who_may_write_a_lease(stack, resident, finance, manager, rid):
    for client in (resident, finance):
        assert client.post(f"/residents/{rid}/lease", body()).status_code == 403
    assert recorded(stack, rid) == (0, 0, 0, 0)
    assert manager.post(f"/residents/{rid}/lease", body()).status_code == 201
    before = recorded(stack, rid)
    for client in (resident, finance):
        assert patch(client, f"/residents/{rid}/lease", {"monthlyRent": 1}).status_code == 403
        assert client.post(f"/residents/{rid}/lease/end",
                           {"endDate": "2099-01-01"}).status_code == 403
    # Another resident cannot even read it.
    other = Client(stack, stack.token(resident=f"{rid}-other"))
    assert other.get(f"/residents/{rid}/lease").status_code == 403
    assert recorded(stack, rid) == before


def test_one_active_lease_at_a_time(stack, manager, rid):
    assert manager.post(f"/residents/{rid}/lease", body()).status_code == 201
    before = recorded(stack, rid)
    r = manager.post(f"/residents/{rid}/lease", body(propertyId="prop-99"))
    assert r.status_code == 409 and r.json()["code"] == "conflicting_fact", r.text
    assert recorded(stack, rid) == before
    # Ended: a new lease (another home) may start after the move-out date.
    start = date.fromisoformat(body()["startDate"])
    move_out = next_period(start).replace(day=15)
    assert manager.post(f"/residents/{rid}/lease/end",
                        {"endDate": move_out.isoformat()}).status_code == 200
    r = manager.post(f"/residents/{rid}/lease",
                     body(propertyId="prop-99", startDate=move_out.isoformat()))
    assert r.status_code == 409, r.text
    later = move_out.replace(day=16).isoformat()
    r = manager.post(f"/residents/{rid}/lease", body(propertyId="prop-99", startDate=later))
    assert r.status_code == 201, r.text
    assert manager.get(f"/residents/{rid}/lease").json()["propertyId"] == "prop-99"


@pytest.mark.parametrize("payload", [
    pytest.param({}, id="nothing"),
    pytest.param({"rentDueDay": 29}, id="due-day-29"),
    pytest.param({"monthlyRent": None}, id="rent-null"),
    pytest.param({"lateFee": None}, id="late-fee-null"),
    pytest.param({"email": "nope"}, id="bad-email"),
    pytest.param({"email": "a@b.co\nx"}, id="email-newline"),
    pytest.param({"recurringCharges": [
        {"code": "a", "chargeType": "OTHER", "amount": 1, "description": "x", "day": 1},
        {"code": "a", "chargeType": "OTHER", "amount": 2, "description": "y", "day": 2}]},
        id="duplicate-codes"),
    pytest.param({"startDate": "2026-01-01"}, id="start-not-changeable"),
])
def test_bad_changes_are_400_and_record_nothing(stack, manager, rid, payload):
    assert manager.post(f"/residents/{rid}/lease", body()).status_code == 201
    before = recorded(stack, rid)
    r = patch(manager, f"/residents/{rid}/lease", payload)
    assert r.status_code == 400 and r.json()["error"], r.text
    assert recorded(stack, rid) == before


def test_no_lease_is_404_and_bad_end_dates_are_400(stack, resident, manager, rid):
    assert resident.get(f"/residents/{rid}/lease").json()["code"] == "lease_not_found"
    assert patch(manager, f"/residents/{rid}/lease", {"monthlyRent": 1}).status_code == 404
    r = manager.post(f"/residents/{rid}/lease/end", {"endDate": "2099-01-01"})
    assert r.status_code == 404, r.text
    assert manager.post(f"/residents/{rid}/lease", body()).status_code == 201
    before = recorded(stack, rid)
    for bad in ({"endDate": "2000-01-01"}, {"endDate": "2099-02-30"}, {}, {"endDate": None},
                {"endDate": "2099-01-01", "reason": "x"}):
        r = manager.post(f"/residents/{rid}/lease/end", bad)
        assert r.status_code == 400 and r.json()["error"], (bad, r.text)
    assert recorded(stack, rid) == before


def test_statement_shows_what_is_owed_per_charge(stack, resident, manager, finance, rid):
    method = enroll(resident, rid)
    for amount, description, due in ((100_000, "Rent 2026-01", "2026-01-01"),
                                     (5_000, "Water", "2026-01-10"),
                                     (100_000, "Rent 2026-02", "2026-02-01")):
        r = manager.post(f"/residents/{rid}/charges",
                         {"amount": amount, "chargeType": "RENT" if "Rent" in description
                          else "UTILITY", "description": description, "dueDate": due})
        assert r.status_code == 201, r.text
    ids = [c["chargeId"] for c in
           resident.get(f"/residents/{rid}/charges").json()["charges"]]
    r = resident.post(f"/residents/{rid}/payments", {"amount": 107_500,
                                                     "paymentMethodId": method})
    assert r.status_code == 202, r.text
    stack.drain()
    fee = stack.ledger().apply_late_fee(rid, ids[0], amount=5_000)  # on February's rent

    for reader in (resident, manager, finance):
        r = reader.get(f"/residents/{rid}/charges")
        assert r.status_code == 200, r.text
        statement = r.json()
        rows = {c["description"]: c for c in statement["charges"]}
        # Newest due first: the fee (posted today) before February's rent.
        assert [c["dueDate"] for c in statement["charges"]][1:] == [
            "2026-02-01", "2026-01-10", "2026-01-01"]
        # Oldest due first: January's rent and the water are paid, February's partly.
        assert (rows["Rent 2026-01"]["remaining"], rows["Rent 2026-01"]["status"]) == (0, "PAID")
        assert (rows["Water"]["paid"], rows["Water"]["remaining"]) == (5_000, 0)
        feb = rows["Rent 2026-02"]
        assert (feb["paid"], feb["remaining"], feb["status"]) == (
            2_500, 97_500, "PARTIALLY_PAID")
        assert feb["lateFee"] == {"chargeId": fee.charge_id, "amount": 5_000}
        assert rows["Rent 2026-01"]["lateFee"] is None
        [late] = [c for c in statement["charges"] if c["chargeType"] == "LATE_FEE"]
        assert (late["lateFeeFor"], late["remaining"]) == (feb["chargeId"], 5_000)
        assert statement["balance"] == 97_500 + 5_000
        assert statement["totals"] == {"charged": 210_000, "paid": 107_500,
                                       "remaining": 102_500, "credit": 0,
                                       "owedOnArchivedCharges": 0}
    other = Client(stack, stack.token(resident=f"{rid}-other"))
    assert other.get(f"/residents/{rid}/charges").status_code == 403


def test_an_empty_statement(stack, resident, rid):
    r = resident.get(f"/residents/{rid}/charges")
    assert r.status_code == 200, r.text
    assert (r.json()["charges"], r.json()["balance"]) == ([], 0)


def test_charges_for_a_resident_with_a_lease_carry_its_home(stack, resident, manager, rid):
    charge(manager, rid, 1_000)  # before the lease: no home
    assert manager.post(f"/residents/{rid}/lease",
                        body(propertyId="prop-az-3", state="AZ")).status_code == 201
    charge(manager, rid, 2_000)
    r = manager.post(f"/residents/{rid}/charges", {"amount": 3_000, "chargeType": "OTHER",
                                                   "description": "Elsewhere",
                                                   "propertyId": "prop-x", "state": "NV"})
    assert r.status_code == 201, r.text
    rows = {c["amount"]: c for c in resident.get(f"/residents/{rid}/charges").json()["charges"]}
    assert (rows[2_000]["propertyId"], rows[2_000]["state"]) == ("prop-az-3", "AZ")
    assert (rows[3_000]["propertyId"], rows[3_000]["state"]) == ("prop-x", "NV")  # explicit
    assert (rows[1_000]["propertyId"], rows[1_000]["state"]) == (None, None)


DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
LEASE_OPERATIONS = [op.ok() for op in schemathesis.openapi.from_path(str(DOC)).get_all_operations()
                    if op.ok().path.startswith("/residents/{residentId}/lease")
                    and op.ok().method.upper() != "GET"]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
@pytest.mark.parametrize("operation", LEASE_OPERATIONS,
                         ids=lambda op: f"{op.method} {op.path}")
def test_fuzzed_lease_writes_by_a_manager(stack, rid, operation, mode):
    """test_fuzz_openapi sends lease writes with a resident's token (403); here a property
    manager's, so the handlers run: never a 5xx, and a refusal records nothing."""
    token = stack.token(staff="pm-fuzz", groups=("property-managers",))
    if operation.method.upper() != "POST" or operation.path.endswith("/end"):
        assert Client(stack, token).post(f"/residents/{rid}/lease", body()).status_code == 201
    seen: list[int] = []

    @settings(max_examples=15, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        case.path_parameters["residentId"] = rid
        before = recorded(stack, rid)
        response = case.call(base_url=stack.url, timeout=30,
                             headers={"Authorization": f"Bearer {token}"})
        seen.append(response.status_code)
        assert response.status_code < 500, (case.as_curl_command(), response.text)
        if response.status_code >= 400:
            found = response.json()
            # 401 from the gateway is API Gateway's own `{"message": "Unauthorized"}`.
            message = found.get("error") or (found.get("message")
                                             if response.status_code == 401 else None)
            assert isinstance(message, str) and message, response.text
            assert recorded(stack, rid) == before, case.as_curl_command()

    check()
    assert seen
