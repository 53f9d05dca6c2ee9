"""The ledger's laws as a hypothesis state machine, runnable against any backend.

Other teams import this to check their own persistence module:

    from sfr3_ledger.laws import check_ledger_laws
    check_ledger_laws({"PERSISTENCE_MODULE": "my.module", ...}, max_examples=200)

Random histories of charges, payments (pending, settled, failed, settled late), refunds,
replays, disputes, late fees and credits go through the public application API; after
every step the ledger is compared with a plain reference model (`laws_model.py`). Needs
`hypothesis` (the `testing` extra); only the laws modules import it (`laws_support.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from eventsourcing.application import AggregateNotFoundError

from sfr3_ledger.application import LedgerApplication
from sfr3_ledger.errors import (
    AmountExceedsBalance,
    ChargeNotFound,
    ConflictingFact,
    InvalidAmount,
    LedgerError,
    NoBalanceDue,
    PaymentNotRefundable,
    RefundExceedsPayment,
)
from sfr3_ledger.laws_model import AMOUNTS, Model, ModelPayment, check_agreement
from sfr3_ledger.laws_support import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_laws,
    st,
)
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.values import COLLECTED_STATUSES, MIN_PAYMENT_CENTS, ChargeType, PaymentStatus


def ledger_laws(env: Mapping[str, str]) -> type[RuleBasedStateMachine]:
    """A state machine class bound to one application (one store) for all its examples."""
    app = LedgerApplication(env=dict(env))

    class LedgerLaws(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.app = app
            self.resident = f"res-{uuid.uuid4().hex}"
            self.method = app.enroll_payment_method(
                self.resident,
                provider_id="pm_card_visa",
                method_type="CARD",
                last4="4242",
                actor=self.resident,
            ).method_id
            self.model = Model()
            self.last_version = 0
            self.expect_unchanged = False

        # ---- helpers ----------------------------------------------------------------

        def unchanged(self) -> None:
            """The step repeated a known fact: the invariant checks nothing was appended."""
            self.expect_unchanged = True

        def lower_floor(self) -> None:
            self.model.floor = min(self.model.floor, self.model.payable)

        # ---- rules ------------------------------------------------------------------

        @rule(amount=AMOUNTS, kind=st.sampled_from(ChargeType))
        def post_charge(self, amount: int, kind: ChargeType) -> None:
            charge = self.app.post_charge(
                self.resident,
                amount=amount,
                charge_type=kind.value,
                description="x",
                actor="pm",
            )
            self.model.charges += amount
            if kind == ChargeType.RENT:
                self.model.rent_charges.append(charge.charge_id)

        @rule(amount=st.one_of(AMOUNTS, st.just(0)))
        def initiate_payment(self, amount: int) -> None:
            # 0 stands for "exactly what is payable", the edge that matters most.
            amount = amount or max(self.model.payable, 1)
            model = self.model
            try:
                started = self.app.initiate_payment(
                    self.resident, amount=amount, method_id=self.method, actor=self.resident
                )
            except InvalidAmount:
                # Below the provider's minimum charge: bad input, nothing recorded.
                assert amount < MIN_PAYMENT_CENTS
                self.unchanged()
                return
            except NoBalanceDue:
                assert model.balance <= 0
                return
            except AmountExceedsBalance as exc:
                assert model.balance > 0 and amount > model.payable
                assert exc.balance == max(model.payable, 0)
                return
            assert amount >= MIN_PAYMENT_CENTS
            assert model.balance > 0 and amount <= model.payable
            model.payments[started.payment.payment_id] = ModelPayment(amount=amount)
            model.pending += amount
            assert started.current_balance == model.balance
            assert started.balance_after_payment == model.payable

        @precondition(lambda self: self.model.payments)
        @rule(data=st.data())
        def settle(self, data: st.DataObject) -> None:
            pid = data.draw(st.sampled_from(list(self.model.payments)))
            payment = self.model.payments[pid]
            self.app.settle_payment(self.resident, pid, stripe_ref=f"pi_{pid}")
            if payment.status in COLLECTED_STATUSES:
                self.unchanged()
                return
            if payment.status == PaymentStatus.PENDING:
                self.model.pending -= payment.amount
            was_failed = payment.status == PaymentStatus.FAILED
            payment.status = PaymentStatus.SETTLED
            self.model.settled += payment.amount
            if was_failed:
                self.lower_floor()

        @precondition(lambda self: self.model.payments)
        @rule(data=st.data())
        def fail(self, data: st.DataObject) -> None:
            pid = data.draw(st.sampled_from(list(self.model.payments)))
            payment = self.model.payments[pid]
            self.app.fail_payment(self.resident, pid, reason="card_declined")
            if payment.status != PaymentStatus.PENDING:
                self.unchanged()
                return
            payment.status = PaymentStatus.FAILED
            self.model.pending -= payment.amount

        @precondition(lambda self: self.model.payments)
        @rule(data=st.data(), amount=st.one_of(AMOUNTS, st.just(0)))
        def refund(self, data: st.DataObject, amount: int) -> None:
            pid = data.draw(st.sampled_from(list(self.model.payments)))
            payment = self.model.payments[pid]
            amount = amount or max(payment.unrefunded, 1)
            refund_id = f"re_{uuid.uuid4().hex}"
            try:
                self.app.apply_refund(
                    self.resident, pid, refund_id=refund_id, amount=amount, actor="fin"
                )
            except PaymentNotRefundable:
                assert payment.unrefunded == 0 and payment.status not in (
                    PaymentStatus.SETTLED,
                    PaymentStatus.PARTIALLY_REFUNDED,
                )
                return
            except RefundExceedsPayment as exc:
                # A refund fact may use what requests in flight reserved, never more.
                assert amount > payment.unrefunded == exc.refundable
                return
            assert amount <= payment.unrefunded
            payment.record_refund(refund_id, amount)
            self.model.refunds += amount

        @precondition(lambda self: self.model.payments)
        @rule(data=st.data(), amount=st.one_of(st.none(), AMOUNTS))
        def request_refund(self, data: st.DataObject, amount: int | None) -> None:
            """A refund we ask for is reserved first: requests never exceed the payment."""
            pid = data.draw(st.sampled_from(list(self.model.payments)))
            payment = self.model.payments[pid]
            request_id = f"rfq_{uuid.uuid4().hex}"
            try:
                _, request = self.app.request_refund(
                    self.resident, pid, amount=amount, actor="fin", request_id=request_id
                )
            except PaymentNotRefundable:
                assert payment.refundable == 0
                return
            except RefundExceedsPayment as exc:
                assert amount is not None and amount > payment.refundable == exc.refundable
                return
            expected = payment.refundable if amount is None else amount
            assert expected <= payment.refundable
            assert (request.request_id, request.amount) == (request_id, expected)
            payment.requests[request_id] = expected
            # The same request again is the same request: nothing more is reserved.
            again = self.app.request_refund(
                self.resident, pid, amount=amount, actor="fin", request_id=request_id
            )[1]
            assert again.amount == expected
            if amount is not None:
                try:
                    self.app.request_refund(
                        self.resident, pid, amount=amount + 1, actor="fin",
                        request_id=request_id,
                    )
                except ConflictingFact:
                    pass
                else:
                    raise AssertionError("a request id was reused for another amount")

        @precondition(lambda self: any(p.requests for p in self.model.payments.values()))
        @rule(data=st.data(), succeeded=st.booleans())
        def finish_refund_request(self, data: st.DataObject, succeeded: bool) -> None:
            pending = [(pid, rq) for pid, p in self.model.payments.items() for rq in p.requests]
            pid, request_id = data.draw(st.sampled_from(pending))
            payment = self.model.payments[pid]
            amount = payment.requests[request_id]
            if not succeeded:
                self.app.fail_refund_request(self.resident, pid, request_id, reason="declined")
                del payment.requests[request_id]
                return
            refund_id = f"re_{request_id}"
            try:
                self.app.apply_refund(self.resident, pid, refund_id=refund_id, amount=amount,
                                      actor="fin", request_id=request_id)
            except (PaymentNotRefundable, RefundExceedsPayment):
                # A chargeback took the money meanwhile: the provider would refuse too.
                assert amount > payment.unrefunded
                return
            del payment.requests[request_id]
            payment.record_refund(refund_id, amount)
            self.model.refunds += amount

        @precondition(lambda self: any(p.refunds for p in self.model.payments.values()))
        @rule(data=st.data())
        def replay_refund(self, data: st.DataObject) -> None:
            refunded = list(
                (pid, rid, amt)
                for pid, p in self.model.payments.items()
                for rid, amt in p.refunds.items()
            )
            pid, rid, amount = data.draw(st.sampled_from(refunded))
            self.app.apply_refund(self.resident, pid, refund_id=rid, amount=amount, actor="fin")
            self.unchanged()

        @precondition(lambda self: self.model.payments)
        @rule(data=st.data(), won=st.booleans())
        def dispute(self, data: st.DataObject, won: bool) -> None:
            pid = data.draw(st.sampled_from(list(self.model.payments)))
            payment = self.model.payments[pid]
            dispute_id = f"dp_{uuid.uuid4().hex}"
            self.app.open_dispute(
                self.resident,
                dispute_id=dispute_id,
                payment_id=pid,
                amount=payment.amount,
                reason="fraudulent",
            )
            self.app.close_dispute(self.resident, dispute_id, won=won)
            before = self.app.ledger(self.resident).version
            self.app.close_dispute(self.resident, dispute_id, won=won)  # duplicate webhook
            assert self.app.ledger(self.resident).version == before
            if not won:
                held = 0
                if payment.status in COLLECTED_STATUSES:
                    held = payment.amount - payment.refunded - payment.charged_back
                payment.charged_back += held
                self.model.chargebacks += held

        @rule(amount=AMOUNTS)
        def credit(self, amount: int) -> None:
            self.app.apply_credit(self.resident, amount=amount, reason="goodwill", actor="fin")
            self.model.credits += amount
            self.lower_floor()

        @precondition(lambda self: self.model.rent_charges)
        @rule(data=st.data(), amount=st.integers(min_value=1, max_value=10_000))
        def late_fee(self, data: st.DataObject, amount: int) -> None:
            charge_id = data.draw(st.sampled_from(self.model.rent_charges))
            try:
                self.app.apply_late_fee(self.resident, charge_id, amount=amount)
            except ChargeNotFound:
                # Paid in full, so out of the state (paid_charges.py): no fee on it.
                _, charges = self.app.statement(self.resident)
                paid = {c.charge_id: c.remaining for c in charges}
                assert paid.get(charge_id) == 0, "a charge still owed was not found"
                self.unchanged()
                return
            if charge_id in self.model.fined:
                self.unchanged()
                return
            self.model.fined.add(charge_id)
            self.model.late_fees += amount

        @precondition(lambda self: self.model.history)
        @rule(data=st.data())
        def balance_as_of_matches_history(self, data: st.DataObject) -> None:
            index = data.draw(st.integers(min_value=0, max_value=len(self.model.history) - 1))
            at, _ = self.model.history[index]
            # Several steps may share a timestamp: the last of them is the state at `at`.
            expected = [b for t, b in self.model.history if t <= at][-1]
            assert self.app.balance_as_of(self.resident, at) == expected

        # ---- laws -------------------------------------------------------------------

        @invariant()
        def laws_hold(self) -> None:
            """One load and one read of the events per step: this runs on real stores."""
            ledger_id = ResidentLedger.create_id(self.resident)
            try:
                ledger: ResidentLedger = self.app.repository.get(ledger_id)
            except AggregateNotFoundError:
                assert self.model.balance == 0 and not self.model.payments
                self.expect_unchanged = False  # nothing stored: nothing was applied again
                return
            model = self.model
            if self.expect_unchanged:
                assert ledger.version == self.last_version, "a repeated fact was applied again"
                self.expect_unchanged = False
            if ledger.version != self.last_version:
                self.last_version = ledger.version
                model.history.append((ledger.modified_on, model.balance))

            check_agreement(ledger, model, list(self.app.events.get(ledger_id)))
            # Paid charges leave the state for the book and come back when a reversal
            # re-opens them (paid_charges.py): every charge is in exactly one of the two,
            # the state holds every charge still owed, and the statement adds up.
            # (The ledger just loaded plus its book: the statement without a second load.)
            statement = [*ledger.charges.values(), *self.app.paid_charges(ledger)]
            ids = [c.charge_id for c in statement]
            assert len(ids) == len(set(ids)), "a charge both in the state and in the book"
            assert sum(c.amount for c in statement) == model.charges + model.late_fees
            assert all(c.charge_id in ledger.charges for c in statement if c.remaining > 0)
            owed = sum(c.remaining for c in statement)
            assert owed == sum(o.remaining for o in ledger.outstanding_charges())

    return LedgerLaws


def check_ledger_laws(env: Mapping[str, str], *, max_examples: int = 200, steps: int = 25) -> None:
    """Run the laws; raises with a minimal failing history if any law breaks."""
    run_laws(ledger_laws(env), max_examples=max_examples, steps=steps)


__all__ = ["LedgerError", "Model", "check_ledger_laws", "ledger_laws"]
