"""The law of fact ids: a charge or credit id counts once, for ever, archived or not.

Random histories under a simulated clock (years pass, so paid charges, settled payments
and old credits are archived, `archiving.py`) post charges, late fees and credits under a
small pool of ids, repeating ids with the same or other details, and pay what is owed.
After every step the balance must equal the model's: each id's first fact counted once,
a repeat with the same details changing nothing, other details refused (409). Without
the id records of `fact_records.py`, a charge re-posted after its archive is a second
charge and this law fails at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import eventsourcing.domain

from sfr3_ledger.application import LedgerApplication
from sfr3_ledger.errors import ChargeNotFound, ConflictingFact, InvalidAmount, NoBalanceDue
from sfr3_ledger.laws_model import AMOUNTS
from sfr3_ledger.laws_support import RuleBasedStateMachine, invariant, rule, run_laws, st

START = datetime(2020, 1, 1, tzinfo=UTC)
IDS = st.integers(min_value=0, max_value=3)


class Clock:
    """The events' clock: a microsecond per event, and days when the law says so."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(microseconds=1)
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock on (`advance(days=30)`): what a test does between commands."""
        self.now += timedelta(**delta)


@contextmanager
def simulated_clock() -> Iterator[Clock]:
    """Every event stamped by `clock` while the laws run (the library's clock hook)."""
    clock = Clock()
    original = eventsourcing.domain.datetime_now_with_tzinfo
    eventsourcing.domain.datetime_now_with_tzinfo = clock
    try:
        yield clock
    finally:
        eventsourcing.domain.datetime_now_with_tzinfo = original


def fact_id_laws(env: Mapping[str, str], clock: Clock) -> type[RuleBasedStateMachine]:
    app = LedgerApplication(env=dict(env))

    class FactIdLaws(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            clock.now = START  # each history is a new resident: its own years
            self.resident = f"res-{uuid.uuid4().hex}"
            self.method = app.enroll_payment_method(
                self.resident, provider_id="pm_card_visa", method_type="CARD",
                last4="4242", actor=self.resident).method_id
            self.charges: dict[str, int] = {}  # id -> amount of its first (only) fact
            self.credits: dict[str, int] = {}
            self.fees: dict[str, int] = {}  # charge id -> its late fee's amount
            self.paid = 0

        @rule(slot=IDS, amount=AMOUNTS, repeat=st.booleans())
        def post_charge(self, slot: int, amount: int, repeat: bool) -> None:
            charge_id = f"chg_{slot}"
            known = self.charges.get(charge_id)
            if known is not None and repeat:
                amount = known
            try:
                app.post_charge(self.resident, amount=amount, charge_type="RENT",
                                description=f"Rent {slot}", actor="pm", charge_id=charge_id)
            except ConflictingFact:
                assert known is not None and known != amount, "a retry was refused"
                return
            assert known is None or known == amount, "other details under a known id"
            self.charges.setdefault(charge_id, amount)

        @rule(slot=IDS, amount=AMOUNTS, repeat=st.booleans())
        def credit(self, slot: int, amount: int, repeat: bool) -> None:
            credit_id = f"crd_{slot}"
            known = self.credits.get(credit_id)
            if known is not None and repeat:
                amount = known
            try:
                app.apply_credit(self.resident, amount=amount, reason="goodwill", actor="fin",
                                 credit_id=credit_id)
            except ConflictingFact:
                assert known is not None and known != amount, "a retry was refused"
                return
            assert known is None or known == amount, "other details under a known id"
            self.credits.setdefault(credit_id, amount)

        @rule(slot=IDS, amount=AMOUNTS)
        def late_fee(self, slot: int, amount: int) -> None:
            charge_id = f"chg_{slot}"
            try:
                app.apply_late_fee(self.resident, charge_id, amount=amount)
            except ChargeNotFound:
                return  # never posted, or archived: no fee
            self.fees.setdefault(charge_id, amount)

        @rule()
        def pay_what_is_owed(self) -> None:
            payable = app.ledger(self.resident).payable
            try:
                started = app.initiate_payment(self.resident, amount=max(payable, 1),
                                               method_id=self.method, actor=self.resident)
            except NoBalanceDue:
                return
            except InvalidAmount:
                return  # under the provider's minimum: nothing recorded
            pid = started.payment.payment_id
            app.settle_payment(self.resident, pid, stripe_ref=f"pi_{pid}")
            self.paid += started.payment.amount

        @rule(days=st.integers(min_value=1, max_value=400))
        def time_passes(self, days: int) -> None:
            clock.now += timedelta(days=days)

        @invariant()
        def each_id_counts_once(self) -> None:
            expected = (sum(self.charges.values()) + sum(self.fees.values())
                        - sum(self.credits.values()) - self.paid)
            assert app.ledger(self.resident).balance == expected

    return FactIdLaws


def check_fact_id_laws(env: Mapping[str, str], *, max_examples: int = 100,
                       steps: int = 30) -> None:
    """Run the law; raises with a minimal failing history if an id counts twice."""
    with simulated_clock() as clock:
        run_laws(fact_id_laws(env, clock), max_examples=max_examples, steps=steps)


__all__ = ["check_fact_id_laws", "fact_id_laws"]
