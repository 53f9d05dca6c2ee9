"""A ledger from before the paid-charges rule adopts it in saves of bounded size
(rule_adoption.py): the book is filled a few events per save ahead of the ledger's
`PaidChargesLeave`, an adoption interrupted between its saves resumes to the same result,
and one with more paid charges than a DynamoDB transaction holds (4 MB) adopts on DynamoDB
Local."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sfr3_ledger import LedgerApplication, ResidentLedger, rule_adoption
from sfr3_ledger import paid_charges as paid_charges_module
from sfr3_ledger.laws_adoption import check_adoption_laws
from sfr3_ledger.laws_fact_ids import Clock
from sfr3_ledger.paid_charges import PaidCharges
from tests.harness.backends import backend_env

R = "res-adopts"


def old_ledger(app: LedgerApplication, charges: int, paid: int, *, per_save: int = 500) -> None:
    """A ledger as the code before the rule wrote it (no PaidChargesLeave, no book, no id
    records): `charges` charges of 100, one payment of `paid` cents, saved a few hundred
    events at a time."""
    method = app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD",
                                       last4="4242", actor=R).method_id
    old = ResidentLedger(resident_id=R, property_id="", us_state="")
    first = date(2020, 1, 1)
    for n in range(charges):
        old.post_charge(charge_id=f"c{n}", charge_type="RENT", amount=100,
                        description=f"c{n}", due_date=first + timedelta(days=n), actor="pm")
        if len(old.pending_events) >= per_save:
            app.save(old)
    old.initiate_payment(payment_id="pay_1", amount=paid, method_id=method, actor=R)
    old.record_submission(payment_id="pay_1", stripe_ref="pi_1")
    old.settle_payment(payment_id="pay_1", stripe_ref="pi_1")
    app.save(old)
    assert not app.ledger(R).paid_charges_leave


def statement(app: LedgerApplication) -> dict[str, int]:
    """charge id -> what remains owed, over the state and the book."""
    return {c.charge_id: c.remaining for c in app.statement(R)[1]}


class Saves:
    """What each of the application's saves wrote: its book events, and whether the
    ledger's PaidChargesLeave was in it."""

    def __init__(self, app: LedgerApplication) -> None:
        self.app, self.real = app, app.save
        self.book: list[int] = []
        self.with_leave: list[bool] = []
        self.crash_on_leave = 0
        app.save = self  # type: ignore[method-assign]

    def __call__(self, *objs: Any, **kwargs: Any) -> Any:
        leave = any(isinstance(o, ResidentLedger) and any(
            isinstance(e, ResidentLedger.PaidChargesLeave) for e in o.pending_events)
            for o in objs)
        if leave and self.crash_on_leave:
            self.crash_on_leave -= 1
            for o in objs:
                if isinstance(o, ResidentLedger):
                    o.collect_events()  # what a crashed process had in memory is gone
            raise RuntimeError("the process died before this save")
        self.book.append(sum(isinstance(o, PaidCharges.Event) for o in objs))
        self.with_leave.append(leave)
        return self.real(*objs, **kwargs)


