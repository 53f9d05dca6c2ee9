"""Finance's CloudWatch metrics (Powertools EMF): `ChargebackReceived` when a dispute opens,
`ReconciliationMismatch` by mismatch type after each reconciliation run (the alarm in
resources/reconciliation.yml fires on any)."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

NAMESPACE_DEFAULT = "SFR3Payments"


def _namespace() -> str:
    return os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE_DEFAULT


def chargeback_received(row: Any) -> None:
    with single_metric(name="ChargebackReceived", unit=MetricUnit.Count, value=1,
                       namespace=_namespace()) as metric:
        metric.add_dimension(name="reason", value=str(row.reason))


def reconciliation_mismatches(counts: dict[str, int]) -> None:
    """One datapoint per mismatch type, zeros included (so the alarm sees every run)."""
    for kind in ("amount_mismatch", "missing_in_ledger", "missing_in_stripe"):
        with single_metric(name="ReconciliationMismatch", unit=MetricUnit.Count,
                           value=counts.get(kind, 0), namespace=_namespace()) as metric:
            metric.add_dimension(name="mismatchType", value=kind)
