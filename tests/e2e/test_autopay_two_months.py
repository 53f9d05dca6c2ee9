"""20 residents on autopay (cards and ACH) for two months, through HTTP (issue 12).

Leases post the rent, the sweep pays it on each resident's charge day, reminders go out
three days ahead, and ACH debits stay PENDING until the local Stripe's clock moves past
their settlement. Every month is paid exactly once and nobody is charged a late fee.
"""

from __future__ import annotations

import email
import uuid
from collections import Counter
from datetime import date

from sfr3_dev.jobs import LocalJobs
from sfr3_ledger import PaymentStatus
from sfr3_ledger.jobs import JOBS
from sfr3_ledger.schedules import days
from tests.e2e.stack import Client

RESIDENTS = 20


def test_twenty_residents_on_autopay_for_two_months(stack, manager) -> None:
    from sfr3_lambdas import wiring

    tag = uuid.uuid4().hex[:6]
    rids = [f"res-ap{tag}-{i:02d}" for i in range(RESIDENTS)]
    ach = set(rids[::2])
    clients = {rid: Client(stack, stack.token(resident=rid)) for rid in rids}
    for i, rid in enumerate(rids):
        r = manager.post(f"/residents/{rid}/lease", {
            "propertyId": f"home-{tag}-{i}", "state": "TX", "email": f"{rid}@example.com",
            "startDate": "2027-01-01", "monthlyRent": 120_000 + i, "rentDueDay": 1,
            "graceDays": 5})
        assert r.status_code == 201, r.text
        kind, token = (("us_bank_account", "pm_usBankAccount_success") if rid in ach
                       else ("card", "pm_card_visa"))
        r = clients[rid].post(f"/residents/{rid}/payment-methods",
                              {"type": kind, "paymentMethodId": token})
        assert r.status_code == 201, r.text
        r = clients[rid].post(f"/residents/{rid}/autopay", {
            "paymentMethodId": r.json()["methodId"], "chargeDay": 1 + i % 3})
        assert r.status_code == 201, r.text
    stack.drain()
    jobs = LocalJobs(stack.local.backbone, wiring.payment_service())
    for day in days(date(2026, 12, 26), date(2027, 2, 28)):
        for job in JOBS:
            jobs.run(job, day, "America/Chicago", frozenset(rids))
        stack.drain()
        if day.day == 4:  # the month's ACH debits settle a few days later
            stack.control("clock/advance", {"seconds": 5 * 86_400})
            stack.drain()
    stack.control("clock/advance", {"seconds": 5 * 86_400})
    stack.drain()
    stack.local.backbone.run_until_caught_up()

    app = stack.ledger()
    for i, rid in enumerate(rids):
        ledger = app.ledger(rid)
        autopay = sorted((p.payment_id, p.amount, p.status) for p in ledger.payments.values())
        enrollment = clients[rid].get(f"/residents/{rid}/autopay").json()["enrollmentId"]
        assert [(pid, amount) for pid, amount, _ in autopay] == [
            (f"pay_auto_{enrollment}_2027-01", 120_000 + i),
            (f"pay_auto_{enrollment}_2027-02", 120_000 + i)], rid
        assert {status for _, _, status in autopay} == {PaymentStatus.SETTLED}
        assert ledger.balance == 0 and not ledger.late_fees, rid

    # One reminder per resident and month, sent three days before its charge date (March's
    # went out in the last days of February).
    reminders: Counter[str] = Counter()
    for path in (stack.home / "mail").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        if message["To"].startswith(f"res-ap{tag}-") and str(
                message["Subject"]).startswith("Autopay on "):
            reminders[message["To"]] += 1
    assert len(reminders) == RESIDENTS and set(reminders.values()) == {3}, reminders
    for i, rid in enumerate(rids):
        enrollment = app.autopay(rid)
        sent = [e for e in app.events.get(enrollment.id) if type(e).__name__ == "ReminderSent"]
        assert [e.charge_date for e in sent] == [date(2027, m, 1 + i % 3) for m in (1, 2, 3)]
