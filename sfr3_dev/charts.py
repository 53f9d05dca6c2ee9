"""The payment-health charts, once, as Vega-Lite specifications built with Altair.

Each chart reads a named data set whose rows have the payment-health API's field names
(`GET /analytics/payment-health`, sfr3_lambdas/api/analytics.py): `byDay`,
`failuresByReason`, `byState`. The finance page (sfr3_dev/finance_page.py) fetches the
specifications from `/finance/charts.json` and fills each with the API's rows in the
browser; `sfr3 analytics --html` fills them with the lake queries' rows
(`records_from_table`) and inlines them. Either way the same chart is drawn by the same
library (vega-embed, shipped by vl-convert-python, so nothing is fetched from a CDN).

Amounts travel in cents and are shown in dollars by a `calculate` transform; bars start at
zero, so a negative amount (more refunded than collected) is drawn below the axis.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import altair as alt

Spec = dict[str, Any]
DATASETS = ("byDay", "failuresByReason", "byState")
WIDTH = 520


def _success_rate() -> alt.Chart:
    return (
        alt.Chart(alt.NamedData(name="byDay"), title="Payment success rate by day (%)",
                  width=WIDTH, height=200)
        .mark_bar(color="#2e7d32")
        .encode(
            x=alt.X("day:O", title="day (UTC)", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("successPct:Q", title="success rate (%)", scale=alt.Scale(domain=[0, 100])),
            tooltip=[alt.Tooltip("day:N"), alt.Tooltip("successPct:Q", title="success %"),
                     alt.Tooltip("settled:Q"), alt.Tooltip("failed:Q")],
        )
    )


def _volume() -> alt.Chart:
    return (
        alt.Chart(alt.NamedData(name="byDay"), title="Processing volume by day (payments)",
                  width=WIDTH, height=200)
        .transform_fold(["settled", "failed"], as_=["outcome", "payments"])
        .mark_bar()
        .encode(
            x=alt.X("day:O", title="day (UTC)", axis=alt.Axis(labelAngle=-45)),
            y=alt.Y("payments:Q", title="payments", stack="zero"),
            color=alt.Color("outcome:N", title="outcome",
                            scale=alt.Scale(domain=["settled", "failed"],
                                            range=["#1565c0", "#c62828"])),
            tooltip=[alt.Tooltip("day:N"), alt.Tooltip("outcome:N"),
                     alt.Tooltip("payments:Q")],
        )
    )


def _failures_by_reason() -> alt.Chart:
    return (
        alt.Chart(alt.NamedData(name="failuresByReason"), title="Failed payments by reason",
                  width=WIDTH, height=alt.Step(24))
        .mark_bar(color="#c62828")
        .encode(
            y=alt.Y("reason:N", title="failure reason", sort="-x"),
            x=alt.X("failures:Q", title="failed payments",
                    axis=alt.Axis(tickMinStep=1, format="d")),
            tooltip=[alt.Tooltip("reason:N"), alt.Tooltip("failures:Q"),
                     alt.Tooltip("sharePct:Q", title="share %")],
        )
    )


def _collected_vs_outstanding() -> alt.Chart:
    return (
        alt.Chart(alt.NamedData(name="byState"),
                  title="Collected (month to date) vs outstanding by state ($)",
                  width=WIDTH, height=220)
        .transform_fold(["collectedCents", "outstandingCents"], as_=["measure", "cents"])
        .transform_calculate(
            dollars="datum.cents / 100",
            kind="datum.measure === 'collectedCents' ? 'collected' : 'outstanding'",
        )
        .mark_bar()
        .encode(
            x=alt.X("state:N", title="state"),
            xOffset=alt.XOffset("kind:N"),
            y=alt.Y("dollars:Q", title="US dollars", axis=alt.Axis(format="$,.0f")),
            color=alt.Color("kind:N", title="",
                            scale=alt.Scale(domain=["collected", "outstanding"],
                                            range=["#1565c0", "#ef6c00"])),
            tooltip=[alt.Tooltip("state:N"), alt.Tooltip("kind:N"),
                     alt.Tooltip("dollars:Q", format="$,.2f")],
        )
    )


@cache
def _specs() -> dict[str, Spec]:
    charts = {
        "successRate": _success_rate(),
        "volume": _volume(),
        "failuresByReason": _failures_by_reason(),
        "collectedVsOutstanding": _collected_vs_outstanding(),
    }
    return {name: chart.to_dict() for name, chart in charts.items()}


def chart_specs() -> dict[str, Spec]:
    """Chart name -> Vega-Lite spec reading its named data set (a copy: safe to change)."""
    return copy.deepcopy(_specs())


def with_rows(spec: Spec, datasets: Mapping[str, Sequence[Mapping[str, Any]]]) -> Spec:
    """`spec` with its named data set replaced by inline rows."""
    filled = copy.deepcopy(spec)
    filled["data"] = {"values": list(datasets.get(spec["data"]["name"], []))}
    return filled


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def records_from_table(names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """SQL rows (snake_case columns: `success_pct`, `collected_cents`) as chart rows
    (`successPct`, `collectedCents`), numbers as JSON numbers."""
    def value(v: Any) -> Any:
        return float(v) if hasattr(v, "as_integer_ratio") and not isinstance(v, int) else v

    return [{_camel(n): value(v) for n, v in zip(names, row, strict=True)} for row in rows]


@cache
def vega_embed_script() -> str:
    """vega, vega-lite and vega-embed as one classic script (defines `vegaEmbed`), from
    vl-convert-python: no CDN at run time."""
    import vl_convert as vlc

    return str(vlc.javascript_bundle())


def embed_html(element_id: str, spec: Spec) -> str:
    """A div and the script that draws `spec` into it (needs `vega_embed_script()` first)."""
    payload = json.dumps(spec).replace("</", "<\\/")
    return (
        f'<div id="{html.escape(element_id)}" class="chart"></div>'
        f"<script>vegaEmbed({json.dumps('#' + element_id)}, {payload}, "
        '{"actions": false, "renderer": "svg"}).catch(console.error);</script>'
    )
