"""Paid charges leave the ledger's state for the resident's book (paid_charges.py).

The state holds what can still change; the statement, reversals and late-fee links read
the book, and every rule behaves as when paid charges stayed in the state (issue 17).
"""

from __future__ import annotations

from datetime import date

import pytest

from sfr3_ledger import LedgerApplication, ResidentLedger
from sfr3_ledger.errors import ChargeNotFound
from sfr3_ledger.laws_fact_ids import Clock
from sfr3_ledger.paid_charges import PaidCharges

R = "res-books"


def enroll(app: LedgerApplication) -> str:
    return app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD", last4="4242",
                                     actor=R).method_id


def pay(app: LedgerApplication, method: str, amount: int, ref: str) -> str:
    pid = app.initiate_payment(R, amount=amount, method_id=method, actor=R).payment.payment_id
    app.record_submission(R, pid, ref)
    app.settle_payment(R, pid, stripe_ref=ref)
    return pid


def statement(app: LedgerApplication) -> dict[str, tuple[int, int]]:
    """charge id -> (amount, remaining), over the state and the book."""
    _, charges = app.statement(R)
    return {c.charge_id: (c.amount, c.remaining) for c in charges}


def post(app: LedgerApplication, charge_id: str, amount: int, due: str) -> None:
    from datetime import date

    app.post_charge(R, amount=amount, charge_type="RENT", description=charge_id, actor="pm",
                    charge_id=charge_id, due_date=date.fromisoformat(due))


def test_book_topics_are_pinned() -> None:
    """Stored books name their classes by topic: these may not move or be renamed."""
    from eventsourcing.utils import get_topic

    assert get_topic(PaidCharges) == "sfr3_ledger.paid_charges:PaidCharges"
    for name in ("Opened", "Added", "Reopened"):
        assert get_topic(vars(PaidCharges)[name]) == f"sfr3_ledger.paid_charges:PaidCharges.{name}"


def test_a_paid_charge_leaves_the_state_and_stays_on_the_statement(
    app: LedgerApplication,
) -> None:
    method = enroll(app)
    post(app, "c1", 1000, "2020-01-01")
    post(app, "c2", 1000, "2020-02-01")
    post(app, "c3", 1000, "2020-03-01")
    pay(app, method, 2500, "pi_1")
    ledger = app.ledger(R)
    assert sorted(ledger.charges) == ["c3"], "only what is still owed is in the state"
    assert statement(app) == {"c1": (1000, 0), "c2": (1000, 0), "c3": (1000, 500)}
    book = app.repository.get(PaidCharges.create_id(R))
    assert sorted(book.charges) == ["c1", "c2"]
    assert [(a.charge_id, a.amount) for a in app.allocations(R)] == [
        ("c1", 1000), ("c2", 1000), ("c3", 500)]


@pytest.mark.parametrize("reversal", ["refund", "chargeback"])
def test_a_reversal_reopens_the_paid_charges_latest_due_first(
    app: LedgerApplication, reversal: str
) -> None:
    method = enroll(app)
    post(app, "c1", 1000, "2020-01-01")
    post(app, "c2", 1000, "2020-02-01")
    post(app, "c3", 1000, "2020-03-01")
    pid = pay(app, method, 2500, "pi_1")
    if reversal == "refund":
        app.apply_refund(R, pid, refund_id="re_1", amount=1200, actor="fin")
    else:
        app.open_dispute(R, dispute_id="dp_1", payment_id=pid, amount=1200, reason="fraud")
        app.close_dispute(R, "dp_1", won=False)
    ledger = app.ledger(R)
    # The 500 paid on c3 is undone first, then 700 of c2; c1 stays paid (and out).
    assert statement(app) == {"c1": (1000, 0), "c2": (1000, 700), "c3": (1000, 1000)}
    assert sorted(ledger.charges) == ["c2", "c3"] and ledger.unassigned_debt == 0
    assert ledger.balance == 1700
    book = app.repository.get(PaidCharges.create_id(R))
    assert sorted(book.charges) == ["c1"], "a re-opened charge leaves the book"
    # Replaying the stored events alone (no snapshot, no book) gives the same state.
    replayed = None
    for event in app.events.get(ResidentLedger.create_id(R)):
        replayed = event.mutate(replayed)
    assert replayed is not None
    assert {c: (x.amount, x.remaining) for c, x in replayed.charges.items()} == {
        "c2": (1000, 700), "c3": (1000, 1000)}
    # Money in again pays c2 then c3, and c2 leaves the state again.
    pay(app, method, 700, "pi_2")
    assert sorted(app.ledger(R).charges) == ["c3"]
    assert statement(app)["c2"] == (1000, 0)


