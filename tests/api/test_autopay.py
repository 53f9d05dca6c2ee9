"""Autopay through HTTP (issue 12): residents enroll, change, pause, resume and cancel for
themselves; all staff read and cancel; bad input is 4xx and records nothing; removing the
method autopay uses pauses it and mails the resident. And the autopay mails' texts."""

from __future__ import annotations

import email
import email.policy
import time
from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from sfr3_adapters.reactions import EMAIL_TYPES, compose
from sfr3_lambdas.api.autopay import next_charge_date
from sfr3_ledger.autopay import AutopayEnrollment
from sfr3_ledger.values import MAX_AMOUNT_CENTS
from tests.api.support import footprint
from tests.e2e.stack import Client, enroll

CHICAGO = "America/Chicago"


def path(rid: str, action: str = "") -> str:
    return f"/residents/{rid}/autopay" + (f"/{action}" if action else "")


def patch(client: Client, rid: str, payload: Any, **kw: Any) -> Any:
    return client.request("PATCH", path(rid), payload, **kw)


def today_in(zone: str) -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(zone)).date()


def expected_next(day: int, zone: str = CHICAGO) -> str:
    today = today_in(zone)
    if today.day <= day:
        return today.replace(day=day).isoformat()
    following = date(today.year + (today.month == 12), today.month % 12 + 1, day)
    return following.isoformat()


def autopay_events(stack: Any, rid: str) -> int:
    return footprint(stack, rid)[3]


def test_enroll_read_change_pause_resume_cancel(stack, resident, manager, finance, rid):
    method = enroll(resident, rid)
    r = resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 5,
                                  "maxAmount": 200_000})
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["enrollmentId"].startswith("apay_")
    assert {k: created[k] for k in ("residentId", "status", "pauseReason", "paymentMethodId",
                                    "last4", "methodRemoved", "chargeDay", "maxAmount",
                                    "timeZone", "outcomes")} == {
        "residentId": rid, "status": "ACTIVE", "pauseReason": None,
        "paymentMethodId": method, "last4": "4242", "methodRemoved": False,
        "chargeDay": 5, "maxAmount": 200_000, "timeZone": CHICAGO, "outcomes": []}
    assert created["methodLabel"] and created["changedAt"]
    assert created["nextChargeDate"] == expected_next(5)

    # The resident and both staff groups read it.
    for reader in (resident, manager, finance):
        r = reader.get(path(rid))
        assert r.status_code == 200 and r.json() == created, r.text

    # Change the day and remove the cap; unnamed fields keep their values.
    r = patch(resident, rid, {"chargeDay": 28, "maxAmount": None})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["chargeDay"], changed["maxAmount"], changed["paymentMethodId"]) == (
        28, None, method)
    assert changed["nextChargeDate"] == expected_next(28)
    assert changed["enrollmentId"] == created["enrollmentId"]
    # The same change again records nothing.
    before = autopay_events(stack, rid)
    assert patch(resident, rid, {"chargeDay": 28}).status_code == 200
    assert autopay_events(stack, rid) == before

    # Another method, and a cap again.
    second = enroll(resident, rid, "pm_card_mastercard")
    r = patch(resident, rid, {"paymentMethodId": second, "maxAmount": 150_000})
    assert r.status_code == 200, r.text
    assert (r.json()["paymentMethodId"], r.json()["maxAmount"], r.json()["chargeDay"]) == (
        second, 150_000, 28)

    r = resident.post(path(rid, "pause"))
    assert r.status_code == 200, r.text
    paused = r.json()
    assert (paused["status"], paused["pauseReason"], paused["nextChargeDate"]) == (
        "PAUSED", "paused by the resident", None)
    before = autopay_events(stack, rid)
    assert resident.post(path(rid, "pause"), {}).json()["status"] == "PAUSED"
    assert autopay_events(stack, rid) == before
    # A paused enrollment can still be changed.
    assert patch(resident, rid, {"chargeDay": 3}).json()["status"] == "PAUSED"

    r = resident.post(path(rid, "resume"))
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["pauseReason"], r.json()["nextChargeDate"]) == (
        "ACTIVE", None, expected_next(3))

    r = resident.post(path(rid, "cancel"))
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["nextChargeDate"]) == ("CANCELLED", None)
    assert resident.get(path(rid)).json()["status"] == "CANCELLED"
    # Cancelled is final: nothing to change, pause or resume; enrolling starts anew.
    before = footprint(stack, rid)
    for answer in (patch(resident, rid, {"chargeDay": 4}), resident.post(path(rid, "pause")),
                   resident.post(path(rid, "resume"))):
        assert answer.status_code == 404 and answer.json()["code"] == "autopay_not_found"
    assert footprint(stack, rid) == before
    before = autopay_events(stack, rid)
    assert resident.post(path(rid, "cancel")).json()["status"] == "CANCELLED"
    assert autopay_events(stack, rid) == before
    again = resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 1})
    assert again.status_code == 201, again.text
    assert again.json()["enrollmentId"] != created["enrollmentId"]
    assert (again.json()["status"], again.json()["maxAmount"]) == ("ACTIVE", None)


