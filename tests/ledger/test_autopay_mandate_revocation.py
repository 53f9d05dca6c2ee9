"""A revoked ACH mandate stops autopay (unit level, on the in-memory ledger).

`AutopayEnrollment.revoke_mandate` pauses the enrollment that debits under the mandate,
once, even when the resident had paused it already; resume is refused until a new
mandate is in force; a retry of a debit made under a revoked or replaced mandate is no
longer consented to. `mandate.updated` is acted on only when Stripe's own copy agrees
(provider_mandates.py), and a replay or another mandate changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from sfr3_adapters.reactions import compose
from sfr3_ledger import LedgerApplication
from sfr3_ledger.autopay import (
    ACTIVE,
    MANDATE_REVOKED,
    PAUSED,
    AutopayEnrollment,
    MandateRevokedError,
    autopay_still_consents,
)
from sfr3_ledger.integration_events import to_envelope
from sfr3_ledger.payment_errors import ProviderUnavailableError
from sfr3_ledger.payment_provider import InvalidProviderRequest, MandateResult, ProviderEvent
from sfr3_ledger.payment_service import PaymentService
from tests.ledger.test_autopay_mandates import NOW

RID = "r-1"


@pytest.fixture
def app() -> LedgerApplication:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.link_customer(RID, "cus_1")
    return app


def _bank(app: LedgerApplication, pm: str = "pm_bank") -> str:
    return str(app.enroll_payment_method(RID, provider_id=pm, method_type="ACH",
                                         last4="6789", actor=RID).method_id)


def _enrolled(app: LedgerApplication, mandate: str = "mandate_1") -> str:
    method = _bank(app)
    app.enroll_autopay(RID, enrollment_id="apay_1", method_id=method, charge_day=3,
                       actor=RID, mandate_id=mandate)
    return method


def _pauses(app: LedgerApplication) -> list[Any]:
    return [e for e in app.events.get(AutopayEnrollment.create_id(RID))
            if isinstance(e, AutopayEnrollment.Paused)]


def test_a_revoked_mandate_pauses_autopay_once_and_names_the_mandate(app) -> None:
    method = _enrolled(app)
    assert app.mandate_revoked(RID, "mandate_1", actor="stripe") is True
    enrollment = app.autopay(RID)
    assert (enrollment.status, enrollment.pause_reason) == (PAUSED, MANDATE_REVOKED)
    assert enrollment.revoked_mandate_id == "mandate_1"
    assert not autopay_still_consents(enrollment, method, "mandate_1")
    # A replay of the same revocation records nothing more.
    assert app.mandate_revoked(RID, "mandate_1", actor="stripe") is False
    [paused] = _pauses(app)
    envelope = to_envelope(paused, RID)
    assert envelope is not None and envelope["eventType"] == "autopay.paused"
    assert (envelope["data"]["reason"], envelope["data"]["mandateId"]) == (
        MANDATE_REVOKED, "mandate_1")


def test_another_mandate_a_card_or_no_enrollment_changes_nothing(app) -> None:
    assert app.mandate_revoked(RID, "mandate_1", actor="stripe") is False  # not enrolled
    _enrolled(app)
    assert app.mandate_revoked(RID, "mandate_other", actor="stripe") is False
    assert app.autopay(RID).status == ACTIVE
    assert _pauses(app) == []
    card = str(app.enroll_payment_method(RID, provider_id="pm_card", method_type="CARD",
                                         last4="4242", actor=RID).method_id)
    app.change_autopay(RID, actor=RID, method_id=card)  # a card: the mandate is dropped
    assert app.autopay(RID).mandate_id is None
    assert app.mandate_revoked(RID, "mandate_1", actor="stripe") is False
    assert app.autopay(RID).status == ACTIVE


def test_a_cancelled_enrollment_stays_cancelled(app) -> None:
    _enrolled(app)
    app.cancel_autopay(RID, actor=RID)
    assert app.mandate_revoked(RID, "mandate_1", actor="stripe") is False
    assert app.autopay(RID).status == "CANCELLED"


def test_revoked_while_paused_is_recorded_and_resume_is_refused(app) -> None:
    _enrolled(app)
    app.pause_autopay(RID, actor=RID)
    assert app.mandate_revoked(RID, "mandate_1", actor="stripe") is True
    assert [p.reason for p in _pauses(app)] == ["paused by the resident", MANDATE_REVOKED]
    with pytest.raises(MandateRevokedError) as refused:
        app.resume_autopay(RID, actor=RID)
    assert (refused.value.status, refused.value.code) == (409, "mandate_revoked")
    # A change of day or cap keeps the revoked mandate: still refused.
    app.change_autopay(RID, actor=RID, charge_day=9)
    with pytest.raises(MandateRevokedError):
        app.resume_autopay(RID, actor=RID)
    assert app.autopay(RID).status == PAUSED


def test_a_new_mandate_is_consent_again(app) -> None:
    _enrolled(app)
    app.mandate_revoked(RID, "mandate_1", actor="stripe")
    other = _bank(app, "pm_bank_2")
    app.change_autopay(RID, actor=RID, method_id=other, mandate_id="mandate_2")
    app.resume_autopay(RID, actor=RID)
    enrollment = app.autopay(RID)
    assert (enrollment.status, enrollment.mandate_id) == (ACTIVE, "mandate_2")
    assert autopay_still_consents(enrollment, other, "mandate_2")
    # A retry of the old debit (made under the revoked mandate) is not consented to.
    assert not autopay_still_consents(enrollment, other, "mandate_1")


def test_enrolling_again_after_cancelling_makes_autopay_active(app) -> None:
    method = _enrolled(app)
    app.mandate_revoked(RID, "mandate_1", actor="stripe")
    app.cancel_autopay(RID, actor=RID)
    app.enroll_autopay(RID, enrollment_id="apay_2", method_id=method, charge_day=3,
                       actor=RID, mandate_id="mandate_3")
    enrollment = app.autopay(RID)
    assert (enrollment.status, enrollment.mandate_id) == (ACTIVE, "mandate_3")
    assert autopay_still_consents(enrollment, method, "mandate_3")
    assert not autopay_still_consents(enrollment, method, "mandate_1")


def test_the_resident_is_told_why_and_how_to_re_enable() -> None:
    envelope: Any = {"eventType": "autopay.paused",
                     "data": {"reason": MANDATE_REVOKED, "mandateId": "mandate_1"}}
    subject, text = compose(envelope) or ("", "")
    assert "revoked" in subject
    assert "enroll in autopay again" in text and "new authorization" in text


# ---- mandate.updated, checked against Stripe's copy ------------------------------------

class Provider:
    """Answers `retrieve_mandate` with a scripted mandate (or error); counts the calls."""

    def __init__(self, answer: MandateResult | Exception) -> None:
        self.answer, self.calls = answer, 0

    def retrieve_mandate(self, mandate_id: str) -> MandateResult:
        self.calls += 1
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _event(status: str = "inactive", mandate: str = "mandate_1",
           kind: str = "multi_use") -> ProviderEvent:
    return ProviderEvent(id="evt_1", type="mandate.updated", created=NOW, object={
        "id": mandate, "object": "mandate", "status": status, "payment_method": "pm_bank",
        "type": kind})


def _stripe(status: str = "inactive", **overrides: Any) -> MandateResult:
    fields = {"id": "mandate_1", "status": status, "payment_method_id": "pm_bank",
              "customer_id": "cus_1", "resident_id": RID, **overrides}
    return MandateResult(**fields)


def test_the_webhook_pauses_only_on_stripes_word(app) -> None:
    _enrolled(app)
    provider = Provider(_stripe())
    service = PaymentService(app, provider)  # type: ignore[arg-type]
    assert service.handle_provider_event(_event()) == "autopay paused: mandate revoked"
    assert app.autopay(RID).status == PAUSED
    assert service.handle_provider_event(_event()) == \
        "ignored: mandate revocation already recorded"
    assert len(_pauses(app)) == 1


@pytest.mark.parametrize(("event", "stripe", "outcome"), [
    (_event("active"), _stripe("active"), "ignored: mandate active"),
    (_event("pending"), _stripe("pending"), "ignored: mandate pending"),
    (_event(kind="single_use"), _stripe(), "ignored: single-use mandate"),
    (_event(), _stripe("active"), "ignored: Stripe says mandate active"),
    (_event(), _stripe(resident_id="r-2"), "ignored: not an autopay mandate"),
    (_event(), _stripe(resident_id=None), "ignored: not an autopay mandate"),
    (_event(), _stripe(customer_id="cus_9"), "ignored: not an autopay mandate"),
    (_event(), _stripe(payment_method_id="pm_other"), "ignored: not an autopay mandate"),
    (_event(mandate="mandate_9"), _stripe(id="mandate_9"), "ignored: not an autopay mandate"),
    (_event(), _stripe(id="mandate_9"), "rejected: mismatch"),
    (_event(), InvalidProviderRequest("No such mandate"), "rejected: mismatch"),
])
def test_the_webhook_changes_nothing_otherwise(app, event, stripe, outcome) -> None:
    _enrolled(app)
    provider = Provider(stripe)
    service = PaymentService(app, provider)  # type: ignore[arg-type]
    assert service.handle_provider_event(event) == outcome
    assert app.autopay(RID).status == ACTIVE and _pauses(app) == []
    if event.object["status"] != "inactive" or event.object["type"] == "single_use":
        assert provider.calls == 0, "nothing to do: Stripe is not even asked"


def test_stripe_unreachable_is_retried_not_dropped(app) -> None:
    from sfr3_ledger.payment_provider import ProviderUnavailable

    _enrolled(app)
    service = PaymentService(app, Provider(ProviderUnavailable("down")))  # type: ignore[arg-type]
    with pytest.raises(ProviderUnavailableError):
        service.handle_provider_event(_event())
    assert app.autopay(RID).status == ACTIVE


# ---- a manual ACH payment's acceptance, as stored -----------------------------------------

def test_a_payments_acceptance_survives_events_snapshots_and_the_read_model(
        tmp_path: Any) -> None:
    """Recorded on PaymentInitiated, it is read back the same from the stored events, a
    snapshot (SFR3_SNAPSHOT_INTERVAL=1) and the payments read model's JSON."""
    from sfr3_adapters import payments_codec
    from sfr3_ledger.mandate_acceptance import MandateAcceptance

    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite",
           "SQLITE_DBNAME": str(tmp_path / "ledger.db"), "SFR3_SNAPSHOT_INTERVAL": "1"}
    accepted = MandateAcceptance(ip_address="203.0.113.1", user_agent="UA", accepted_at=NOW)
    app = LedgerApplication(env=env)
    app.link_customer(RID, "cus_1")
    method = _bank(app)
    app.post_charge(RID, amount=5_000, charge_type="RENT", description="Rent", actor="pm")
    started = app.initiate_payment(RID, amount=5_000, method_id=method, actor=RID,
                                   payment_id="pay_1", mandate_acceptance=accepted)
    assert started.payment.mandate_acceptance == accepted
    # A repeat of the same payment id keeps the first acceptance.
    other = MandateAcceptance(ip_address="198.51.100.1", user_agent="other", accepted_at=NOW)
    again = app.initiate_payment(RID, amount=5_000, method_id=method, actor=RID,
                                 payment_id="pay_1", mandate_acceptance=other)
    assert again.payment.mandate_acceptance == accepted
    # The acceptance (personal data) is on the stored fact, never in its envelope.
    import json

    from sfr3_ledger import ResidentLedger
    [initiated] = [e for e in app.events.get(ResidentLedger.create_id(RID))
                   if isinstance(e, ResidentLedger.PaymentInitiated)]
    assert initiated.mandate_acceptance == accepted
    envelope = json.dumps(to_envelope(initiated, RID))
    assert "203.0.113.1" not in envelope and '"UA"' not in envelope
    app.record_submission(RID, "pay_1", "pi_1")  # a snapshot is taken after this event
    app.close()
    reopened = LedgerApplication(env=env)
    assert reopened.snapshots is not None
    assert list(reopened.snapshots.get(reopened.ledger(RID).id))
    payment = reopened.ledger(RID).payments["pay_1"]
    assert payment.mandate_acceptance == accepted
    assert payments_codec.loads(payments_codec.dumps(payment)).mandate_acceptance == accepted
    reopened.close()


