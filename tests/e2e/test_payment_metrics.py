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
    # Powertools' metric set is the process's: drop what another test added and left.
    stripe_webhook.metrics.clear_metrics()
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


def test_the_stream_metrics_count_each_ledger_fact_once_despite_duplicate_webhooks(
    webhook_switches, resident, manager, rid, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the stream processor counts (sfr3_adapters/payment_metrics.py) from this
    resident's ledger events, after Stripe delivered every webhook twice."""
    from sfr3_adapters.payment_metrics import PaymentMetrics, method_type_lookup
    from sfr3_ledger.integration_events import ResidentResolver, envelopes_for
    from tests.metrics.emf import detailed

    stack = webhook_switches
    method = enroll(resident, rid)
    charge(manager, rid, 2100)
    stack.control("webhooks", {"duplicates": True})
    for amount in (1000, 1100):
        assert resident.post(f"/residents/{rid}/payments",
                             {"amount": amount, "paymentMethodId": method}).status_code == 202
    stack.drain()
    stack.control("webhooks", {"duplicates": False})
    app = stack.ledger()
    events = [app.mapper.to_domain_event(n)
              for n in app.recorder.select_notifications(start=1, limit=100_000)]
    mine = [e for e in envelopes_for(events, ResidentResolver.for_application(app))
            if e["data"].get("residentId") == rid]
    capsys.readouterr()
    PaymentMetrics(method_type_lookup(app), namespace="SFR3Payments").write(mine)
    totals = detailed(capsys.readouterr().out)
    assert totals[("PaymentSettled", (("MethodType", "CARD"), ("State", "--")))] == 2, totals
    assert totals[("PaymentInitiated", (("MethodType", "CARD"), ("State", "--")))] == 2
    assert not any(name == "PaymentFailed" for name, _ in totals)
