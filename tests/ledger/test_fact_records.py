"""Charge and credit ids are unique for ever (sfr3_ledger/fact_records.py), on every backend.

Before the records, a fact's id was known only while the fact was in the ledger's state:
after its archive (paid, 540 days on) the same id posted again was a second charge.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from eventsourcing.utils import get_topic, resolve_topic

from sfr3_ledger import LedgerApplication, ResidentLedger
from sfr3_ledger.errors import ConflictingFact
from sfr3_ledger.fact_records import ChargeRecord, CreditRecord
from sfr3_ledger.integration_events import ResidentResolver, envelopes_for
from sfr3_ledger.laws_fact_ids import Clock, check_fact_id_laws

R = "res-ids"


def paid_years(app: LedgerApplication, clock: Clock, method: str, months: int) -> None:
    """Monthly rent, paid at once, for `months` months: older facts get archived."""
    for month in range(months):
        clock.now += timedelta(days=30)
        app.post_charge(R, amount=1_000_00, charge_type="RENT", description=f"Rent {month}",
                        actor="pm")
        pid = app.initiate_payment(R, amount=app.ledger(R).payable, method_id=method,
                                   actor=R).payment.payment_id
        app.settle_payment(R, pid, stripe_ref=f"pi_{month}")


def start(app: LedgerApplication) -> str:
    method = app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD",
                                       last4="4242", actor=R).method_id
    app.post_charge(R, amount=1_500_00, charge_type="RENT", description="Rent Jan 2020",
                    actor="pm", charge_id="chg_rent_2020_01")
    app.apply_credit(R, amount=50_00, reason="goodwill", actor="fin", credit_id="crd_1")
    return method


def test_an_archived_charge_posted_again_is_a_retry_not_a_second_charge(
    app: LedgerApplication, clock: Clock
) -> None:
    method = start(app)
    paid_years(app, clock, method, 24)
    ledger = app.ledger(R)
    assert "chg_rent_2020_01" not in ledger.charges, "archived (paid, 540 days on)"
    assert ledger.balance == 0

    again = app.post_charge(R, amount=1_500_00, charge_type="RENT",
                            description="Rent Jan 2020", actor="pm",
                            charge_id="chg_rent_2020_01")
    assert (again.charge_id, again.amount, again.description) == (
        "chg_rent_2020_01", 1_500_00, "Rent Jan 2020")
    assert app.ledger(R).version == ledger.version, "nothing was appended"
    assert app.balance(R) == 0
    with pytest.raises(ConflictingFact):
        app.post_charge(R, amount=1_600_00, charge_type="RENT", description="Rent Jan 2020",
                        actor="pm", charge_id="chg_rent_2020_01")
    assert app.balance(R) == 0


def test_an_archived_credit_applied_again_is_a_retry(app: LedgerApplication, clock: Clock) -> None:
    method = start(app)
    paid_years(app, clock, method, 24)
    assert "crd_1" not in app.ledger(R).credits
    version = app.ledger(R).version
    assert app.apply_credit(R, amount=50_00, reason="goodwill", actor="fin",
                            credit_id="crd_1") == 0
    assert app.ledger(R).version == version
    with pytest.raises(ConflictingFact):
        app.apply_credit(R, amount=60_00, reason="goodwill", actor="fin", credit_id="crd_1")


def test_records_are_saved_with_the_fact_and_read_back(app: LedgerApplication) -> None:
    start(app)
    app.apply_late_fee(R, "chg_rent_2020_01", amount=75_00)
    charge = app.repository.get(ChargeRecord.create_id(R, "chg_rent_2020_01"))
    fee = app.repository.get(ChargeRecord.create_id(R, "late_chg_rent_2020_01"))
    credit = app.repository.get(CreditRecord.create_id(R, "crd_1"))
    assert isinstance(charge, ChargeRecord) and isinstance(fee, ChargeRecord)
    assert isinstance(credit, CreditRecord)
    assert (charge.amount, charge.charge_type, charge.resident_id) == (1_500_00, "RENT", R)
    assert (fee.amount, fee.late_fee_for) == (75_00, "chg_rent_2020_01")
    assert credit.amount == 50_00
    assert charge.as_charge().description == "Rent Jan 2020"


def test_facts_posted_before_records_get_theirs_before_the_next_command(
    app: LedgerApplication, clock: Clock
) -> None:
    from datetime import date

    method = app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD",
                                       last4="4242", actor=R).method_id
    # A ledger as the code before records wrote it: its events appended by the
    # aggregate's own commands, no records, opened before paid charges left the state.
    old = ResidentLedger(resident_id=R, property_id="", us_state="")
    for n in range(45):  # more than one save of records (RECORDS_PER_SAVE)
        old.post_charge(charge_id=f"chg_{n}", charge_type="RENT", amount=100,
                        description=f"Rent {n}", due_date=date(2020, 1, 1), actor="pm")
    old.apply_credit(credit_id="crd_1", amount=10_00, reason="goodwill", actor="fin")
    app.save(old)
    assert not app.recorder.select_events(ChargeRecord.create_id(R, "chg_0"))

    pid = app.initiate_payment(R, amount=100, method_id=method, actor=R).payment.payment_id
    app.settle_payment(R, pid, stripe_ref="pi_first")  # any command would do
    for n in range(45):
        assert app.recorder.select_events(ChargeRecord.create_id(R, f"chg_{n}"))
    assert app.recorder.select_events(CreditRecord.create_id(R, "crd_1"))
    paid_years(app, clock, method, 24)
    ledger = app.ledger(R)
    assert "chg_0" not in ledger.charges and ledger.balance == 0
    version = ledger.version
    app.post_charge(R, amount=100, charge_type="RENT", description="Rent 0", actor="pm",
                    charge_id="chg_0")
    assert app.ledger(R).version == version and app.balance(R) == 0


def test_records_publish_nothing(app: LedgerApplication) -> None:
    start(app)
    stored = list(app.recorder.select_events(ChargeRecord.create_id(R, "chg_rent_2020_01")))
    events = [app.mapper.to_domain_event(s) for s in stored]
    assert events and envelopes_for(events, ResidentResolver()) == []


@pytest.mark.parametrize("cls", [ChargeRecord, CreditRecord])
def test_record_topics_are_pinned(cls: type) -> None:
    """Stored records name their classes by topic: these may not move or be renamed."""
    topic = f"sfr3_ledger.fact_records:{cls.__name__}"
    assert get_topic(cls) == topic and resolve_topic(topic) is cls
    recorded = vars(cls)["Recorded"]
    assert get_topic(recorded) == f"{topic}.Recorded"


def test_the_fact_id_law_holds(ledger_env: dict[str, str]) -> None:
    remote = ledger_env["PERSISTENCE_MODULE"] == "sfr3_adapters.dynamodb"
    check_fact_id_laws(ledger_env, max_examples=12 if remote else 60, steps=30)


def test_the_ledger_itself_is_unchanged_by_records(app: LedgerApplication) -> None:
    start(app)
    ledger_id = ResidentLedger.create_id(R)
    topics = [s.topic for s in app.recorder.select_events(ledger_id)]
    assert topics == [f"sfr3_ledger.ledger:ResidentLedger.{n}"
                      for n in ("Opened", "ChargePosted", "CreditApplied")]
