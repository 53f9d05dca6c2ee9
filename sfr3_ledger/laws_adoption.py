"""The law of adopting the paid-charges rule: adoption changes no figure, now or later.

A ledger opened before paid charges left the state adopts the rule before its next
command (rule_adoption.py), in saves of any split. Whatever its history (charges, settled
payments, partial and full refunds), and however many book events each adoption save
holds, the adopted ledger and its twin, the same aggregate kept in memory under the old
rule, agree on every figure, at adoption and after any later charges, payments and refunds:
the balance, each charge's amount, what remains owed and what paid it (the statement), and
each payment's status and refundable amount.

    from sfr3_ledger.laws_adoption import check_adoption_laws
    check_adoption_laws({"PERSISTENCE_MODULE": "eventsourcing.sqlite", ...})
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sfr3_ledger.application import LedgerApplication
from sfr3_ledger.laws_support import HealthCheck, given, settings, st
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.values import MIN_PAYMENT_CENTS

# One step of a history: ("charge", cents), ("pay", cents), ("refund", which, percent).
STEP = st.one_of(
    st.tuples(st.just("charge"), st.integers(MIN_PAYMENT_CENTS, 50_000)),
    st.tuples(st.just("pay"), st.integers(MIN_PAYMENT_CENTS, 120_000)),
    st.tuples(st.just("refund"), st.integers(0, 20), st.sampled_from([10, 50, 100])),
)


def figures_of(ledger: ResidentLedger, charges: Any) -> dict[str, Any]:
    """What a resident, a manager or finance reads: the balance, the statement (each
    charge's amount, remaining and what paid it) and each payment's status and refundable
    amount."""
    return {
        "balance": ledger.balance,
        "statement": {c.charge_id: (c.amount, c.remaining, dict(c.paid_by)) for c in charges},
        "payments": {p.payment_id: (p.status.value, p.refundable)
                     for p in ledger.payments.values()},
    }


class Adoption:
    """One resident's old ledger in `app`, and its twin under the old rule in memory."""

    def __init__(self, app: LedgerApplication) -> None:
        self.app, self.resident = app, f"res-{uuid.uuid4().hex}"
        self.method = app.enroll_payment_method(
            self.resident, provider_id="pm_card_visa", method_type="CARD", last4="4242",
            actor=self.resident).method_id
        self.twin = ResidentLedger(resident_id=self.resident, property_id="", us_state="")
        self.charges = 0
        self.adopted = False

    def step(self, step: tuple[Any, ...]) -> None:
        """Apply one step to the twin, and, once adopted, through the application."""
        kind, amount = step[0], step[1]
        if kind == "charge":
            self.charges += 1
            charge_id = f"c{self.charges}"
            due = date(2024, 1, 1) + timedelta(days=self.charges)
            self.twin.post_charge(charge_id=charge_id, charge_type="RENT", amount=amount,
                                  description=charge_id, due_date=due, actor="pm")
            if self.adopted:
                self.app.post_charge(self.resident, amount=amount, charge_type="RENT",
                                     description=charge_id, actor="pm", charge_id=charge_id,
                                     due_date=due)
        elif kind == "pay":
            amount = min(amount, self.twin.payable)
            if amount < MIN_PAYMENT_CENTS:
                return
            pid = f"pay_{uuid.uuid4().hex[:10]}"
            self.twin.initiate_payment(payment_id=pid, amount=amount, method_id=self.method,
                                       actor=self.resident)
            self.twin.record_submission(payment_id=pid, stripe_ref=f"pi_{pid}")
            self.twin.settle_payment(payment_id=pid, stripe_ref=f"pi_{pid}")
            if self.adopted:
                self.app.initiate_payment(self.resident, amount=amount, method_id=self.method,
                                          actor=self.resident, payment_id=pid)
                self.app.record_submission(self.resident, pid, f"pi_{pid}")
                self.app.settle_payment(self.resident, pid, stripe_ref=f"pi_{pid}")
        else:
            # `refundable` is 0 unless settled or partly refunded (records.Payment).
            refundable = [p for p in self.twin.payments.values() if p.refundable > 0]
            if not refundable:
                return
            payment = refundable[amount % len(refundable)]
            cents = max(1, payment.refundable * step[2] // 100)
            rid = f"re_{uuid.uuid4().hex[:10]}"
            self.twin.apply_refund(refund_id=rid, payment_id=payment.payment_id, amount=cents,
                                   actor="fin")
            if self.adopted:
                self.app.apply_refund(self.resident, payment.payment_id, refund_id=rid,
                                      amount=cents, actor="fin")

    def save_old(self) -> None:
        """The twin's history so far, saved as the code before the rule saved it."""
        self.app.save(self.twin)

    def adopt(self) -> None:
        """The next command (a charge) makes the stored ledger adopt the rule."""
        self.adopted = True
        self.step(("charge", 1_000))
        assert self.app.ledger(self.resident).paid_charges_leave

    def check(self) -> None:
        ledger, charges = self.app.statement(self.resident)
        expected = figures_of(self.twin, self.twin.charges.values())
        assert figures_of(ledger, charges) == expected, (figures_of(ledger, charges), expected)


def check_adoption_laws(env: Mapping[str, str], *, max_examples: int = 50) -> None:
    """Run the law; raises with a minimal failing history if adoption changes a figure."""
    app = LedgerApplication(env=dict(env))

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(before=st.lists(STEP, max_size=25), after=st.lists(STEP, max_size=10),
           per_save=st.sampled_from([1, 2, 4]))
    def law(before: list[tuple[Any, ...]], after: list[tuple[Any, ...]],
            per_save: int) -> None:
        app.book_events_per_save = per_save
        resident = Adoption(app)
        for step in before:
            resident.step(step)
        resident.save_old()
        resident.adopt()
        resident.check()
        for step in after:
            resident.step(step)
            resident.check()

    try:
        law()
    finally:
        app.close()


__all__ = ["check_adoption_laws"]
