"""Each aggregate's event classes are built once, as its code defines them.

eventsourcing makes every event class a frozen dataclass (six generated methods, each its
own `exec`). An event class nested in an aggregate that does not derive from that
aggregate's own `Event` is redefined under it: a second class of the same name, made a
dataclass again. That doubled the API's event classes at import (issue 17's cold start).
Each aggregate therefore defines `Event` itself and its events derive from it; a new event
class written as `class X(Aggregate.Event)` fails here.
"""

from __future__ import annotations

import dataclasses

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic

from sfr3_ledger.autopay import AutopayEnrollment
from sfr3_ledger.autopay_runs import AutopaySweepRun
from sfr3_ledger.fact_records import ChargeRecord, CreditRecord
from sfr3_ledger.leases import Lease
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.paid_charges import PaidCharges
from sfr3_ledger.payment_methods import PaymentMethods
from sfr3_ledger.reconciliation_runs import ReconciliationDay

AGGREGATES = [
    ResidentLedger, PaymentMethods, Lease, PaidCharges, AutopayEnrollment, AutopaySweepRun,
    ChargeRecord, CreditRecord, ReconciliationDay,
]


def event_classes(aggregate: type[Aggregate]) -> dict[str, type]:
    return {
        name: value for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, CanMutateAggregate)
    }


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda a: a.__name__)
def test_no_event_class_is_redefined(aggregate: type[Aggregate]) -> None:
    for name, cls in event_classes(aggregate).items():
        assert issubclass(cls, aggregate.Event), name
        copies = [b for b in cls.__bases__ if b.__qualname__ == cls.__qualname__]
        assert not copies, f"{aggregate.__name__}.{name} was redefined over {copies}"


@pytest.mark.parametrize("aggregate", AGGREGATES, ids=lambda a: a.__name__)
def test_every_event_class_resolves_to_itself_by_topic(aggregate: type[Aggregate]) -> None:
    """Stored events name their class by topic; each must resolve to the class in use."""
    for name, cls in event_classes(aggregate).items():
        assert get_topic(cls) == f"{aggregate.__module__}:{aggregate.__qualname__}.{name}"
        assert resolve_topic(get_topic(cls)) is cls
        assert dataclasses.is_dataclass(cls)


def test_ledger_events_keep_their_fields_in_order() -> None:
    """The constructor's fields are the base's, the ledger event's, then the event's own."""
    names = [f.name for f in dataclasses.fields(ResidentLedger.LateFeeApplied)]
    assert names == [
        "originator_id", "originator_version", "timestamp",
        "resident_id", "actor", "property_id", "us_state",
        "charge_id", "late_fee_for", "amount", "description", "due_date",
    ]
