"""Stored events and snapshots name their classes by topic (`module:qualname`).

Every ResidentLedger event ever stored says `sfr3_ledger.ledger:ResidentLedger.<Name>`
and every snapshot `sfr3_ledger.ledger:ResidentLedger`. Moving a class to another module
or renaming it would leave those stored records unreadable, so these topics are pinned
here: code may move around ledger.py, the aggregate and its events may not.
"""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic, resolve_topic

from sfr3_ledger import LedgerApplication, ResidentLedger

AGGREGATE_TOPIC = "sfr3_ledger.ledger:ResidentLedger"
EVENT_NAMES = [
    # Base classes (LedgerEvent, Event) and the library's Created are never stored, but
    # every stored class derives from them under the same path.
    "Event",
    "Created",
    "LedgerEvent",
    "Opened",
    "ChargePosted",
    "LateFeeApplied",
    "PaymentInitiated",
    "PaymentSubmitted",
    "PaymentSettled",
    "PaymentFailed",
    "PaymentPermanentlyFailed",
    "PaymentRetryStarted",
    "PaymentRetryCancelled",
    "PaymentRecovered",
    "RefundRequested",
    "RefundRequestFailed",
    "RefundRequestCompleted",
    "RefundApplied",
    "DisputeOpened",
    "DisputeEvidenceSubmitted",
    "DisputeWon",
    "ChargebackApplied",
    "CreditApplied",
    "PaidChargesLeave",
    "ChargesReinstated",
]


def test_the_aggregate_topic_is_pinned() -> None:
    assert get_topic(ResidentLedger) == AGGREGATE_TOPIC
    assert resolve_topic(AGGREGATE_TOPIC) is ResidentLedger


def test_every_event_class_of_the_ledger_is_listed() -> None:
    """A new event must be added above (and then keeps its topic for ever)."""
    nested = {
        name
        for name, value in vars(ResidentLedger).items()
        if isinstance(value, type) and issubclass(value, DomainEvent)
    }
    assert nested == set(EVENT_NAMES)


@pytest.mark.parametrize("name", EVENT_NAMES)
def test_event_topics_are_pinned(name: str) -> None:
    event_class = getattr(ResidentLedger, name)
    topic = f"{AGGREGATE_TOPIC}.{name}"
    assert get_topic(event_class) == topic
    assert event_class.__module__ == "sfr3_ledger.ledger"
    assert event_class.__qualname__ == f"ResidentLedger.{name}"
    assert resolve_topic(topic) is event_class


def test_commands_record_events_and_snapshots_under_the_pinned_topics() -> None:
    app = LedgerApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo", "SFR3_SNAPSHOT_INTERVAL": "2"}
    )
    resident = "res-topics"
    method = app.enroll_payment_method(
        resident, provider_id="pm_topics", method_type="CARD", last4="4242", actor="res"
    )
    app.post_charge(resident, amount=100_00, charge_type="RENT", description="Rent",
                    actor="mgr", charge_id="chg_1")
    app.apply_late_fee(resident, "chg_1", amount=10_00)
    app.initiate_payment(resident, amount=60_00, method_id=method.method_id, actor="res",
                         payment_id="pay_1")
    app.record_submission(resident, "pay_1", "pi_1")
    app.settle_payment(resident, "pay_1")
    app.request_refund(resident, "pay_1", amount=5_00, actor="mgr", request_id="rq_1")
    app.apply_refund(resident, "pay_1", refund_id="re_1", amount=5_00, actor="system",
                     request_id="rq_1")
    app.apply_credit(resident, amount=1_00, reason="goodwill", actor="mgr", credit_id="crd_1")

    ledger_id: UUID = ResidentLedger.create_id(resident)
    topics = [stored.topic for stored in app.recorder.select_events(ledger_id)]
    assert topics == [
        f"{AGGREGATE_TOPIC}.{name}"
        for name in ["Opened", "ChargePosted", "LateFeeApplied", "PaymentInitiated",
                     "PaymentSubmitted", "PaymentSettled", "RefundRequested",
                     "RefundApplied", "CreditApplied"]
    ]
    assert app.snapshots is not None
    snapshots = list(app.snapshots.recorder.select_events(ledger_id))
    assert snapshots
    for stored in snapshots:
        assert app.mapper.to_domain_event(stored).topic == AGGREGATE_TOPIC
