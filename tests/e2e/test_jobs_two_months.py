"""Two months of a 50-home portfolio through HTTP: the jobs collect on their own (issue 11).

Leases are created through the API; every day the recurring-charges job runs at the start
of the property day and the late-fee job at its end (the same planning and workers as
deployed, on the local read model); a third of the residents pay each rent through the
API within grace. Rent is posted once on each due day, late fees land only on those who
did not pay, every fact reaches the lake, and residents are mailed at their lease email.
"""

from __future__ import annotations

import email
import uuid
from collections import Counter
from datetime import date

from sfr3_dev.jobs import LocalJobs
from sfr3_ledger import ResidentLedger
from sfr3_ledger.schedules import days
from tests.e2e.stack import Client, enroll

HOMES = 50


def test_fifty_leases_over_two_months(stack, manager) -> None:
    tag = uuid.uuid4().hex[:6]
    residents = [f"res-{tag}-{i:02d}" for i in range(HOMES)]
    payers = set(residents[::3])
    clients = {rid: Client(stack, stack.token(resident=rid)) for rid in payers}
    methods = {rid: enroll(clients[rid], rid) for rid in payers}
    for i, rid in enumerate(residents):
        r = manager.post(f"/residents/{rid}/lease", {
            "propertyId": f"home-{tag}-{i}", "state": "TX", "email": f"{rid}@example.com",
            "startDate": "2027-01-01", "monthlyRent": 100_000 + i, "rentDueDay": 1 + i % 5,
            "graceDays": 3})
        assert r.status_code == 201, r.text
    stack.drain()
    jobs = LocalJobs(stack.local.backbone)
    zone = "America/Chicago"
    for day in days(date(2027, 1, 1), date(2027, 2, 28)):
        jobs.run("recurring-charges", day, zone)
        for i, rid in enumerate(residents):
            if rid in payers and day.day == 1 + i % 5:  # pays on the due day
                r = clients[rid].post(f"/residents/{rid}/payments",
                                      {"amount": 100_000 + i, "paymentMethodId": methods[rid]})
                assert r.status_code == 202, r.text
        stack.drain()
        jobs.run("late-fees", day, zone)

    app = stack.ledger()
    posted: Counter[str] = Counter()
    for i, rid in enumerate(residents):
        # The statement: the open charges (the ledger's state) and the paid ones (the
        # resident's book of paid charges, sfr3_ledger/paid_charges.py).
        ledger, charges = app.statement(rid)
        for e in app.events.get(ResidentLedger.create_id(rid)):
            if isinstance(e, ResidentLedger.ChargePosted | ResidentLedger.LateFeeApplied):
                posted[e.charge_id] += 1
        rents = sorted((c.charge_id, c.due_date) for c in charges
                       if c.charge_type.value == "RENT")
        lease_id = manager.get(f"/residents/{rid}/lease").json()["leaseId"]
        assert rents == [(f"{lease_id}:rent:2027-01", date(2027, 1, 1 + i % 5)),
                         (f"{lease_id}:rent:2027-02", date(2027, 2, 1 + i % 5))]
        expected_fees = 0 if rid in payers else 2
        assert sum(c.charge_type.value == "LATE_FEE" for c in charges) == expected_fees, rid
        assert len(ledger.late_fees) == expected_fees, rid  # unpaid: in the state
        assert ledger.balance == (0 if rid in payers else 2 * (100_000 + i) + 2 * 5_000)
    assert set(posted.values()) == {1}, "a charge or fee was posted twice"

    # Every fact reached the lake once.
    lake: Counter[str] = Counter()
    for envelope in stack.local.backbone.lake.rows():
        if str(envelope["data"]["residentId"]).startswith(f"res-{tag}-"):
            lake[envelope["eventType"]] += 1
    non_payers = HOMES - len(payers)
    assert lake["lease.started"] == HOMES
    assert lake["charge.posted"] == 2 * HOMES
    assert lake["late_fee.applied"] == 2 * non_payers
    assert lake["payment.settled"] == 2 * len(payers)

    # Residents are mailed at their lease's address, for each charge and late fee.
    mailed: Counter[str] = Counter()
    for path in (stack.home / "mail").glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes())
        if message["To"].startswith(f"res-{tag}-"):
            mailed[str(message["Subject"]).split(":")[0]] += 1
            assert message["To"].endswith("@example.com")
    assert mailed["New charge"] == 2 * HOMES
    assert mailed["Late fee"] == 2 * non_payers