def test_the_lease_sets_the_time_zone_and_the_key_names_the_enrollment(stack, resident,
                                                                        manager, rid):
    start = today_in("Pacific/Honolulu").replace(day=1).isoformat()
    r = manager.post(f"/residents/{rid}/lease", {
        "propertyId": "prop-9", "state": "HI", "startDate": start, "monthlyRent": 190_000,
        "rentDueDay": 1})
    assert r.status_code == 201, r.text
    method = enroll(resident, rid)
    key = {"Idempotency-Key": "autopay-1"}
    body = {"paymentMethodId": method, "chargeDay": 1}
    first = resident.post(path(rid), body, headers=key)
    assert first.status_code == 201, first.text
    assert first.json()["timeZone"] == "Pacific/Honolulu"
    assert first.json()["nextChargeDate"] == expected_next(1, "Pacific/Honolulu")
    events = autopay_events(stack, rid)
    replay = resident.post(path(rid), body, headers=key)
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert autopay_events(stack, rid) == events
    assert resident.post(path(rid), {**body, "chargeDay": 2}, headers=key).status_code == 422
    # Without the key, a second enrollment while one is active is a conflict.
    second = resident.post(path(rid), body)
    assert second.status_code == 409 and second.json()["code"] == "conflicting_fact"
    assert autopay_events(stack, rid) == events
    # pause / resume / cancel take a key too: the same key replays the first answer.
    pause_key = {"Idempotency-Key": "pause-1"}
    paused = resident.post(path(rid, "pause"), headers=pause_key)
    assert paused.status_code == 200 and paused.json()["status"] == "PAUSED", paused.text
    assert resident.post(path(rid, "resume")).json()["status"] == "ACTIVE"
    events = autopay_events(stack, rid)
    replay = resident.post(path(rid, "pause"), headers=pause_key)
    assert (replay.status_code, replay.json()) == (200, paused.json())
    assert autopay_events(stack, rid) == events


@pytest.mark.parametrize("payload", [
    {"chargeDay": 5},
    {"paymentMethodId": "meth_x"},
    {"paymentMethodId": "M", "chargeDay": 0},
    {"paymentMethodId": "M", "chargeDay": 29},
    {"paymentMethodId": "M", "chargeDay": 31},
    {"paymentMethodId": "M", "chargeDay": -1},
    {"paymentMethodId": "M", "chargeDay": "5"},
    {"paymentMethodId": "M", "chargeDay": 5.0},
    {"paymentMethodId": "M", "chargeDay": True},
    {"paymentMethodId": "M", "chargeDay": None},
    {"paymentMethodId": "M", "chargeDay": 5, "maxAmount": 0},
    {"paymentMethodId": "M", "chargeDay": 5, "maxAmount": 49},
    {"paymentMethodId": "M", "chargeDay": 5, "maxAmount": -100},
    {"paymentMethodId": "M", "chargeDay": 5, "maxAmount": 100.5},
    {"paymentMethodId": "M", "chargeDay": 5, "maxAmount": "1000"},
    {"paymentMethodId": "M", "chargeDay": 5, "maxAmount": MAX_AMOUNT_CENTS + 1},
    {"paymentMethodId": "M", "chargeDay": 5, "extra": 1},
    {"paymentMethodId": "", "chargeDay": 5},
    {"paymentMethodId": "meth\nx", "chargeDay": 5},
    {"paymentMethodId": 7, "chargeDay": 5},
])
def test_bad_enrollments_are_400_and_record_nothing(stack, resident, rid, payload):
    method = enroll(resident, rid)
    body = {k: (method if v == "M" else v) for k, v in payload.items()}
    before = footprint(stack, rid)
    r = resident.post(path(rid), body)
    assert r.status_code == 400, (body, r.text)
    assert r.json()["code"] == "invalid_request" and r.json()["error"]
    assert footprint(stack, rid) == before


