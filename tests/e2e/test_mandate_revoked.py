"""A revoked ACH mandate stops autopay, end to end through HTTP and the local Stripe.

The resident enrolls autopay on a bank account (its mandate made from the request);
then Stripe reports the mandate `inactive`, because the resident revoked it at their
bank (the sandbox's control) or because a debit under it came back unauthorized
(R10: `debit_not_authorized`). Its signed `mandate.updated` reaches `/webhooks/stripe`:
autopay is paused (reason `mandate_revoked`), the resident is mailed how to re-enable
it, resume is refused, the next sweep charges nothing, and a redelivered event changes
nothing. Enrolling again makes a new mandate and autopay is on again.
"""

from __future__ import annotations

import email
import email.policy
from datetime import date
from typing import Any

from sfr3_dev.jobs import LocalJobs
from sfr3_ledger.autopay import AutopayEnrollment
from sfr3_ledger.jobs import JOBS
from sfr3_ledger.schedules import days
from tests.api.test_autopay_mandate import AGENT, enroll_bank
from tests.e2e.stack import Client, Stack

ZONE = "America/Chicago"


def _lease(manager: Client, rid: str, rent: int = 120_000) -> None:
    r = manager.post(f"/residents/{rid}/lease", {
        "propertyId": f"home-{rid}", "state": "TX", "email": f"{rid}@example.com",
        "startDate": "2027-01-01", "monthlyRent": rent, "rentDueDay": 1, "graceDays": 5})
    assert r.status_code == 201, r.text


def _enroll(resident: Client, rid: str, token: str) -> tuple[str, str]:
    method = enroll_bank(resident, rid, token)
    r = resident.post(f"/residents/{rid}/autopay", {"paymentMethodId": method,
                                                    "chargeDay": 3},
                      headers={"User-Agent": AGENT})
    assert r.status_code == 201, r.text
    return method, str(r.json()["mandateId"])


def _settle(stack: Stack) -> None:
    stack.drain()
    assert stack.local.backbone is not None
    stack.local.backbone.run_until_caught_up()


def _run_jobs(stack: Stack, rid: str, first: date, last: date) -> None:
    from sfr3_lambdas import wiring

    jobs = LocalJobs(stack.local.backbone, wiring.payment_service())
    for day in days(first, last):
        for job in JOBS:
            jobs.run(job, day, ZONE, frozenset({rid}))
        _settle(stack)


def _mail(stack: Stack, rid: str) -> list[tuple[str, str]]:
    found = []
    for path in (stack.home / "mail").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == f"{rid}@example.com":
            body = message.get_body(("plain",))  # type: ignore[attr-defined]
            found.append((str(message["Subject"]), body.get_content() if body else ""))
    return found


def _mandate_events(stack: Stack, mandate_id: str) -> list[dict[str, Any]]:
    store = stack.sandbox.store
    with store.lock:
        return [dict(e) for e in store.by_kind.get("event", {}).values()
                if e["type"] == "mandate.updated" and e["data"]["object"]["id"] == mandate_id]


def _pauses(stack: Stack, rid: str) -> list[Any]:
    return [e for e in stack.ledger().events.get(AutopayEnrollment.create_id(rid))
            if type(e).__name__ == "Paused"]


def _autopay_payments(stack: Stack, rid: str) -> list[Any]:
    return [p for p in stack.ledger().ledger(rid).payments.values()
            if p.initiated_by == "system:autopay"]


def test_a_mandate_revoked_at_the_bank_pauses_autopay_and_the_sweep_charges_nothing(
        stack: Stack, resident: Client, manager: Client, rid: str) -> None:
    _lease(manager, rid)
    _, mandate_id = _enroll(resident, rid, "pm_usBankAccount_success")
    _settle(stack)

    stack.control(f"mandates/{mandate_id}/deactivate")
    _settle(stack)
    autopay = resident.get(f"/residents/{rid}/autopay").json()
    assert (autopay["status"], autopay["pauseReason"]) == ("PAUSED", "mandate_revoked")
    [paused] = _pauses(stack, rid)
    assert paused.mandate_id == mandate_id
    [(_, text)] = [m for m in _mail(stack, rid) if "revoked" in m[0]]
    assert "enroll in autopay again" in text

    # Stripe redelivers the event: nothing more is recorded, nobody mailed again.
    [event] = _mandate_events(stack, mandate_id)
    stack.control(f"events/{event['id']}/resend")
    _settle(stack)
    assert len(_pauses(stack, rid)) == 1
    assert len([m for m in _mail(stack, rid) if "revoked" in m[0]]) == 1

    r = resident.post(f"/residents/{rid}/autopay/resume")
    assert r.status_code == 409 and r.json()["code"] == "mandate_revoked", r.text

    # The month's rent is posted and its charge day passes: autopay charges nothing.
    _run_jobs(stack, rid, date(2027, 1, 1), date(2027, 1, 4))
    assert _autopay_payments(stack, rid) == []
    assert stack.ledger().ledger(rid).balance == 120_000

    # Enrolling again (cancel, then enroll) records a new mandate: autopay is on again.
    assert resident.post(f"/residents/{rid}/autopay/cancel").status_code == 200
    method = resident.get(f"/residents/{rid}/autopay").json()["paymentMethodId"]
    r = resident.post(f"/residents/{rid}/autopay", {"paymentMethodId": method,
                                                    "chargeDay": 5},
                      headers={"User-Agent": AGENT})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "ACTIVE" and r.json()["mandateId"] not in (None, mandate_id)


def test_an_unauthorized_return_ends_the_mandate_and_pauses_autopay(
        stack: Stack, resident: Client, manager: Client, rid: str) -> None:
    _lease(manager, rid, rent=110_000)
    _, mandate_id = _enroll(resident, rid, "pm_usBankAccount_debitNotAuthorized")
    _settle(stack)
    _run_jobs(stack, rid, date(2027, 1, 1), date(2027, 1, 3))
    [debit] = _autopay_payments(stack, rid)
    assert (debit.status.value, debit.mandate_id) == ("PENDING", mandate_id)

    stack.control("clock/advance", {"seconds": 5 * 86_400})  # the bank returns it: R10
    _settle(stack)
    [debit] = _autopay_payments(stack, rid)
    assert (debit.status.value, debit.failure_reason) == ("FAILED", "debit_not_authorized")
    assert debit.retry_at is None, "an unauthorized debit is never retried"
    assert len(_mandate_events(stack, mandate_id)) == 1
    autopay = resident.get(f"/residents/{rid}/autopay").json()
    assert (autopay["status"], autopay["pauseReason"]) == ("PAUSED", "mandate_revoked")
    assert [m for m in _mail(stack, rid) if "revoked" in m[0]]

    # February's charge day passes: nothing more is debited.
    _run_jobs(stack, rid, date(2027, 2, 1), date(2027, 2, 4))
    assert len(_autopay_payments(stack, rid)) == 1
