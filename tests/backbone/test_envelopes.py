"""The envelope contract: every ledger fact has a documented type, ids are stable."""

from __future__ import annotations

import inspect
import json
from typing import Any

import pytest

from sfr3_ledger import LedgerApplication, PaymentMethods, ResidentLedger
from sfr3_ledger.integration_events import (
    CORE_FIELDS,
    EVENT_TYPES,
    SKIPPED,
    ResidentResolver,
    UnmappedEvent,
    envelopes_for,
    event_id,
    lake_partition,
    to_envelope,
)
from tests.backbone.scenario import EXPECTED_TYPES, pay_and_refund


def nested_event_classes(aggregate: type[Any]) -> set[type[Any]]:
    return {
        member
        for _, member in inspect.getmembers(aggregate, inspect.isclass)
        if issubclass(member, aggregate.Event)
        and member is not aggregate.Event
        and member.__qualname__.startswith(aggregate.__name__)
        and not member.__name__.endswith("Event")  # abstract bases: LedgerEvent, ...
        and member.__name__ not in {"Snapshot", "Created"}
    }


@pytest.mark.parametrize("aggregate", [ResidentLedger, PaymentMethods])
def test_every_event_class_is_mapped_or_deliberately_skipped(aggregate: type[Any]) -> None:
    classes = nested_event_classes(aggregate)
    assert classes, aggregate
    assert classes <= set(EVENT_TYPES) | SKIPPED, classes - set(EVENT_TYPES) - SKIPPED


def test_envelopes_are_stable_and_carry_the_schema() -> None:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    pay_and_refund(app, "res-env-1")
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 100)]

    first = envelopes_for(events, ResidentResolver())
    again = envelopes_for(events, ResidentResolver.for_application(app))

    assert first == again
    assert [e["eventType"] for e in first] == EXPECTED_TYPES
    for envelope, event in zip(first, [e for e in events if type(e) not in SKIPPED], strict=True):
        assert envelope["eventId"] == event_id(event.originator_id, event.originator_version)
        assert envelope["version"] == 1
        assert envelope["timestamp"].endswith("Z")
        assert set(CORE_FIELDS) <= set(envelope["data"])
        assert lake_partition(envelope).startswith(f"year={envelope['timestamp'][:4]}/")
        json.dumps(envelope)  # plain JSON all the way down
    assert len({e["eventId"] for e in first}) == len(first)
    charge = next(e for e in first if e["eventType"] == "charge.posted")
    assert charge["data"]["balanceEffect"] == 210000
    settled = next(e for e in first if e["eventType"] == "payment.settled")
    assert settled["data"]["balanceEffect"] == -210000


def test_an_unknown_event_class_is_an_error_not_a_silent_gap() -> None:
    class Stray(ResidentLedger.LedgerEvent):
        amount: int

        def apply(self, aggregate: Any) -> None:
            pass

    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.post_charge("res-env-2", amount=100, charge_type="RENT", description="Rent", actor="pm")
    ledger = app.ledger("res-env-2")
    ledger._trigger(Stray, "x", amount=1)
    stray = ledger.collect_events()[-1]
    with pytest.raises(UnmappedEvent):
        to_envelope(stray, "res-env-2")


def test_an_event_stored_without_its_resident_id_is_resolved_from_the_aggregate() -> None:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.post_charge("res-env-3", amount=100, charge_type="RENT", description="Rent", actor="pm")
    charge = app.mapper.to_domain_event(app.recorder.select_notifications(2, 1)[0])
    object.__delattr__(charge, "resident_id")  # as events stored before it was added
    with pytest.raises(LookupError):
        envelopes_for([charge], ResidentResolver())
    (envelope,) = envelopes_for([charge], ResidentResolver.for_application(app))
    assert envelope["data"]["residentId"] == "res-env-3"
