"""The operations dashboard of SPEC §6 is a CloudWatch dashboard over the metrics emitted."""

from __future__ import annotations

import json
import re
from typing import Any

from sfr3_adapters import payment_metrics
from tests.deploy.conftest import Package


def body(package: Package) -> dict[str, Any]:
    props = package.resources["OperationsDashboard"]["Properties"]
    template, variables = props["DashboardBody"]["Fn::Sub"]
    values = {**{k: str(v) for k, v in variables.items()}, "AWS::Region": "us-east-1"}
    text = re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], template)
    return dict(json.loads(text))


def test_the_dashboard_has_every_widget_of_the_design(package: Package) -> None:
    dashboard = body(package)
    titles = [w["properties"]["title"] for w in dashboard["widgets"]]
    for wanted in ("Payment volume (initiated, settled, failed)", "Failure rate, last 24 h",
                   "Failure rate, last 7 d", "Retry and work queues", "Dead-letter queues",
                   "Reconciliation: last runs", "Reconciliation mismatches",
                   "Lambda duration", "Lambda errors"):
        assert any(t.startswith(wanted) for t in titles), wanted
    periods = {w["properties"]["title"]: w["properties"].get("period")
               for w in dashboard["widgets"]}
    assert periods["Failure rate, last 24 h (%)"] == 86400
    assert periods["Failure rate, last 7 d (%)"] == 604800


def test_its_payment_metrics_are_the_ones_the_stream_processor_emits(package: Package) -> None:
    dashboard = body(package)
    named: set[str] = set()
    for widget in dashboard["widgets"]:
        for metric in widget["properties"].get("metrics", []):
            if isinstance(metric[0], str) and metric[0] == "SFR3Payments":
                named.add(metric[1])
                assert metric[2:4] == ["service", payment_metrics.SERVICE]
            elif isinstance(metric[0], dict) and "SEARCH" in metric[0]["expression"]:
                named |= set(re.findall(r'MetricName=\\?"(\w+)\\?"', metric[0]["expression"]))
        query = widget["properties"].get("query", "")
        named |= {m for m in re.findall(r"ispresent\((\w+)\)", query)}
    ours = {n for n in named if n[0].isupper() and n not in (
        "ApproximateNumberOfMessagesVisible", "Duration", "Errors", "Throttles")}
    assert ours <= payment_metrics.METRIC_NAMES, ours - payment_metrics.METRIC_NAMES
    assert {"PaymentInitiated", "PaymentSettled", "PaymentFailed", "ReconciliationMismatch",
            "ReconciliationRun"} <= ours
