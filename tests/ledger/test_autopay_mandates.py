"""create_mandate refuses what is not an active mandate, and records nothing (unit level:
the provider's answers that the sandbox cannot be made to give on demand)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from sfr3_ledger import LedgerApplication
from sfr3_ledger.autopay_mandates import MandateAcceptance, MandateRefused, create_mandate
from sfr3_ledger.errors import InvalidCommand, PaymentMethodNotFound
from sfr3_ledger.payment_errors import ProviderUnavailableError
from sfr3_ledger.payment_provider import (
    InvalidProviderRequest,
    ProviderRateLimited,
    SetupIntentResult,
)

NOW = datetime(2027, 1, 5, 12, tzinfo=UTC)
ACCEPTED = MandateAcceptance(ip_address="203.0.113.1", user_agent="UA", accepted_at=NOW)


class Provider:
    """Answers one scripted SetupIntent outcome and notes what it was asked."""

    def __init__(self, answer: Any) -> None:
        self.answer, self.calls = answer, []  # type: ignore[var-annotated]

    def create_ach_mandate(self, **kwargs: Any) -> SetupIntentResult:
        self.calls.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer  # type: ignore[no-any-return]


@pytest.fixture
def app() -> LedgerApplication:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    app.link_customer("r-1", "cus_1")
    return app


def _method(app: LedgerApplication, kind: str) -> str:
    method = app.enroll_payment_method("r-1", provider_id=f"pm_{kind}", method_type=kind,
                                       last4="6789", actor="r-1")
    return str(method.method_id)


@pytest.mark.parametrize(("answer", "error"), [
    (SetupIntentResult(id="seti_1", status="requires_action",
                       next_action="verify_with_microdeposits"), MandateRefused),
    (SetupIntentResult(id="seti_1", status="requires_payment_method",
                       failure_message="refused"), MandateRefused),
    (SetupIntentResult(id="seti_1", status="succeeded", mandate_id=None), MandateRefused),
    (InvalidProviderRequest("no such method"), MandateRefused),
    (ProviderRateLimited("slow down"), ProviderUnavailableError),
])
def test_no_active_mandate_is_an_error(app: LedgerApplication, answer: Any,
                                       error: type[Exception]) -> None:
    method = _method(app, "ACH")
    with pytest.raises(error) as raised:
        create_mandate(app, Provider(answer), "r-1", setup_id="s", method_id=method,  # type: ignore[arg-type]
                       acceptance=ACCEPTED)
    assert raised.value.status in (402, 503)  # type: ignore[attr-defined]


def test_what_the_provider_is_asked_and_cards_need_nothing(app: LedgerApplication) -> None:
    bank = _method(app, "ACH")
    provider = Provider(SetupIntentResult(id="seti_1", status="succeeded",
                                          mandate_id="mandate_1"))
    assert create_mandate(app, provider, "r-1", setup_id="s-1", method_id=bank,  # type: ignore[arg-type]
                          acceptance=ACCEPTED) == "mandate_1"
    assert provider.calls == [{
        "setup_id": "s-1", "customer_id": "cus_1", "payment_method_id": "pm_ACH",
        "ip_address": "203.0.113.1", "user_agent": "UA", "accepted_at": NOW,
        "metadata": {"resident_id": "r-1", "autopay_setup_id": "s-1"}}]
    card = _method(app, "CARD")
    assert create_mandate(app, provider, "r-1", setup_id="s-2", method_id=card,  # type: ignore[arg-type]
                          acceptance=None) is None
    assert len(provider.calls) == 1
    with pytest.raises(InvalidCommand):
        create_mandate(app, provider, "r-1", setup_id="s-3", method_id=bank,  # type: ignore[arg-type]
                       acceptance=None)
    with pytest.raises(PaymentMethodNotFound):
        create_mandate(app, provider, "r-1", setup_id="s-4", method_id="meth_gone",  # type: ignore[arg-type]
                       acceptance=ACCEPTED)
    with pytest.raises(InvalidCommand):
        MandateAcceptance(ip_address="", user_agent="UA", accepted_at=NOW)