def test_a_reopened_charge_keeps_its_late_fee(app: LedgerApplication) -> None:
    method = enroll(app)
    post(app, "c1", 1000, "2020-01-01")
    app.apply_late_fee(R, "c1", amount=500, fee_id="fee_c1")
    pid = pay(app, method, 1500, "pi_1")
    assert not app.ledger(R).charges and not app.ledger(R).late_fees
    with pytest.raises(ChargeNotFound):  # paid in full: no fee on it
        app.apply_late_fee(R, "c1", amount=75, fee_id="fee_c1_again")
    app.apply_refund(R, pid, refund_id="re_1", amount=1500, actor="fin")
    ledger = app.ledger(R)
    assert ledger.late_fees == {"c1": "fee_c1"}, "the link came back with the charge"
    version = ledger.version
    fee = app.apply_late_fee(R, "c1", amount=75, fee_id="fee_c1_again")
    assert (fee.charge_id, fee.amount) == ("fee_c1", 500), "no second late fee"
    assert app.ledger(R).version == version
    assert app.balance(R) == 1500


def test_a_paid_charge_posted_again_is_answered_with_what_paid_it(
    app: LedgerApplication,
) -> None:
    """A retried post (a client's, a job re-run) of a charge paid since: the answer is the
    book's copy, paid, not the charge as posted with nothing paid."""
    method = enroll(app)
    post(app, "c1", 1000, "2020-01-01")
    pid = pay(app, method, 1000, "pi_1")
    version = app.ledger(R).version
    again = app.post_charge(R, amount=1000, charge_type="RENT", description="c1", actor="pm",
                            charge_id="c1", due_date=date(2020, 1, 1))
    assert (again.charge_id, again.amount, again.paid, again.remaining) == ("c1", 1000, 1000, 0)
    assert again.paid_by == {pid: 1000}
    assert app.ledger(R).version == version and app.balance(R) == 0
    again.paid_by.clear()  # a copy: the book is not changed through it
    assert statement(app) == {"c1": (1000, 0)}


def test_a_fee_paid_while_its_charge_is_owed_is_answered_from_its_record(
    app: LedgerApplication,
) -> None:
    from datetime import date

    method = enroll(app)
    post(app, "c1", 1000, "2020-03-01")
    app.apply_late_fee(R, "c1", amount=500, fee_id="fee_c1", due_date=date(2020, 1, 15))
    pay(app, method, 500, "pi_1")  # the fee is due first: paid, out of the state
    ledger = app.ledger(R)
    assert sorted(ledger.charges) == ["c1"] and ledger.late_fees == {"c1": "fee_c1"}
    version = ledger.version
    fee = app.apply_late_fee(R, "c1", amount=75)
    assert (fee.charge_id, fee.amount) == ("fee_c1", 500)
    assert (fee.paid, fee.remaining) == (500, 0), "answered with what paid it"
    assert app.ledger(R).version == version and app.balance(R) == 1000
    by_id = {c.charge_id: c for c in app.statement(R)[1]}
    assert by_id["fee_c1"].remaining == 0 and by_id["c1"].remaining == 1000


def test_a_ledger_opened_before_the_rule_adopts_it_with_its_next_command(
    app: LedgerApplication,
) -> None:
    from datetime import date

    method = enroll(app)
    # A ledger as the code before this change wrote it: opened without the rule, its
    # events appended by the aggregate's own commands (no PaidChargesLeave, no books).
    old = ResidentLedger(resident_id=R, property_id="", us_state="")
    for charge_id, due in (("c1", date(2020, 1, 1)), ("c2", date(2020, 2, 1))):
        old.post_charge(charge_id=charge_id, charge_type="RENT", amount=1000,
                        description=charge_id, due_date=due, actor="pm")
    old.initiate_payment(payment_id="pay_1", amount=1500, method_id=method, actor=R)
    old.record_submission(payment_id="pay_1", stripe_ref="pi_1")
    old.settle_payment(payment_id="pay_1", stripe_ref="pi_1")
    app.save(old)
    loaded = app.ledger(R)
    assert not loaded.paid_charges_leave and sorted(loaded.charges) == ["c1", "c2"]
    seen = statement(app)
    assert seen == {"c1": (1000, 0), "c2": (1000, 500)}

    app.post_charge(R, amount=300, charge_type="OTHER", description="keys", actor="pm",
                    charge_id="c3")
    ledger = app.ledger(R)
    assert ledger.paid_charges_leave and sorted(ledger.charges) == ["c2", "c3"]
    assert statement(app) == {**seen, "c3": (300, 300)}
    names = [s.topic.rsplit(".", 1)[-1]
             for s in app.recorder.select_events(ResidentLedger.create_id(R))]
    assert names[-2:] == ["PaidChargesLeave", "ChargePosted"]
    app.apply_refund(R, "pay_1", refund_id="re_1", amount=1500, actor="fin")
    assert statement(app) == {"c1": (1000, 1000), "c2": (1000, 1000), "c3": (300, 300)}
    assert app.ledger(R).unassigned_debt == 0


