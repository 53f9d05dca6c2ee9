"""`GET /analytics/payment-health`: finance's and property managers' payment-health figures.

Read from the payment-health read model (sfr3_ledger/read_models/payment_health.py), never
by replaying ledgers: today's and the trailing 30 days' success and failure rates, failures
by reason, whether the failure rate is over the alert threshold (the same per-stage
parameter the CloudWatch alarm uses), collected vs outstanding by state across the
portfolio, and the processing volume by day. Days are UTC days, like the lake's
partitions and the Athena queries. Staff only (`analytics_read`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from sfr3_lambdas import analytics_wiring
from sfr3_lambdas.api.contract import answers
from sfr3_lambdas.api.errors import ApiError, json_response
from sfr3_lambdas.api.policy import allow
from sfr3_ledger.read_models.payment_health import report

router = Router()
Day = Annotated[str | None, Query(alias="asOf", pattern=r"^\d{4}-\d{2}-\d{2}$")]



class Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class Window(Out):
    since: date
    until: date
    days: int


class HealthPeriod(Out):
    initiated: int
    settled: int
    failed: int
    settledCents: int
    failedCents: int
    successRatePct: float | None = Field(description="Null when nothing settled or failed")
    failureRatePct: float | None
    overThreshold: bool


class FailureReason(Out):
    reason: str
    failures: int
    failedCents: int
    sharePct: float | None


class HealthDay(Out):
    day: date
    initiated: int
    settled: int
    failed: int
    successPct: float | None
    settledCents: int
    failedCents: int


class StateTotals(Out):
    state: str
    collectedCents: int = Field(description="Collected this month (UTC) so far")
    outstandingCents: int
    collectedToDateCents: int


class PaymentHealth(Out):
    asOf: date
    window: Window
    failureRateThresholdPct: float
    overThreshold: bool
    today: HealthPeriod
    trailing30Days: HealthPeriod
    failuresByReason: list[FailureReason]
    byDay: list[HealthDay]
    byState: list[StateTotals]


@router.get("/analytics/payment-health", tags=["analytics"],
            summary="Payment health: success/failure rates, failures by reason, collected vs "
                    "outstanding by state (staff)",
            responses=answers(200, PaymentHealth, "The figures"))
@allow("analytics_read")
def payment_health(as_of: Day = None) -> Response[str]:
    try:
        day = date.fromisoformat(as_of) if as_of else datetime.now(UTC).date()
    except ValueError:
        raise ApiError(400, "asOf must be a calendar date (YYYY-MM-DD)",
                       "invalid_request") from None
    body = report(analytics_wiring.payment_health_store(), day,
                  analytics_wiring.failure_rate_threshold())
    return json_response(200, body, headers={"Cache-Control": "no-store"})