def test_refusals_record_nothing(stack, resident, manager, finance, rid):
    method = enroll(resident, rid)
    removed = enroll(resident, rid, "pm_card_mastercard")
    assert resident.delete(f"/residents/{rid}/payment-methods/{removed}").status_code == 200
    before = footprint(stack, rid)

    def refused(answer: Any, status: int, code: str | None = None) -> None:
        assert answer.status_code == status, answer.text
        if code:
            assert answer.json()["code"] == code, answer.text
        assert footprint(stack, rid) == before

    # Nothing to read, change, pause, resume or cancel yet.
    refused(resident.get(path(rid)), 404, "autopay_not_found")
    refused(manager.get(path(rid)), 404, "autopay_not_found")
    refused(patch(resident, rid, {"chargeDay": 3}), 404, "autopay_not_found")
    for action in ("pause", "resume", "cancel"):
        refused(resident.post(path(rid, action)), 404, "autopay_not_found")
    refused(manager.post(path(rid, "cancel")), 404, "autopay_not_found")
    # Unknown, removed and other residents' methods.
    refused(resident.post(path(rid), {"paymentMethodId": "meth_nope", "chargeDay": 5}), 404,
            "payment_method_not_found")
    refused(resident.post(path(rid), {"paymentMethodId": removed, "chargeDay": 5}), 404,
            "payment_method_not_found")
    other = f"{rid}-other"
    theirs = enroll(Client(stack, stack.token(resident=other)), other)
    refused(resident.post(path(rid), {"paymentMethodId": theirs, "chargeDay": 5}), 404,
            "payment_method_not_found")
    # Another resident's autopay, and staff enrolling: 403.
    good = {"paymentMethodId": method, "chargeDay": 5}
    refused(Client(stack, stack.token(resident=other)).post(path(rid), good), 403, "forbidden")
    refused(manager.post(path(rid), good), 403, "forbidden")
    refused(finance.post(path(rid), good), 403, "forbidden")

    assert resident.post(path(rid), good).status_code == 201
    before = footprint(stack, rid)
    # Staff never change, pause or resume; another resident does nothing at all.
    for staff in (manager, finance):
        refused(patch(staff, rid, {"chargeDay": 3}), 403, "forbidden")
        refused(staff.post(path(rid, "pause")), 403, "forbidden")
        refused(staff.post(path(rid, "resume")), 403, "forbidden")
    stranger = Client(stack, stack.token(resident=other))
    for answer in (stranger.get(path(rid)), stranger.post(path(rid, "cancel")),
                   patch(stranger, rid, {"chargeDay": 3})):
        refused(answer, 403, "forbidden")
    # Bad changes.
    refused(patch(resident, rid, {}), 400, "invalid_request")
    refused(patch(resident, rid, {"chargeDay": None}), 400, "invalid_request")
    refused(patch(resident, rid, {"paymentMethodId": None}), 400, "invalid_request")
    refused(patch(resident, rid, {"chargeDay": 29}), 400, "invalid_request")
    refused(patch(resident, rid, {"maxAmount": 10}), 400, "invalid_request")
    refused(patch(resident, rid, {"maxAmount": "5000"}), 400, "invalid_request")
    refused(patch(resident, rid, {"status": "PAUSED"}), 400, "invalid_request")
    refused(patch(resident, rid, {"paymentMethodId": removed}), 404, "payment_method_not_found")
    refused(patch(resident, rid, {"paymentMethodId": "meth_nope"}), 404,
            "payment_method_not_found")
    refused(resident.post(path(rid, "pause"), {"reason": "x"}), 400, "invalid_request")
    refused(resident.post(path(rid, "cancel"), raw="[]"), 400)
    # A second enrollment while one is active.
    refused(resident.post(path(rid), {**good, "chargeDay": 6}), 409, "conflicting_fact")
    assert resident.post(path(rid, "pause")).status_code == 200
    before = footprint(stack, rid)
    refused(resident.post(path(rid), good), 409, "conflicting_fact")


