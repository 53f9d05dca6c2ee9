"""Disputes end to end through HTTP on the local stack (issue 14).

A dispute test card -> Stripe's webhook -> the dispute on the ledger and in the disputes
read model -> finance lists and reads it, uploads evidence and submits it (Files API,
evidence update, submit, through the stripeService) -> Stripe closes it: lost puts the
paid amount back on the balance (a chargeback); won changes nothing on the ledger.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.e2e.stack import Client, Stack, charge, enroll, wait_for

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def disputed_payment(stack: Stack, resident: Client, manager: Client, rid: str) -> None:
    method = enroll(resident, rid, "pm_card_createDispute")
    charge(manager, rid, 2100)
    r = resident.post(f"/residents/{rid}/payments", {"amount": 2100, "paymentMethodId": method})
    assert r.status_code == 202, r.text
    stack.drain()


def answer(stack: Stack, finance: Client, rid: str, outcome: str) -> dict[str, Any]:
    listed = wait_for(lambda: finance.get(f"/disputes?residentId={rid}").json(),
                      lambda body: body.get("disputes"))
    [dispute] = listed["disputes"]
    assert dispute["status"] == "OPEN" and dispute["amount"] == 2100
    assert dispute["reason"] == "fraudulent" and not dispute["evidenceSubmitted"]
    did = dispute["disputeId"]
    one = finance.get(f"/disputes/{did}").json()
    assert one["payment"]["status"] == "SETTLED" and one["evidence"] == []
    upload = finance.post(f"/disputes/{did}/evidence", {
        "filename": "lease.pdf", "contentType": "application/pdf", "size": len(PDF),
        "category": "receipt"})
    assert upload.status_code == 201, upload.text
    Path(upload.json()["upload"]["path"]).parent.mkdir(parents=True, exist_ok=True)
    Path(upload.json()["upload"]["path"]).write_bytes(PDF)
    submitted = finance.post(f"/disputes/{did}/submit",
                             {"text": "Signed lease and rent receipt attached."})
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["files"] == ["receipt", "uncategorized_text"]
    stack.drain()
    review = wait_for(lambda: finance.get(f"/disputes/{did}").json(),
                      lambda body: body["status"] == "UNDER_REVIEW")
    assert review["evidenceSubmitted"] and review["evidence"][0]["category"] == "receipt"
    # Weeks later the bank decides; Stripe's `charge.dispute.closed` tells us.
    stack.control(f"disputes/{did}/close", {"outcome": outcome})
    stack.drain()
    return dict(dispute)


def test_a_lost_dispute_puts_the_payment_back_on_the_balance(
        stack: Stack, resident: Client, manager: Client, finance: Client, rid: str) -> None:
    disputed_payment(stack, resident, manager, rid)
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 0
    dispute = answer(stack, finance, rid, "lost")
    final = wait_for(lambda: finance.get(f"/disputes/{dispute['disputeId']}").json(),
                     lambda body: body["status"] == "LOST")
    assert final["status"] == "LOST" and final["chargeback"] == 2100
    assert final["evidenceSubmitted"]
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 2100
    # Stripe's books: the file was uploaded for dispute evidence, the dispute lost.
    store = stack.sandbox.store
    stripe_dispute = store.objects[dispute["disputeId"]]
    assert stripe_dispute["status"] == "lost"
    assert store.objects[stripe_dispute["evidence"]["receipt"]]["purpose"] == "dispute_evidence"
    # Finance alone answers disputes; a property manager reads them.
    assert manager.get(f"/disputes/{dispute['disputeId']}").status_code == 200
    assert manager.post(f"/disputes/{dispute['disputeId']}/submit", {}).status_code == 403
    again = finance.post(f"/disputes/{dispute['disputeId']}/submit", {"text": "x"})
    assert again.status_code == 409


def test_a_won_dispute_changes_nothing_on_the_ledger(
        stack: Stack, resident: Client, manager: Client, finance: Client, rid: str) -> None:
    disputed_payment(stack, resident, manager, rid)
    dispute = answer(stack, finance, rid, "won")
    final = wait_for(lambda: finance.get(f"/disputes/{dispute['disputeId']}").json(),
                     lambda body: body["status"] == "WON")
    assert final["status"] == "WON" and final["chargeback"] == 0
    assert resident.get(f"/residents/{rid}/balance").json()["balance"] == 0


def test_bad_evidence_is_refused_and_nothing_changes(
        stack: Stack, resident: Client, manager: Client, finance: Client, rid: str) -> None:
    disputed_payment(stack, resident, manager, rid)
    listed = wait_for(lambda: finance.get(f"/disputes?residentId={rid}").json(),
                      lambda body: body.get("disputes"))
    did = listed["disputes"][0]["disputeId"]
    for body in ({"filename": "x.exe", "contentType": "application/x-msdownload", "size": 10},
                 {"filename": "big.pdf", "contentType": "application/pdf",
                  "size": 3 * 1024 * 1024},
                 {"filename": "../up.pdf", "contentType": "application/pdf", "size": 10}):
        assert finance.post(f"/disputes/{did}/evidence", body).status_code == 400, body
    upload = finance.post(f"/disputes/{did}/evidence", {
        "filename": "fake.pdf", "contentType": "application/pdf", "size": 5}).json()
    Path(upload["upload"]["path"]).parent.mkdir(parents=True, exist_ok=True)
    Path(upload["upload"]["path"]).write_bytes(b"MZ\x90\x00\x03")  # not a PDF
    r = finance.post(f"/disputes/{did}/submit", {})
    assert r.status_code == 400 and r.json()["code"] == "invalid_evidence"
    assert finance.get(f"/disputes/{did}").json()["status"] == "OPEN"
    page = finance.get("/disputes?status=OPEN&limit=1").json()
    assert len(page["disputes"]) == 1
    if page["nextCursor"]:
        nxt = finance.get(f"/disputes?status=OPEN&limit=1&cursor={page['nextCursor']}").json()
        assert nxt["disputes"][0]["disputeId"] != page["disputes"][0]["disputeId"]


def test_finance_is_told_once_and_reminded_before_the_evidence_is_due(
        stack: Stack, resident: Client, manager: Client, finance: Client, rid: str) -> None:
    from datetime import UTC, datetime, timedelta

    from sfr3_dev.finance import reminders
    from sfr3_lambdas import wiring

    disputed_payment(stack, resident, manager, rid)
    listed = wait_for(lambda: finance.get(f"/disputes?residentId={rid}").json(),
                      lambda body: body.get("disputes"))
    did = listed["disputes"][0]["disputeId"]

    def mails(word: str) -> list[str]:
        found = [p.read_text() for p in (stack.home / "mail").glob("*.eml")]
        return [m for m in found if did in m and word in m]

    # The row is written, then finance is mailed (at most once): wait for the mail too.
    assert len(wait_for(lambda: mails("Chargeback received"), bool)) == 1
    assert "To: finance@localhost" in mails("Chargeback received")[0]
    one = finance.get(f"/disputes/{did}").json()
    due = datetime.fromisoformat(one["stripe"]["evidenceDueBy"])
    assert one["stripe"]["status"] == "needs_response" and not one["stripe"]["hasEvidence"]
    provider = wiring.provider()
    early = due - timedelta(days=5)
    assert did not in reminders(stack.local.finance, provider, early)
    # 09:00 UTC (the scheduler's hour) two days before the due day: within the 3 days, and
    # an hour later is the same UTC day (reminders are once per UTC day; `due - 2 days`
    # itself, after 23:00, put the hour later on the next day and the test failed then).
    near = datetime.combine((due - timedelta(days=2)).date(), datetime.min.time().replace(hour=9),
                            UTC)
    assert did in reminders(stack.local.finance, provider, near)
    assert did not in reminders(stack.local.finance, provider, near + timedelta(hours=1))
    assert len(mails("Dispute evidence due")) == 1
    # The read model rebuilt from the events alone equals the live one, and alerts no one.
    live = stack.local.finance.disputes.get(did)
    stack.local.finance.rebuild()
    assert stack.local.finance.disputes.get(did) == live
    assert len(mails("Chargeback received")) == 1
    assert datetime.now(UTC) < due
