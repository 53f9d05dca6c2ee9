"""Recovery of a PENDING payment whose PaymentIntent was never recorded, when a re-send
could charge without consent (withdrawn since) or twice (a key older than Stripe keeps):
the intent is looked up by listing (a read) instead of re-sent. With an in-memory
provider that keys creates as Stripe does and can forget keys (Stripe's 24 h)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sfr3_ledger import LedgerApplication, PaymentStatus
from sfr3_ledger.autopay import AUTOPAY_ACTOR
from sfr3_ledger.payment_errors import ProviderUnavailableError
from sfr3_ledger.payment_provider import (
    InvalidProviderRequest,
    PaymentIntentPage,
    PaymentIntentResult,
    ProviderEvent,
    ProviderUnavailable,
)
from sfr3_ledger.payment_service import PaymentService
from sfr3_ledger.recovery import CONSENT_WITHDRAWN, lookup_after, reserved_since

R = "res-lookup"
DAY = timedelta(hours=24)


class Stripe:
    """Intents by id (with when they were made), creates keyed by `pi-<payment id>`
    (keys forgettable, as Stripe forgets them after 24 h)."""

    def __init__(self) -> None:
        self.intents: dict[str, tuple[datetime, str, PaymentIntentResult]] = {}
        self.keys: dict[str, str] = {}  # idempotency key -> intent id
        self.creates: list[dict[str, Any]] = []  # every create request that was made
        self.lists: list[dict[str, Any]] = []
        self.list_down = False
        self.status = "succeeded"

    def create_payment_intent(self, *, payment_id: str, resident_id: str, amount: int,
                              currency: str, customer_id: str, payment_method_id: str,
                              metadata: Mapping[str, str] | None = None,
                              **params: Any) -> PaymentIntentResult:
        self.creates.append({"payment_id": payment_id, **params})
        key = f"pi-{payment_id}"
        if key in self.keys:
            return self.intents[self.keys[key]][2]
        meta = {**(metadata or {}), "resident_id": resident_id, "payment_id": payment_id}
        intent = PaymentIntentResult(id=f"pi_{len(self.intents) + 1}", status=self.status,
                                     amount=amount, currency=currency, metadata=meta)
        self.intents[intent.id] = (datetime.now(UTC), customer_id, intent)
        self.keys[key] = intent.id
        return intent

    def lost_answer(self, service: PaymentService, payment_id: str) -> PaymentIntentResult:
        """The create reached Stripe, its answer never came back (nor its webhook)."""
        payment = service.ledger.ledger(R).get_payment(payment_id)
        methods = service.ledger.payment_methods(R)
        suffix = "" if payment.attempt <= 1 else f"-a{payment.attempt}"
        meta = {"resident_id": R, "payment_id": payment_id}
        if payment.attempt > 1:
            meta |= {"attempt": str(payment.attempt), "retry_of": payment_id}
        made = self.create_payment_intent(
            payment_id=payment_id + suffix, resident_id=R, amount=payment.amount,
            currency="usd", customer_id=methods.customer_id or "",
            payment_method_id="pm_card_visa", metadata=meta)
        self.creates.clear()  # the first request, not a re-send
        return made

    def forget_keys(self) -> None:
        self.keys.clear()

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentResult:
        return self.intents[intent_id][2]

    def list_payment_intents_page(self, *, customer_id: str, created_from: datetime,
                                  starting_after: str | None = None,
                                  limit: int = 100) -> PaymentIntentPage:
        self.lists.append({"customer_id": customer_id, "created_from": created_from,
                           "starting_after": starting_after})
        if self.list_down:
            raise ProviderUnavailable("Stripe is unreachable")
        rows = [i for at, cus, i in reversed(self.intents.values())
                if cus == customer_id and at >= created_from]
        ids = [i.id for i in rows]
        if starting_after is not None:
            rows = rows[ids.index(starting_after) + 1:]
        return PaymentIntentPage(data=rows[:limit], has_more=len(rows) > limit)

    def retrieve_event(self, event_id: str) -> ProviderEvent:
        raise InvalidProviderRequest(f"No such event: '{event_id}'", code="resource_missing")


@pytest.fixture
def stripe() -> Stripe:
    return Stripe()


@pytest.fixture
def service(stripe: Stripe) -> PaymentService:
    # Its own in-memory store, whatever the environment says (a test before it may have
    # left PERSISTENCE_MODULE pointing at a shared store).
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    service = PaymentService(app, stripe)  # type: ignore[arg-type]
    method = app.enroll_payment_method(R, provider_id="pm_card_visa", method_type="CARD",
                                       last4="4242", actor=R).method_id
    app.link_customer(R, "cus_lookup")
    app.post_charge(R, amount=120_000, charge_type="RENT", description="Rent", actor="pm")
    app.enroll_autopay(R, enrollment_id="apay_lookup", method_id=method, charge_day=1,
                       actor=R)
    return service


def _method(service: PaymentService) -> str:
    return next(iter(service.ledger.payment_methods(R).methods))


def _reserve(service: PaymentService, pid: str, actor: str = AUTOPAY_ACTOR) -> datetime:
    """Reserved (PENDING, no intent recorded): the process died before the record."""
    started = service.ledger.initiate_payment(R, amount=120_000, method_id=_method(service),
                                              actor=actor, payment_id=pid)
    assert started.payment.stripe_ref is None
    return started.payment.initiated_at


def _recovered(service: PaymentService) -> list[tuple[str, str]]:
    events = service.ledger.events.get(service.ledger.ledger(R).id)
    return [(e.action, e.outcome) for e in events if type(e).__name__ == "PaymentRecovered"]


def test_autopay_cancelled_intent_made_is_found_and_applied_never_resent(
        service: PaymentService, stripe: Stripe) -> None:
    at = _reserve(service, "pay_c1")
    made = stripe.lost_answer(service, "pay_c1")
    service.ledger.cancel_autopay(R, actor=R)
    assert service.recover_payment(R, "pay_c1", now=at + timedelta(minutes=31)) == "settled"
    assert stripe.creates == [], "no create sent after the consent was withdrawn"
    payment = service.ledger.payment(R, "pay_c1")
    assert (payment.status, payment.stripe_ref) == (PaymentStatus.SETTLED, made.id)
    assert len(stripe.intents) == 1
    assert _recovered(service) == [("found", "settled")]
    assert stripe.lists[0]["customer_id"] == "cus_lookup"
    assert stripe.lists[0]["created_from"] <= at


def test_autopay_cancelled_nothing_made_is_released_without_contacting_stripe_to_create(
        service: PaymentService, stripe: Stripe) -> None:
    at = _reserve(service, "pay_c2")
    service.ledger.cancel_autopay(R, actor=R)
    assert service.recover_payment(R, "pay_c2", now=at + timedelta(minutes=31)) == "failed"
    assert stripe.creates == [] and stripe.intents == {}, "the resident is not charged"
    payment = service.ledger.payment(R, "pay_c2")
    assert (payment.status, payment.failure_reason, payment.retry_status) == (
        PaymentStatus.FAILED, CONSENT_WITHDRAWN, None)
    assert service.ledger.ledger(R).payable == 120_000, "the reservation is released"
    assert _recovered(service) == [("released", "failed")]


@pytest.mark.parametrize("withdraw", ["pause", "move"])
def test_paused_or_moved_autopay_is_a_withdrawal_too(service: PaymentService, stripe: Stripe,
                                                     withdraw: str) -> None:
    at = _reserve(service, "pay_c3")
    if withdraw == "pause":
        service.ledger.pause_autopay(R, actor=R)
    else:
        other = service.ledger.enroll_payment_method(
            R, provider_id="pm_card_mastercard", method_type="CARD", last4="4444",
            actor=R).method_id
        service.ledger.change_autopay(R, actor=R, method_id=other)
    assert service.recover_payment(R, "pay_c3", now=at + timedelta(minutes=31)) == "failed"
    assert stripe.creates == []


def test_a_removed_method_is_looked_up_not_resent(service: PaymentService,
                                                  stripe: Stripe) -> None:
    at = _reserve(service, "pay_rm", actor=R)  # a resident's own payment
    service.ledger.remove_payment_method(R, _method(service), actor=R)
    assert service.recover_payment(R, "pay_rm", now=at + timedelta(minutes=31)) == "failed"
    assert stripe.creates == [], "a removed method is never sent a create"
    assert service.ledger.payment(R, "pay_rm").failure_reason == "payment_method_removed"


def test_an_old_reservation_is_looked_up_before_a_resend(service: PaymentService,
                                                         stripe: Stripe) -> None:
    at = _reserve(service, "pay_old", actor=R)
    made = stripe.lost_answer(service, "pay_old")
    stripe.forget_keys()  # a day later: a re-send under the key would make a second intent
    assert service.recover_payment(R, "pay_old", now=at + DAY) == "settled"
    assert stripe.creates == [] and len(stripe.intents) == 1, "no second intent"
    assert service.ledger.payment(R, "pay_old").stripe_ref == made.id
    assert _recovered(service) == [("found", "settled")]


def test_an_old_reservation_with_no_intent_is_resent_with_what_it_recorded(
        service: PaymentService, stripe: Stripe) -> None:
    at = _reserve(service, "pay_old2", actor=R)
    assert service.recover_payment(R, "pay_old2", now=at + DAY) == "settled"
    assert [c["payment_id"] for c in stripe.creates] == ["pay_old2"], "the same key"
    assert stripe.creates[0]["mandate_id"] is None
    assert stripe.creates[0]["mandate_acceptance"] is None
    assert _recovered(service) == [("resubmitted", "settled")]


def test_a_young_reservation_with_consent_is_redriven_with_the_same_key_unlisted(
        service: PaymentService, stripe: Stripe) -> None:
    at = _reserve(service, "pay_young")
    made = stripe.lost_answer(service, "pay_young")
    assert service.recover_payment(R, "pay_young", now=at + timedelta(minutes=31)) == \
        "settled"
    assert stripe.lists == [], "within the window the key answers: no listing"
    assert [c["payment_id"] for c in stripe.creates] == ["pay_young"]
    assert service.ledger.payment(R, "pay_young").stripe_ref == made.id


@pytest.mark.parametrize("case", ["withdrawn", "old"])
def test_stripe_down_during_the_lookup_changes_nothing(service: PaymentService,
                                                       stripe: Stripe, case: str) -> None:
    at = _reserve(service, "pay_down", actor=AUTOPAY_ACTOR if case == "withdrawn" else R)
    if case == "withdrawn":
        service.ledger.cancel_autopay(R, actor=R)
    stripe.list_down = True
    now = at + (timedelta(minutes=31) if case == "withdrawn" else DAY)
    with pytest.raises(ProviderUnavailableError):
        service.recover_payment(R, "pay_down", now=now)
    assert stripe.creates == [], "nothing sent while the lookup could not be made"
    assert service.ledger.payment(R, "pay_down").status == PaymentStatus.PENDING
    assert _recovered(service) == []
    stripe.list_down = False
    expected = "failed" if case == "withdrawn" else "settled"
    assert service.recover_payment(R, "pay_down", now=now) == expected


def test_a_retry_attempt_matches_its_own_intent_only(service: PaymentService,
                                                     stripe: Stripe) -> None:
    at = _reserve(service, "pay_r")
    stripe.lost_answer(service, "pay_r")  # attempt 1 made, and declined at Stripe
    first = next(iter(stripe.intents))
    service.ledger.record_submission(R, "pay_r", first)
    failed = service.ledger.fail_payment(R, "pay_r", reason="insufficient_funds",
                                         stripe_ref=first)
    assert failed.retry_at is not None
    service.ledger.start_retry(R, "pay_r", now=failed.retry_at)
    retry = service.ledger.ledger(R).get_payment("pay_r")
    assert (retry.attempt, retry.stripe_ref) == (2, None)
    assert failed.failed_at is not None and at <= failed.failed_at
    assert reserved_since(retry) == failed.failed_at, "not the retry's due time"
    service.ledger.cancel_autopay(R, actor=R)
    # Attempt 1's intent (same customer, same payment, listed) is not attempt 2's.
    assert service.recover_payment(R, "pay_r", now=failed.retry_at + timedelta(hours=1)) \
        == "failed"
    assert stripe.lists and stripe.creates == []
    assert service.ledger.payment(R, "pay_r").failure_reason == CONSENT_WITHDRAWN


def test_a_retry_attempts_own_intent_is_found(service: PaymentService,
                                              stripe: Stripe) -> None:
    _reserve(service, "pay_r2")
    service.ledger.fail_payment(R, "pay_r2", reason="insufficient_funds")
    failed = service.ledger.payment(R, "pay_r2")
    assert failed.retry_at is not None
    # Started by a run judged as of its due time, hours before the clock gets there.
    service.ledger.start_retry(R, "pay_r2", now=failed.retry_at)
    made = stripe.lost_answer(service, "pay_r2")
    assert made.metadata["payment_id"] == "pay_r2-a2"
    service.ledger.pause_autopay(R, actor=R)
    assert service.recover_payment(R, "pay_r2", now=failed.retry_at) == "settled"
    payment = service.ledger.payment(R, "pay_r2")
    assert (payment.status, payment.attempt, payment.stripe_ref) == (
        PaymentStatus.SETTLED, 2, made.id)
    assert stripe.creates == []


def test_a_found_intent_still_processing_is_recorded_and_synced_later(
        service: PaymentService, stripe: Stripe) -> None:
    at = _reserve(service, "pay_p")
    stripe.status = "processing"
    made = stripe.lost_answer(service, "pay_p")
    service.ledger.cancel_autopay(R, actor=R)
    assert service.recover_payment(R, "pay_p", now=at + timedelta(minutes=31)) == \
        "submitted"
    payment = service.ledger.payment(R, "pay_p")
    assert (payment.status, payment.stripe_ref) == (PaymentStatus.PENDING, made.id)
    assert _recovered(service) == [("found", "submitted")]
    assert stripe.creates == []


def test_the_lookup_margin_is_configurable_and_inside_the_key_window() -> None:
    assert lookup_after({}) == timedelta(hours=23)
    assert lookup_after({"SFR3_RECOVERY_LOOKUP_AFTER": "2h"}) == timedelta(hours=2)
    with pytest.raises(ValueError, match="under 24h"):
        lookup_after({"SFR3_RECOVERY_LOOKUP_AFTER": "24h"})


def test_a_configured_margin_is_used(stripe: Stripe) -> None:
    app = LedgerApplication(env={"SFR3_RECOVERY_LOOKUP_AFTER": "1h"})
    service = PaymentService(app, stripe)  # type: ignore[arg-type]
    method = app.enroll_payment_method(R, provider_id="pm_card_visa", method_type="CARD",
                                       last4="4242", actor=R).method_id
    app.link_customer(R, "cus_lookup")
    app.post_charge(R, amount=120_000, charge_type="RENT", description="Rent", actor="pm")
    at = app.initiate_payment(R, amount=120_000, method_id=method, actor=R,
                              payment_id="pay_cfg").payment.initiated_at
    assert service.recover_payment(R, "pay_cfg", now=at + timedelta(hours=2)) == "settled"
    assert len(stripe.lists) == 1, "two hours is past a one-hour margin: looked up first"