def test_staff_read_and_cancel(stack, resident, manager, finance, rid):
    method = enroll(resident, rid)
    assert resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 12}).status_code \
        == 201
    assert finance.get(path(rid)).json()["chargeDay"] == 12
    r = finance.post(path(rid, "cancel"))
    assert r.status_code == 200 and r.json()["status"] == "CANCELLED", r.text
    [cancelled] = [e for e in stack.ledger().events.get(AutopayEnrollment.create_id(rid))
                   if type(e).__name__ == "Cancelled"]
    assert cancelled.actor == "staff:fin-1"
    assert manager.get(path(rid)).json()["status"] == "CANCELLED"
    # A property manager may cancel too.
    assert resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 12}).status_code \
        == 201
    assert manager.post(path(rid, "cancel")).json()["status"] == "CANCELLED"


def _mails_to(stack: Any, rid: str, subject: str, timeout: float = 10.0) -> list[EmailMessage]:
    deadline = time.monotonic() + timeout
    while True:
        stack.local.backbone.run_until_caught_up()
        found = []
        for file in (stack.home / "mail").glob("*.eml"):
            message = email.message_from_bytes(file.read_bytes(), policy=email.policy.default)
            if str(message["To"]).startswith(f"{rid}@") and message["Subject"] == subject:
                assert isinstance(message, EmailMessage)
                found.append(message)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _text(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def test_removing_the_method_pauses_autopay_and_mails_the_resident(stack, resident, rid):
    method = enroll(resident, rid)
    spare = enroll(resident, rid, "pm_card_mastercard")
    assert resident.post(path(rid), {"paymentMethodId": method, "chargeDay": 9}).status_code \
        == 201
    [enrolled] = _mails_to(stack, rid, "Autopay is on")
    assert "day 9 of each month" in _text(enrolled)

    # Removing another method changes nothing.
    before = autopay_events(stack, rid)
    assert resident.delete(f"/residents/{rid}/payment-methods/{spare}").status_code == 200
    assert resident.get(path(rid)).json()["status"] == "ACTIVE"
    assert autopay_events(stack, rid) == before

    r = resident.delete(f"/residents/{rid}/payment-methods/{method}")
    assert r.status_code == 200, r.text
    state = resident.get(path(rid)).json()
    assert (state["status"], state["pauseReason"], state["methodRemoved"]) == (
        "PAUSED", "payment method removed", True)
    assert state["last4"] == "4242" and state["nextChargeDate"] is None
    [mail] = _mails_to(stack, rid, "Autopay paused: payment method removed")
    text = _text(mail)
    assert "choose another payment method" in text and "resume" in text
    # Removing it again is harmless: no second pause, no second mail.
    events = autopay_events(stack, rid)
    assert resident.delete(f"/residents/{rid}/payment-methods/{method}").status_code == 200
    assert autopay_events(stack, rid) == events

    # Resuming needs another method first.
    r = resident.post(path(rid, "resume"))
    assert r.status_code == 409 and r.json()["code"] == "payment_method_removed", r.text
    assert autopay_events(stack, rid) == events
    fresh = enroll(resident, rid, "pm_card_discover")
    assert patch(resident, rid, {"paymentMethodId": fresh}).json()["status"] == "PAUSED"
    r = resident.post(path(rid, "resume"))
    assert r.status_code == 200 and r.json()["status"] == "ACTIVE", r.text
    assert (r.json()["paymentMethodId"], r.json()["methodRemoved"]) == (fresh, False)
    assert len(_mails_to(stack, rid, "Autopay paused: payment method removed", 0)) == 1


def _enrollment(day: int, zone: str = CHICAGO) -> AutopayEnrollment:
    enrollment = AutopayEnrollment(resident_id="r")
    enrollment.enroll(enrollment_id="apay_1", method_id="meth_1", charge_day=day,
                      max_amount=None, time_zone=zone, actor="resident:r")
    return enrollment


def at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def test_next_charge_date() -> None:
    e = _enrollment(5)
    assert next_charge_date(e, at("2026-03-04T12:00:00+00:00")) == date(2026, 3, 5)
    assert next_charge_date(e, at("2026-03-05T12:00:00+00:00")) == date(2026, 3, 5)
    assert next_charge_date(e, at("2026-03-06T12:00:00+00:00")) == date(2026, 4, 5)
    assert next_charge_date(e, at("2026-12-20T12:00:00+00:00")) == date(2027, 1, 5)
    # 03:00 UTC on the 6th is still the 5th in Chicago: today is the charge day there.
    assert next_charge_date(e, at("2026-03-06T03:00:00+00:00")) == date(2026, 3, 5)
    # Once the sweep handled this period, the next charge is next month's.
    e.record_skipped(period=date(2026, 3, 1), reason="nothing payable",
                     charge_date=date(2026, 3, 5))
    assert next_charge_date(e, at("2026-03-05T12:00:00+00:00")) == date(2026, 4, 5)
    e28 = _enrollment(28)
    assert next_charge_date(e28, at("2027-02-28T12:00:00+00:00")) == date(2027, 2, 28)
    assert next_charge_date(e28, at("2027-03-01T12:00:00+00:00")) == date(2027, 3, 28)
    e.pause(actor="resident:r")
    assert next_charge_date(e, at("2026-03-04T12:00:00+00:00")) is None


# ---- the mails -----------------------------------------------------------------------

def envelope(kind: str, **data: Any) -> dict[str, Any]:
    return {"eventId": "e-1", "eventType": kind, "source": "sfr3.payments",
            "timestamp": "2026-03-01T12:00:00.000000Z", "version": 1,
            "data": {"residentId": "r", "amount": None, "currency": None, **data}}


def test_autopay_mails() -> None:
    assert {"autopay.enrolled", "autopay.paused", "autopay.cancelled",
            "autopay.reminder_sent"} <= EMAIL_TYPES
    # The payment's own settled/failed mails cover a charge; a skip is not mailed.
    assert not {"autopay.charged", "autopay.skipped", "autopay.changed"} & EMAIL_TYPES

    subject, text = compose(envelope("autopay.paused", reason="payment method removed")) or ("", "")
    assert subject == "Autopay paused: payment method removed"
    assert "removed" in text and "choose another payment method" in text and "resume" in text
    subject, text = compose(envelope("autopay.paused", reason="paused by the resident")) or (
        "", "")
    assert subject == "Autopay paused" and "until you resume it" in text

    reminder = envelope("autopay.reminder_sent", amount=185_000, currency="USD",
                        chargeDate="2026-04-01", methodLabel="Chase checking", last4="6789",
                        period="2026-04")
    subject, text = compose(reminder) or ("", "")
    assert subject == "Autopay on 2026-04-01: $1,850.00"
    assert text.startswith("On 2026-04-01 we will charge $1,850.00 to Chase checking ending "
                           "6789 (your balance then, up to your autopay limit")
    nothing = envelope("autopay.reminder_sent", amount=0, currency="USD",
                       chargeDate="2026-04-01", methodLabel="Visa", last4="4242")
    subject, text = compose(nothing) or ("", "")
    assert subject == "Autopay on 2026-04-01: nothing due now"
    assert "Visa ending 4242" in text

    subject, text = compose(envelope("autopay.enrolled", chargeDay=3, maxAmount=200_000)) or (
        "", "")
    assert subject == "Autopay is on"
    assert "day 3 of each month" in text and "up to $2,000.00" in text
    _, text = compose(envelope("autopay.enrolled", chargeDay=3)) or ("", "")
    assert "up to" not in text and "3 days before" in text

    subject, text = compose(envelope("autopay.cancelled")) or ("", "")
    assert subject == "Autopay cancelled" and "no more automatic payments" in text
    for quiet in ("autopay.charged", "autopay.skipped", "autopay.changed", "autopay.resumed"):
        assert quiet not in EMAIL_TYPES, quiet
