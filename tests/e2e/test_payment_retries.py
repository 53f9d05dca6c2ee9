"""A failing ACH payment retried, end to end through HTTP (issue 13): the resident pays by
ACH, the bank returns the debit for insufficient funds days later (the sandbox's test
clock), the payment-retries job retries it 4 h and then 8 h later (the second attempt is
returned too; before the third the money has arrived), and the third attempt settles. The
resident's mails say what failed and when it is retried; the history shows every attempt.
"""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timedelta

from tests.e2e.stack import Client, Stack

ACH_DAYS = 5 * 86_400


def _mails(stack: Stack, to: str) -> list[tuple[str, str]]:
    out = []
    for path in sorted((stack.home / "mail").glob("*.eml"), key=lambda p: p.stat().st_mtime):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] == to:
            part = message.get_body(("plain",))
            out.append((str(message["Subject"]), part.get_content() if part else ""))
    return out


def _payment(client: Client, rid: str, pid: str) -> dict:
    [found] = [p for p in client.get(f"/residents/{rid}/payments").json()["payments"]
               if p["paymentId"] == pid]
    return found


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_a_returned_ach_debit_is_retried_on_the_test_clock(stack: Stack, resident: Client,
                                                          manager: Client, rid: str) -> None:
    address = f"{rid}@example.com"
    r = manager.post(f"/residents/{rid}/lease", {
        "propertyId": "home-retry", "state": "TX", "email": address,
        "startDate": "2027-01-01", "monthlyRent": 140_000, "rentDueDay": 1, "graceDays": 5})
    assert r.status_code == 201, r.text
    r = resident.post(f"/residents/{rid}/payment-methods", {
        "type": "us_bank_account", "paymentMethodId": "pm_usBankAccount_insufficientFunds"})
    assert r.status_code == 201, r.text
    method = r.json()["methodId"]
    r = manager.post(f"/residents/{rid}/charges",
                     {"amount": 140_000, "chargeType": "RENT", "description": "Rent"})
    assert r.status_code == 201, r.text
    r = resident.post(f"/residents/{rid}/payments", {"amount": 140_000, "paymentMethodId": method})
    assert r.status_code == 202, r.text
    pid = r.json()["paymentId"]
    jobs = stack.local.payment_jobs

    def bank_decides() -> None:
        stack.control("clock/advance", {"seconds": ACH_DAYS})
        stack.drain()
        stack.local.backbone.run_until_caught_up()

    bank_decides()  # attempt 1 returned (R01, insufficient funds)
    first = _payment(resident, rid, pid)
    assert (first["status"], first["attempt"], first["retryStatus"]) == ("FAILED", 1, "SCHEDULED")
    assert [a["failureReason"] for a in first["attempts"]] == ["insufficient_funds"]
    retry_at = _parse(first["nextAttemptAt"])
    assert retry_at - _parse(first["attempts"][0]["failedAt"]) == timedelta(hours=4)
    assert resident.get(f"/residents/{rid}/balance").json()["payable"] == 140_000

    # Only this resident's items: the stack is shared by the session's other tests.
    mine = frozenset({rid})
    assert jobs.run("payment-retries", retry_at - timedelta(minutes=1), mine).outcomes == {}
    assert jobs.run("payment-retries", retry_at + timedelta(minutes=1), mine).outcomes == {
        "retried": 1}
    retried = _payment(resident, rid, pid)
    assert (retried["status"], retried["attempt"]) == ("PENDING", 2)
    bank_decides()  # attempt 2 returned as well
    second = _payment(resident, rid, pid)
    assert (second["status"], second["attempt"]) == ("FAILED", 2)
    retry_at = _parse(second["nextAttemptAt"])
    assert retry_at - _parse(second["attempts"][1]["failedAt"]) == timedelta(hours=8)

    # The money arrives in the resident's account before the third attempt.
    provider_id = stack.ledger().payment_methods(rid).methods[method].provider_id
    stack.control(f"payment_methods/{provider_id}/behave_as",
                  {"token": "pm_usBankAccount_success"})
    assert jobs.run("payment-retries", retry_at + timedelta(minutes=1), mine).outcomes == {
        "retried": 1}
    assert _payment(resident, rid, pid)["attempt"] == 3
    bank_decides()
    final = _payment(resident, rid, pid)
    assert (final["status"], final["attempt"], final["amount"]) == ("SETTLED", 3, 140_000)
    assert [(a["attempt"], a["failureReason"]) for a in final["attempts"]] == [
        (1, "insufficient_funds"), (2, "insufficient_funds")]
    assert len({a["stripeRef"] for a in final["attempts"]} | {None}) == 3
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 0

    mails = _mails(stack, address)
    subjects = [s for s, _ in mails if s.startswith("Payment")]
    assert subjects == ["Payment failed: $1,400.00, we will try again"] * 2 + [
        "Payment received: $1,400.00"], subjects
    texts = [t for s, t in mails if s.startswith("Payment failed")]
    assert "insufficient_funds" in texts[0] and "We will try again automatically" in texts[0]
    assert "(attempt 2)" in texts[1]
