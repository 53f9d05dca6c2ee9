"""The Lease aggregate's own rules (sfr3_ledger/leases.py), on every backend."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs
import pytest

from sfr3_ledger import ConflictingFact, InvalidAmount, InvalidCommand, LedgerApplication
from sfr3_ledger.late_fees import LateFeePolicy
from sfr3_ledger.leases import LeaseNotFound, LeaseTerms, RecurringCharge

R = "res-lease"
TERMS = LeaseTerms(monthly_rent=180_000, rent_due_day=1,
                   recurring=[RecurringCharge("pet", "OTHER", 3_500, "Pet fee", 5)])


@pytest.fixture
def app(ledger_env: dict[str, str]) -> LedgerApplication:
    return LedgerApplication(env=ledger_env)


def start(app: LedgerApplication, **kw: object) -> None:
    args: dict[str, object] = {"lease_id": "lse_1", "property_id": "home-1", "us_state": "TX",
                               "start_date": date(2027, 1, 1), "terms": TERMS, "actor": "pm"}
    args.update(kw)
    app.start_lease(R, **args)  # type: ignore[arg-type]


def test_zone_defaults_from_the_state_and_can_be_overridden(app: LedgerApplication) -> None:
    start(app)
    assert app.lease(R).time_zone == "America/Chicago"
    app.start_lease("res-other", lease_id="lse_2", property_id="h", us_state="TX",
                    start_date=date(2027, 1, 1), terms=TERMS, actor="pm",
                    time_zone="America/Denver")  # El Paso
    assert app.lease("res-other").time_zone == "America/Denver"


@pytest.mark.parametrize("bad", [
    lambda: LeaseTerms(monthly_rent=0, rent_due_day=1),
    lambda: LeaseTerms(monthly_rent=100, rent_due_day=29),
    lambda: LeaseTerms(monthly_rent=100, rent_due_day=1, grace_days=-1),
    lambda: LeaseTerms(monthly_rent=100, rent_due_day=1,
                       late_fee=LateFeePolicy(flat_cents=None, percent_bps=20_000)),
    lambda: RecurringCharge("rent", "OTHER", 100, "x", 1),
    lambda: RecurringCharge("pet", "RENT", 100, "x", 1),
    lambda: RecurringCharge("pet", "OTHER", 100, "Pet\r\nfee", 1),
    lambda: LeaseTerms(monthly_rent=100, rent_due_day=1, recurring=[
        RecurringCharge("a", "OTHER", 1, "x", 1), RecurringCharge("a", "OTHER", 2, "y", 2)]),
])
def test_bad_terms_are_refused(bad: object) -> None:
    with pytest.raises((InvalidCommand, InvalidAmount)):
        bad()  # type: ignore[operator]


def test_bad_leases_record_nothing(app: LedgerApplication) -> None:
    for kw in ({"us_state": "XX"}, {"time_zone": "Mars/Olympus"}, {"time_zone": "America"},
               {"email": "not-an-email"}, {"end_date": date(2026, 12, 31)}):
        with pytest.raises(InvalidCommand):
            start(app, **kw)
    assert app.find_lease(R) is None
    with pytest.raises(LeaseNotFound):
        app.lease(R)


def test_one_lease_at_a_time_and_a_new_one_after_move_out(app: LedgerApplication) -> None:
    start(app)
    start(app)  # the same lease again: a no-op
    with pytest.raises(ConflictingFact):
        start(app, lease_id="lse_2")
    app.end_lease(R, end_date=date(2027, 3, 15), actor="pm")
    with pytest.raises(ConflictingFact):
        start(app, lease_id="lse_2", start_date=date(2027, 3, 15))
    start(app, lease_id="lse_2", property_id="home-2", start_date=date(2027, 3, 16))
    lease = app.lease(R)
    assert (lease.lease_id, lease.property_id, lease.end_date) == ("lse_2", "home-2", None)


def test_schedule_respects_start_end_and_periods(app: LedgerApplication) -> None:
    start(app, start_date=date(2027, 1, 3))
    app.end_lease(R, end_date=date(2027, 3, 4), actor="pm")
    due = [(c.charge_id, c.due_date) for c in
           app.lease(R).scheduled_charges(date(2026, 12, 1), date(2027, 6, 30))]
    assert due == [
        ("lse_1:pet:2027-01", date(2027, 1, 5)),  # January's rent fell due before move-in
        ("lse_1:rent:2027-02", date(2027, 2, 1)), ("lse_1:pet:2027-02", date(2027, 2, 5)),
        ("lse_1:rent:2027-03", date(2027, 3, 1)),  # nothing after the move-out date
    ]


def test_terms_change_from_the_next_period(app: LedgerApplication) -> None:
    start(app)
    now = datetime(2027, 2, 10, 18, tzinfo=UTC)
    _, effective = app.change_lease(R, actor="pm", now=now,
                                    terms=attrs.evolve(TERMS, monthly_rent=190_000))
    assert effective == date(2027, 3, 1)
    lease = app.lease(R)
    assert lease.terms_for(date(2027, 2, 1)).monthly_rent == 180_000
    assert lease.terms_for(date(2027, 3, 1)).monthly_rent == 190_000
    # Late on Jan 31 in UTC is still January in Chicago: the change applies from February.
    _, effective = app.change_lease(R, actor="pm", now=datetime(2027, 2, 1, 3, tzinfo=UTC),
                                    terms=attrs.evolve(TERMS, monthly_rent=200_000))
    assert effective == date(2027, 2, 1)


def test_two_concurrent_partial_changes_both_land(app: LedgerApplication) -> None:
    start(app)
    now = datetime(2027, 2, 10, 18, tzinfo=UTC)
    raced = []

    def raise_rent(latest: LeaseTerms) -> LeaseTerms:
        if not raced:  # another manager changes the grace period in between
            raced.append(True)
            app.change_lease(R, actor="pm-2", now=now,
                             terms=lambda t: attrs.evolve(t, grace_days=9))
        return attrs.evolve(latest, monthly_rent=latest.monthly_rent + 100)

    app.change_lease(R, actor="pm-1", now=now, terms=raise_rent)
    final = app.lease(R).terms_for(date(2027, 3, 1))
    assert (final.monthly_rent, final.grace_days) == (180_100, 9)


def test_charges_of_a_leased_resident_carry_the_home(app: LedgerApplication) -> None:
    start(app, us_state="AZ", property_id="home-az")
    charge = app.post_charge(R, amount=100, charge_type="OTHER", description="Keys",
                             actor="pm")
    assert (charge.property_id, charge.us_state) == ("home-az", "AZ")
