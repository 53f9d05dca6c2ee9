"""The notifications Lambda mails the email on the resident's lease (SES on moto), else the
resident-email-domain convention."""

from __future__ import annotations

from datetime import date

import boto3
import pytest

from sfr3_lambdas import wiring
from sfr3_ledger.leases import LeaseTerms
from tests.backbone.support import FakeContext

pytestmark = [pytest.mark.dynamodb, pytest.mark.moto]


def test_notifications_mail_the_lease_email(deployed: dict[str, str], moto: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from sfr3_lambdas import notifications

    monkeypatch.setenv("FROM_EMAIL", "payments@example.com")
    monkeypatch.setenv("RESIDENT_EMAIL_DOMAIN", "residents.example.com")
    boto3.client("ses", region_name="us-east-1").verify_email_identity(
        EmailAddress="payments@example.com")
    notifications.reset()
    wiring.ledger().start_lease(
        "res-mail", lease_id="L-m", property_id="p-1", us_state="TX",
        start_date=date(2025, 1, 1), actor="pm", email="tenant@example.org",
        terms=LeaseTerms(monthly_rent=1000, rent_due_day=1))
    envelope = {"eventId": "e-1", "eventType": "late_fee.applied", "source": "sfr3.ledger",
                "timestamp": "2025-03-08T23:00:00Z", "version": 1,
                "data": {"residentId": "res-mail", "amount": 5000, "currency": "USD"}}
    other = {**envelope, "eventId": "e-2", "data": {**envelope["data"], "residentId": "r-2"}}
    notifications.handler({"detail": envelope}, FakeContext())
    notifications.handler({"detail": other}, FakeContext())
    import requests

    sent = requests.get(f"{moto}/moto-api/data.json", timeout=10).json()["ses"]["Message"]
    assert sorted(tuple(m["destinations"]["ToAddresses"]) for m in sent) == [
        ("r-2@residents.example.com",), ("tenant@example.org",)]
    assert {m["subject"] for m in sent} == {"Late fee: $50.00"}
    notifications.reset()
