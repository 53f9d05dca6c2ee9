"""A retry of an autopay ACH debit rests on the mandate it was made under (issue 12 gap):
once Stripe reports that mandate inactive (webhook: `mandate.updated`), the scheduled
retry is cancelled and no further PaymentIntent is made, even after the resident
authorises a new mandate on the same account; a debit under a mandate still in force
is retried. Against the local Stripe server, its signed webhooks applied in order.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sfr3_ledger import PaymentStatus
from sfr3_ledger.autopay import AUTOPAY_ACTOR, MANDATE_REVOKED
from sfr3_ledger.autopay_mandates import create_mandate
from sfr3_ledger.mandate_acceptance import MandateAcceptance
from tests.flows.retry_harness import Harness, retry_harness  # noqa: F401 (fixture)

ACCEPTED = MandateAcceptance(ip_address="203.0.113.5", user_agent="UA",
                             accepted_at=datetime(2027, 1, 2, tzinfo=UTC))


@pytest.fixture
def h(retry_harness: Harness) -> Harness:  # noqa: F811 (the imported fixture)
    return retry_harness


def _failed_autopay_debit(h: Harness, rid: str) -> tuple[str, str, datetime]:
    """An ACH autopay debit under a mandate, returned for insufficient funds (retried)."""
    method = h.resident(rid, "pm_usBankAccount_insufficientFunds", kind="us_bank_account")
    mandate = create_mandate(h.app, h.service.provider, rid, setup_id=f"apay_{rid}",
                             method_id=method, acceptance=ACCEPTED)
    assert mandate is not None
    h.app.enroll_autopay(rid, enrollment_id=f"apay_{rid}", method_id=method, charge_day=1,
                         actor=rid, mandate_id=mandate)
    h.charge(rid, 80_000)
    h.service.pay(rid, amount=80_000, method_id=method, actor=AUTOPAY_ACTOR,
                  payment_id=f"pay_{rid}", mandate_id=mandate)
    h.sandbox.advance(5 * 86_400)  # the bank returns it: R01
    h.deliver()
    failed = h.app.payment(rid, f"pay_{rid}")
    assert (failed.status, failed.retry_status) == (PaymentStatus.FAILED, "SCHEDULED")
    assert failed.retry_at is not None
    h.behave(rid, method, "pm_usBankAccount_success")  # funds arrive before the retry
    return method, mandate, failed.retry_at


def test_a_revoked_mandate_cancels_the_retry_of_its_debit(h: Harness) -> None:
    rid = "res-mretry-revoked"
    method, mandate, at = _failed_autopay_debit(h, rid)
    h.sandbox.control(f"mandates/{mandate}/deactivate")
    assert h.deliver() == ["autopay paused: mandate revoked"]
    assert h.app.autopay(rid).pause_reason == MANDATE_REVOKED
    # The resident authorises a new mandate on the same account before the retry is due:
    # the old debit's consent is still gone.
    fresh = create_mandate(h.app, h.service.provider, rid, setup_id=f"apay_{rid}-2",
                           method_id=method, acceptance=ACCEPTED)
    h.app.change_autopay(rid, actor=rid, method_id=method, mandate_id=fresh)
    h.app.resume_autopay(rid, actor=rid)
    assert h.run("payment-retries", at + timedelta(seconds=1)) == ["cancelled"]
    assert h.app.payment(rid, f"pay_{rid}").retry_status.startswith("CANCELLED: autopay")
    assert len(h.intents_for(f"pay_{rid}")) == 1
    assert h.app.ledger(rid).payable == 80_000, "nothing reserved, nothing charged"


def test_a_debit_under_a_mandate_in_force_is_retried_under_it(h: Harness) -> None:
    rid = "res-mretry-active"
    _, mandate, at = _failed_autopay_debit(h, rid)
    assert h.run("payment-retries", at + timedelta(seconds=1)) == ["retried"]
    intents = h.intents_for(f"pay_{rid}")
    assert len(intents) == 2
    for intent in intents:  # the first attempt and the retry, each under the mandate
        charge = h.stripe.v1.charges.retrieve(str(intent["latest_charge"]))
        assert charge.payment_method_details.us_bank_account.mandate == mandate  # type: ignore[union-attr]