def test_an_on_session_bank_payment_needs_its_acceptance_and_only_a_bank_keeps_one(
        app: LedgerApplication) -> None:
    from sfr3_ledger.errors import InvalidCommand
    from sfr3_ledger.mandate_acceptance import MandateAcceptance

    accepted = MandateAcceptance(ip_address="203.0.113.1", user_agent="UA", accepted_at=NOW)
    bank = _bank(app)
    card = str(app.enroll_payment_method(RID, provider_id="pm_card", method_type="CARD",
                                         last4="4242", actor=RID).method_id)
    app.post_charge(RID, amount=50_000, charge_type="RENT", description="Rent", actor="pm")
    before = app.ledger(RID).version
    with pytest.raises(InvalidCommand):
        app.initiate_payment(RID, amount=5_000, method_id=bank, actor=RID,
                             payment_id="pay_none", on_session=True)
    assert app.ledger(RID).version == before, "nothing written"
    assert app.initiate_payment(RID, amount=5_000, method_id=card, actor=RID,
                                payment_id="pay_card", mandate_acceptance=accepted,
                                on_session=True).payment.mandate_acceptance is None
    assert app.initiate_payment(RID, amount=5_000, method_id=bank, actor="system:autopay",
                                payment_id="pay_auto", mandate_id="mandate_1",
                                mandate_acceptance=accepted
                                ).payment.mandate_acceptance is None
    first = app.initiate_payment(RID, amount=5_000, method_id=bank, actor=RID,
                                 payment_id="pay_bank", mandate_acceptance=accepted,
                                 on_session=True)
    assert first.payment.mandate_acceptance == accepted
    # A repeat of the same payment (its acceptance recorded) needs none again.
    again = app.initiate_payment(RID, amount=5_000, method_id=bank, actor=RID,
                                 payment_id="pay_bank", on_session=True)
    assert (again.created, again.payment.mandate_acceptance) == (False, accepted)
