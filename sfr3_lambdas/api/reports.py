"""`/reports/reconciliation`: finance lists and downloads the daily reconciliation reports.

The reports are written by the reconciliation job (sfr3_ledger/reconciliation_job.py) to
the reports bucket (a folder locally) under `reconciliation/YYYY/MM/DD/`: `report.csv`
(one line per item) and `summary.json` (counts, totals, the mismatches).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from pydantic import BaseModel, ConfigDict, Field

from sfr3_lambdas import finance_wiring
from sfr3_lambdas.api.contract import JSON, answers
from sfr3_lambdas.api.errors import ApiError, json_response, responses
from sfr3_lambdas.api.policy import allow
from sfr3_ledger.reconciliation_job import report_prefix

router = Router()
Day = Annotated[str, Path(pattern=r"^\d{4}-\d{2}-\d{2}$")]
_KEY = re.compile(r"^reconciliation/(\d{4})/(\d{2})/(\d{2})/summary\.json$")


class ReportDay(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    day: date
    counts: dict[str, int] | None = Field(description="Items per reconciliation status")
    mismatches: int | None


class ReportIndex(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)
    reports: list[ReportDay]


class ClassTotals(BaseModel):
    model_config = ConfigDict(defer_build=True)
    stripeAmount: int
    fee: int
    net: int
    ledgerAmount: int


class StripeTotals(BaseModel):
    model_config = ConfigDict(defer_build=True)
    amount: int
    fee: int
    net: int


class ReconciliationSummary(BaseModel):
    """`summary.json` as the reconciliation job wrote it (sfr3_ledger/reconciliation.py)."""

    model_config = ConfigDict(extra="allow", defer_build=True)
    day: date
    firstRunId: str | None
    counts: dict[str, int]
    mismatches: int
    healed: int
    totals: dict[str, ClassTotals]
    stripeTotals: StripeTotals
    ledgerTotal: int
    mismatchItems: list[dict[str, Any]] = Field(description="The report's CSV rows that "
                                                            "are mismatches")


@router.get("/reports/reconciliation", tags=["reports"],
            summary="Reconciliation reports, newest day first (finance)",
            responses=answers(200, ReportIndex, "The days that have a report"))
@allow("report_read")
def list_reports(limit: Annotated[int, Query(ge=1, le=366)] = 31) -> Response[str]:
    store = finance_wiring.reports_store()
    days = sorted((f"{m[1]}-{m[2]}-{m[3]}" for k in store.keys("reconciliation/")
                   if (m := _KEY.match(k))), reverse=True)[:limit]
    out = []
    for day in days:
        summary = json.loads(store.get(report_prefix(date.fromisoformat(day)) +
                                       "summary.json") or b"{}")
        out.append({"day": day, "counts": summary.get("counts"),
                    "mismatches": summary.get("mismatches")})
    return json_response(200, {"reports": out})


@router.get("/reports/reconciliation/<day>", tags=["reports"],
            summary="One day's reconciliation report: summary JSON or CSV (finance)",
            responses={200: {"description": "The summary (format=json) or the CSV report "
                                            "(format=csv, an attachment)",
                             "content": {JSON: {"model": ReconciliationSummary},
                                         "text/csv": {"schema": {"type": "string"}}}},
                       **responses(404)})
@allow("report_read")
def get_report(day: Day,
               format: Annotated[Literal["json", "csv"], Query()] = "json") -> Response[str]:
    try:
        prefix = report_prefix(date.fromisoformat(day))
    except ValueError:
        raise ApiError(400, "day must be a calendar date (YYYY-MM-DD)",
                       "invalid_request") from None
    name = "report.csv" if format == "csv" else "summary.json"
    body = finance_wiring.reports_store().get(prefix + name)
    if body is None:
        raise ApiError(404, f"No reconciliation report for {day}", "not_found")
    if format == "csv":
        return Response(status_code=200, content_type="text/csv", body=body.decode(),
                        headers={"Content-Disposition":
                                 f'attachment; filename="reconciliation-{day}.csv"'})
    return Response(status_code=200, content_type="application/json", body=body.decode())