@pytest.fixture
def small(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two charges per book event and two book events per save, so 11 paid charges take
    several saves."""
    monkeypatch.setattr(paid_charges_module, "ADDED_PER_EVENT", 2)
    monkeypatch.setattr(LedgerApplication, "book_events_per_save", 2)


def test_the_book_is_filled_in_saves_of_bounded_size_before_the_ledger_adopts(
    app: LedgerApplication, small: None
) -> None:
    old_ledger(app, charges=12, paid=1150)  # c0..c10 paid, c11 half paid
    before = statement(app)
    saves = Saves(app)
    app.post_charge(R, amount=300, charge_type="OTHER", description="keys", actor="pm",
                    charge_id="keys")
    ledger = app.ledger(R)
    assert ledger.paid_charges_leave and sorted(ledger.charges) == ["c11", "keys"]
    assert statement(app) == {**before, "keys": 300}
    # The book's Opened and six Added events (11 charges, 2 each): at most 2 per save, the
    # last ones with the ledger's PaidChargesLeave, then the command's own save.
    filling = [n for n in saves.book if n]
    assert max(filling) <= 2 and sum(filling) == 7 and len(filling) >= 4
    leave_at = saves.with_leave.index(True)
    assert saves.book[leave_at] > 0 and not any(saves.with_leave[leave_at + 1:])
    book = app.repository.get(PaidCharges.create_id(R))
    assert sorted(book.charges) == sorted(f"c{n}" for n in range(11))
    # The rules hold after it as before: a refund re-opens what the payment paid.
    app.apply_refund(R, "pay_1", refund_id="re_1", amount=1150, actor="fin")
    assert statement(app) == {**{f"c{n}": 100 for n in range(12)}, "keys": 300}
    assert not app.repository.get(PaidCharges.create_id(R)).charges


def test_an_adoption_interrupted_between_its_saves_resumes_to_the_same_book(
    app: LedgerApplication, small: None
) -> None:
    old_ledger(app, charges=12, paid=1150)
    before = statement(app)
    saves = Saves(app)
    saves.crash_on_leave = 1
    with pytest.raises(RuntimeError, match="died"):
        app.post_charge(R, amount=300, charge_type="OTHER", description="keys", actor="pm",
                        charge_id="keys")
    # The book holds some paid charges; the ledger has not adopted, so no reader sees them.
    assert app.repository.get(PaidCharges.create_id(R)).charges
    assert not app.ledger(R).paid_charges_leave and statement(app) == before
    written = app.repository.get(PaidCharges.create_id(R)).version
    app.post_charge(R, amount=300, charge_type="OTHER", description="keys", actor="pm",
                    charge_id="keys")
    assert app.ledger(R).paid_charges_leave and statement(app) == {**before, "keys": 300}
    book = app.repository.get(PaidCharges.create_id(R))
    assert sorted(book.charges) == sorted(f"c{n}" for n in range(11))
    # What the interrupted adoption had written (c0..c9, before the save of its last
    # event) is not written again: one event adds c10.
    after = [s.topic.rsplit(".", 1)[-1]
             for s in app.recorder.select_events(book.id, gt=written)]
    assert after == ["Added"]


def test_a_resumed_adoption_takes_out_of_the_book_what_is_no_longer_paid(
    app: LedgerApplication, small: None
) -> None:
    """Between the interrupted adoption and the next command, code from before the rule
    (a deploy under way) refunded the payment: the charges the book got are open again."""
    old_ledger(app, charges=12, paid=1150)
    saves = Saves(app)
    saves.crash_on_leave = 1
    with pytest.raises(RuntimeError):
        app.post_charge(R, amount=300, charge_type="OTHER", description="keys", actor="pm",
                        charge_id="keys")
    assert app.repository.get(PaidCharges.create_id(R)).charges
    old = app.ledger(R)
    old.apply_refund(refund_id="re_old", payment_id="pay_1", amount=1150, actor="fin")
    app.save(old)
    app.post_charge(R, amount=300, charge_type="OTHER", description="keys", actor="pm",
                    charge_id="keys")
    assert not app.repository.get(PaidCharges.create_id(R)).charges
    assert statement(app) == {**{f"c{n}": 100 for n in range(12)}, "keys": 300}


@pytest.fixture
def dynamodb_app(request: pytest.FixtureRequest, tmp_path: Path,
                 clock: Clock) -> Iterator[LedgerApplication]:
    env = {**backend_env("dynamodb", request, tmp_path), "SFR3_SNAPSHOT_INTERVAL": "0"}
    app = LedgerApplication(env=env)
    yield app
    app.close()


def test_more_paid_charges_than_one_transaction_holds_adopt_on_dynamodb(
    dynamodb_app: LedgerApplication,
) -> None:
    """4,600 paid charges: in one save their book events needed 4.05 MB of items, more
    than one TransactWriteItems takes (the recorder refuses such a save before sending
    it: CommitTooLargeError)."""
    app = dynamodb_app
    old_ledger(app, charges=4_601, paid=460_050)
    saves = Saves(app)
    app.post_charge(R, amount=300, charge_type="OTHER", description="keys", actor="pm",
                    charge_id="keys")
    ledger = app.ledger(R)
    assert ledger.paid_charges_leave and sorted(ledger.charges) == ["c4600", "keys"]
    filling = [n for n in saves.book if n]
    # The book's Opened and 23 Added events, 4 per save: 6 saves, the last with the
    # ledger's PaidChargesLeave (after 116 saves of id records).
    assert filling == [rule_adoption.BOOK_EVENTS_PER_SAVE] * 6
    assert saves.with_leave[saves.book.index(filling[0]) + 5]
    assert len(saves.book) == 116 + 6 + 1
    paid = app.statement(R)[1]
    assert len(paid) == 4_602 and sum(c.remaining for c in paid) == 50 + 300


def test_the_adoption_law_holds(ledger_env: dict[str, str]) -> None:
    """Random old histories, adopted in saves of 1, 2 or 4 book events, then more charges,
    payments and refunds: every figure agrees with the same ledger under the old rule."""
    remote = ledger_env["PERSISTENCE_MODULE"] == "sfr3_adapters.dynamodb"
    check_adoption_laws(ledger_env, max_examples=15 if remote else 60)
