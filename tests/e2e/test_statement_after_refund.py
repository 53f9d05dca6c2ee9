"""Paid charges live outside the ledger's state (sfr3_ledger/paid_charges.py): through
HTTP, the Stripe sandbox's webhooks and each backend, the statement still lists them, and
a refund re-opens the charges its payment paid, latest due first."""

from __future__ import annotations

from sfr3_ledger import ResidentLedger
from tests.e2e.stack import Client, Stack, enroll


def test_statement_lists_paid_charges_and_a_refund_reopens_them(
    stack: Stack, resident: Client, manager: Client, rid: str
) -> None:
    method = enroll(resident, rid)
    for amount, description, due in ((100_000, "Rent 2026-01", "2026-01-01"),
                                     (5_000, "Water", "2026-01-10"),
                                     (100_000, "Rent 2026-02", "2026-02-01")):
        r = manager.post(f"/residents/{rid}/charges",
                         {"amount": amount, "chargeType": "RENT" if "Rent" in description
                          else "UTILITY", "description": description, "dueDate": due})
        assert r.status_code == 201, r.text
    r = resident.post(f"/residents/{rid}/payments", {"amount": 155_000,
                                                     "paymentMethodId": method})
    assert r.status_code == 202, r.text
    payment = r.json()["paymentId"]
    stack.drain()  # the sandbox's signed payment_intent.succeeded settles it

    def rows() -> dict[str, tuple[int, str]]:
        r = resident.get(f"/residents/{rid}/charges")
        assert r.status_code == 200, r.text
        return {c["description"]: (c["remaining"], c["status"]) for c in r.json()["charges"]}

    assert rows() == {"Rent 2026-01": (0, "PAID"), "Water": (0, "PAID"),
                      "Rent 2026-02": (50_000, "PARTIALLY_PAID")}
    ledger = stack.ledger().ledger(rid)
    assert isinstance(ledger, ResidentLedger)
    assert [c.description for c in ledger.charges.values()] == ["Rent 2026-02"], \
        "paid charges are out of the state"

    r = manager.post(f"/residents/{rid}/payments/{payment}/refund", {"amount": 60_000})
    assert r.status_code == 200, r.text
    stack.drain()
    # Undone latest due first: February's 50,000, then the water's 5,000 (due Jan 10),
    # then 5,000 of January's rent; the water and January's rent came back from the book.
    assert rows() == {"Rent 2026-01": (5_000, "PARTIALLY_PAID"), "Water": (5_000, "UNPAID"),
                      "Rent 2026-02": (100_000, "UNPAID")}
    r = resident.get(f"/residents/{rid}/balance")
    assert r.status_code == 200 and r.json()["balance"] == 110_000, r.text
