"""The metrics sink: which facts count, under which bounded dimensions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sfr3_adapters import payment_metrics as pm
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import ResidentResolver, envelopes_for
from tests.backbone.scenario import pay_and_refund
from tests.metrics.emf import blobs, detailed

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
SPEC = Path(__file__).resolve().parents[3] / "shared" / "SPEC.md"


def envelope(kind: str, **data: object) -> dict[str, object]:
    return {"eventId": f"e-{kind}-{sorted(data.items())}", "eventType": kind,
            "timestamp": "2026-12-01T11:59:30.000000Z", "data": data}


def test_every_metric_of_the_spec_is_mapped() -> None:
    spec_names = {"PaymentInitiated", "PaymentSettled", "PaymentFailed", "PaymentRetried",
                  "PaymentPermanentlyFailed", "LateFeeApplied", "ChargebackReceived",
                  "ReconciliationMismatch"}
    if SPEC.exists():
        section = SPEC.read_text().split("**Metrics**")[1].split("**Alarms**")[0]
        assert set(re.findall(r"\b([A-Z][a-z]+(?:[A-Z][a-z]+)+)\b", section)) == spec_names
    assert spec_names | {pm.RECONCILIATION_RUN} == pm.METRIC_NAMES


def test_a_ledger_story_counts_each_fact_once_with_bounded_dimensions(
    capsys: pytest.CaptureFixture[str],
) -> None:
    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    pay_and_refund(app, "res-m-1")
    events = [app.mapper.to_domain_event(n) for n in app.recorder.select_notifications(1, 100)]
    envelopes = envelopes_for(events, ResidentResolver.for_application(app))
    metrics = pm.PaymentMetrics(pm.method_type_lookup(app), namespace="SFR3Payments")
    capsys.readouterr()
    assert metrics.write(envelopes) == []
    totals = detailed(capsys.readouterr().out)
    assert totals == {
        ("PaymentInitiated", (("MethodType", "CARD"), ("State", "TX"))): 2,
        ("PaymentSettled", (("MethodType", "CARD"), ("State", "TX"))): 1,
        ("PaymentFailed", (("FailureReason", "card_declined"), ("MethodType", "CARD"))): 1,
    }


def test_dimension_values_are_bounded() -> None:
    metrics = pm.PaymentMetrics(lambda r, m, p: "SOMETHING_NEW", now=lambda: NOW,
                                namespace="SFR3Payments")
    wild = [
        envelope("payment.failed", failureReason="Weird reason 123", residentId="r",
                 paymentMethod="m", state="Narnia"),
        envelope("payment.initiated", residentId="r", paymentMethod="m", state=None),
        envelope("payment.retry_started", attempt=17),
        envelope("payment.retry_started", attempt="x"),
        envelope("late_fee.applied", state="CA"),
        envelope("payment.permanently_failed", reason="insufficient_funds"),
    ]
    points = [p for e in wild for p in metrics.data_points(e)]
    assert points == [
        ("PaymentFailed", {"FailureReason": "other", "MethodType": "UNKNOWN"}, 1),
        ("PaymentInitiated", {"MethodType": "UNKNOWN", "State": "--"}, 1),
        ("PaymentRetried", {"Attempt": "6+"}, 1),
        ("PaymentRetried", {"Attempt": "1"}, 1),
        ("LateFeeApplied", {"State": "CA"}, 1),
        ("PaymentPermanentlyFailed", {"FailureReason": "insufficient_funds"}, 1),
    ]


@pytest.mark.parametrize(
    "data",
    [
        {"mismatches": {"amount_mismatch": 2, "missing_in_stripe": 1, "matched": 0}},
        {"mismatches": [{"type": "amount_mismatch"}, {"type": "amount_mismatch"},
                        {"kind": "missing-in-stripe"}]},
        {"counts": {"matched": 40, "amountMismatch": 2, "missingInStripe": 1}},
        # issue 14's envelope: `mismatches` is the total, `counts` by item status
        {"mismatches": 3, "counts": {"matched": 40, "amount_mismatch": 2,
                                     "missing_in_stripe": 1, "missing_in_ledger": 0}},
    ],
)
def test_reconciliation_mismatches_count_by_type(data: dict[str, object]) -> None:
    metrics = pm.PaymentMetrics(now=lambda: NOW, namespace="SFR3Payments")
    points = metrics.data_points(envelope("reconciliation.completed", **data))
    assert points == [
        ("ReconciliationMismatch", {"MismatchType": "amount_mismatch"}, 2),
        ("ReconciliationMismatch", {"MismatchType": "missing_in_stripe"}, 1),
        ("ReconciliationRun", {}, 1),
    ]


def test_emf_lines_carry_the_aggregate_the_alarms_read_and_the_facts_minute(
    capsys: pytest.CaptureFixture[str],
) -> None:
    metrics = pm.PaymentMetrics(now=lambda: NOW, namespace="SFR3Payments")
    old = dict(envelope("late_fee.applied", state="TX"), eventId="old",
               timestamp=(NOW - timedelta(days=30)).isoformat())
    capsys.readouterr()
    metrics.write([envelope("late_fee.applied", state="TX"),
                   dict(envelope("late_fee.applied", state="TX"), eventId="2"), old])
    lines = blobs(capsys.readouterr().out)
    stamps = sorted(b["_aws"]["Timestamp"] for b in lines)
    minute = int(NOW.replace(minute=59, hour=11).timestamp() * 1000)
    assert stamps == sorted([minute, int(NOW.timestamp() * 1000)])
    assert sorted(sum(b["LateFeeApplied"]) for b in lines) == [1, 2]
    for b in lines:
        (directive,) = b["_aws"]["CloudWatchMetrics"]
        assert directive["Dimensions"] == [["service"], ["service", "State"]]
        assert b["service"] == "streamProcessor"
    assert json.dumps(lines)  # printable as JSON