def test_state_and_snapshot_are_bounded_by_open_charges(app: LedgerApplication) -> None:
    """Two residents with the same 12 payments: one paid 10 charges with each, the other
    one. Their states (and snapshots) are the same size: paid charges are not in them."""
    sizes = {}
    for resident, per_payment in (("res-many", 10), ("res-few", 1)):
        method = app.enroll_payment_method(resident, provider_id="pm_1", method_type="CARD",
                                           last4="4242", actor=resident).method_id
        for month in range(12):
            for n in range(per_payment):
                app.post_charge(resident, amount=1000 // per_payment, charge_type="RENT",
                                description="Rent", actor="pm", charge_id=f"c{month}_{n}")
            pid = app.initiate_payment(resident, amount=1000, method_id=method,
                                       actor=resident).payment.payment_id
            app.settle_payment(resident, pid, stripe_ref=f"pi_{pid}")
        app.post_charge(resident, amount=100, charge_type="RENT", description="Rent",
                        actor="pm", charge_id="open")
        ledger = app.ledger(resident)
        assert list(ledger.charges) == ["open"]
        assert len(app.statement(resident)[1]) == 12 * per_payment + 1
        app.take_snapshot(ledger.id)
        assert app.snapshots is not None
        stored = app.snapshots.recorder.select_events(ledger.id, desc=True, limit=1)
        sizes[resident] = len(stored[0].state)
    assert sizes["res-many"] < sizes["res-few"] * 1.1, sizes
    # The book (12 payments: 13 versions) has its own snapshots, every 2 versions.
    book = app.snapshots.recorder.select_events(PaidCharges.create_id("res-many"))
    assert [s.originator_version for s in book] == [2, 4, 6, 8, 10, 12]
    assert len(app.repository.get(PaidCharges.create_id("res-many")).charges) == 120


def test_a_refund_of_a_payment_that_paid_many_charges_fits_the_store(
    app: LedgerApplication,
) -> None:
    """The charges a reversal brings back come in events of at most 200 (a DynamoDB item
    holds 400 KB; 450 charges in one event would not fit)."""
    method = enroll(app)
    for n in range(450):
        app.post_charge(R, amount=100, charge_type="UTILITY", description=f"Day {n}",
                        actor="pm", charge_id=f"d{n}")
    pid = pay(app, method, 45_000, "pi_all")
    assert not app.ledger(R).charges
    app.apply_refund(R, pid, refund_id="re_all", amount=45_000, actor="fin")
    ledger = app.ledger(R)
    assert len(ledger.charges) == 450 and ledger.balance == 45_000
    names = [s.topic.rsplit(".", 1)[-1] for s in app.recorder.select_events(ledger.id)]
    assert names[-4:] == ["ChargesReinstated"] * 3 + ["RefundApplied"]
    assert not app.repository.get(PaidCharges.create_id(R)).charges


def test_a_statement_read_while_a_refund_is_saved_reads_again(
    app: LedgerApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    method = enroll(app)
    post(app, "c1", 1000, "2020-01-01")
    pid = pay(app, method, 1000, "pi_1")
    original = LedgerApplication.paid_charges
    refunded: list[bool] = []

    def racing(self: LedgerApplication, ledger: ResidentLedger) -> list:  # type: ignore[type-arg]
        if not refunded:  # another writer saves a refund between the two reads
            refunded.append(True)
            self.apply_refund(R, pid, refund_id="re_1", amount=1000, actor="fin")
        return original(self, ledger)

    monkeypatch.setattr(LedgerApplication, "paid_charges", racing)
    ledger, charges = app.statement(R)
    assert [(c.charge_id, c.remaining) for c in charges] == [("c1", 1000)]
    assert ledger.balance == 1000


def test_a_reversal_after_the_archive_window_reopens_nothing_it_had_archived(
    app: LedgerApplication, clock: Clock
) -> None:
    """As before: a charge paid more than 540 days ago is archived; a chargeback of the
    payment that paid it (kept by its open dispute) is owed as unassigned debt."""
    from datetime import timedelta

    method = enroll(app)
    post(app, "c1", 1000, "2020-01-01")
    pid = pay(app, method, 1000, "pi_1")
    app.open_dispute(R, dispute_id="dp_1", payment_id=pid, amount=1000, reason="fraud")
    clock.now += timedelta(days=600)
    post(app, "c2", 500, "2021-09-01")  # its event sweeps the archive
    app.close_dispute(R, "dp_1", won=False)
    ledger = app.ledger(R)
    assert ledger.unassigned_debt == 1000 and sorted(ledger.charges) == ["c2"]
    assert ledger.balance == 1500
