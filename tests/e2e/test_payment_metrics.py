"""Payment-health metrics: one count per Stripe fact, however often Stripe delivers it."""

from __future__ import annotations

import json

import pytest

from sfr3_lambdas import stripe_webhook
from tests.e2e.stack import charge, enroll


def emitted(out: str) -> dict[str, float]:
    """Sum the CloudWatch embedded-metric-format lines printed by Powertools."""
    totals: dict[str, float] = {}
    for line in out.splitlines():
        if '"_aws"' not in line:
            continue
        blob = json.loads(line)
        for directive in blob["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "SFR3Payments"
            for metric in directive["Metrics"]:
                name = metric["Name"]
                value = blob[name]
                count = sum(value) if isinstance(value, list) else value
                totals[name] = totals.get(name, 0) + count
    return totals


def test_settlements_are_counted_once_despite_duplicate_deliveries(
    webhook_switches, resident, manager, rid, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = webhook_switches
    method = enroll(resident, rid)
    charge(manager, rid, 2100)
    capsys.readouterr()
    stack.control("webhooks", {"duplicates": True})
    for amount in (1000, 1100):
        assert resident.post(f"/residents/{rid}/payments",
                             {"amount": amount, "paymentMethodId": method}).status_code == 202
    stack.drain()
    stack.control("webhooks", {"duplicates": False})
    totals = emitted(capsys.readouterr().out)
    assert totals.get("PaymentsSettled") == 2, totals
    assert "PaymentsFailed" not in totals
    assert stripe_webhook.OUTCOME_METRICS["failed"] == "PaymentsFailed"
