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

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from sfr3_lambdas import analytics_wiring
from sfr3_lambdas.api.errors import ApiError, json_response
from sfr3_lambdas.api.policy import allow
from sfr3_ledger.read_models.payment_health import report

router = Router()
Day = Annotated[str | None, Query(alias="asOf", pattern=r"^\d{4}-\d{2}-\d{2}$")]


@router.get("/analytics/payment-health", tags=["analytics"],
            summary="Payment health: success/failure rates, failures by reason, collected vs "
                    "outstanding by state (staff)")
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
