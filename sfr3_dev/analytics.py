"""`sfr3 analytics [--home DIR] [--as-of YYYY-MM-DD] [--html out.html]`: the finance
team's three Athena queries, run with DuckDB on the local events lake.

The SQL is written once for both engines: it reads the table `events` (in Athena the Glue
table `sfr3_events_<stage>.events`, deployed as named queries by resources/athena.yml;
here a DuckDB view over the Parquet files `${SFR3_HOME}/lake/year=*/month=*/day=*/*.parquet`,
which have the Glue table's columns), uses only functions both have, and
compares the envelope's RFC 3339 timestamps as text (they sort as time). Each query first
keeps one row per `eventId`: Firehose delivers at least once, the lake may hold a repeat.

1. trailing-30-day payment success rate by day (settled vs failed outcomes);
2. failure breakdown by reason;
3. collected vs outstanding by state (collected = settled - refunded - charged back in the
   month to date, SPEC §6; outstanding = the sum of every fact's effect on balances).

The lake is written by the local event backbone, which follows the ledger a moment behind.
So that an answer never depends on that moment, the command first brings the home's lake
up to date itself (`catch_up`: the home's ledger, opened with the environment `make run`
uses, through `LocalBackbone.run_until_caught_up`, which takes the same per-home lock as a
running backbone; `--no-catch-up` skips it). `--resident` restricts every query to one
resident's envelopes (the walkthrough's step 9; the SQL is unchanged, only the view).
`--html` writes the tables with the finance page's charts (sfr3_dev/charts.py).
"""

from __future__ import annotations

import argparse
import html
import os
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sfr3_dev.progress import Progress

DEDUPED = """
WITH deduped AS (
  SELECT * FROM (
    SELECT e.*, ROW_NUMBER() OVER (PARTITION BY eventId ORDER BY "timestamp") AS copy_no
    FROM events e
  ) t WHERE copy_no = 1
)
"""

SUCCESS_RATE_BY_DAY = (
    DEDUPED
    + """
SELECT substr("timestamp", 1, 10) AS day,
       SUM(CASE WHEN eventType = 'payment.settled' THEN 1 ELSE 0 END) AS settled,
       SUM(CASE WHEN eventType = 'payment.failed' THEN 1 ELSE 0 END) AS failed,
       ROUND(100.0 * SUM(CASE WHEN eventType = 'payment.settled' THEN 1 ELSE 0 END)
             / COUNT(*), 1) AS success_pct,
       SUM(CASE WHEN eventType = 'payment.settled' THEN data.amount ELSE 0 END) AS settled_cents
FROM deduped
WHERE eventType IN ('payment.settled', 'payment.failed')
  AND "timestamp" >= {since} AND "timestamp" < {until}
GROUP BY substr("timestamp", 1, 10)
ORDER BY day
"""
)

FAILURES_BY_REASON = (
    DEDUPED
    + """
SELECT COALESCE(data.failureReason, 'unknown') AS reason,
       COUNT(*) AS failures,
       SUM(data.amount) AS failed_cents,
       ROUND(100.0 * COUNT(*) / SUM(COUNT(*)) OVER (), 1) AS share_pct
FROM deduped
WHERE eventType = 'payment.failed'
GROUP BY COALESCE(data.failureReason, 'unknown')
ORDER BY failures DESC, reason
"""
)

COLLECTED_VS_OUTSTANDING_BY_STATE = (
    DEDUPED
    + """
SELECT COALESCE(data.state, '--') AS state,
       SUM(CASE WHEN "timestamp" < {month} OR "timestamp" >= {until} THEN 0
                WHEN eventType = 'payment.settled' THEN data.amount
                WHEN eventType IN ('payment.refunded', 'chargeback.applied') THEN -data.amount
                ELSE 0 END) AS collected_cents,
       SUM(CASE WHEN eventType IN ('charge.posted', 'late_fee.applied', 'payment.refunded',
                                   'chargeback.applied') THEN data.amount
                WHEN eventType IN ('payment.settled', 'credit.applied') THEN -data.amount
                ELSE 0 END) AS outstanding_cents
FROM deduped
WHERE eventType IN ('charge.posted', 'late_fee.applied', 'payment.settled', 'payment.refunded',
                    'chargeback.applied', 'credit.applied')
GROUP BY COALESCE(data.state, '--')
ORDER BY state
"""
)

# The window's bounds as SQL: literal days locally (`--as-of`); in Athena's named queries,
# relative to the day the query runs (the text compares as RFC 3339 strings in both).
ATHENA_SINCE = "date_format(current_date - INTERVAL '29' DAY, '%Y-%m-%d')"
ATHENA_UNTIL = "date_format(current_date + INTERVAL '1' DAY, '%Y-%m-%d')"
ATHENA_MONTH = "date_format(date_trunc('month', current_date), '%Y-%m-%d')"

# name -> (title, SQL template): the finance queries, as `sfr3 analytics` prints them and as
# resources/athena.yml deploys them (tests/deploy/test_athena.py keeps the two equal).
QUERIES = {
    "success_rate_by_day": ("Payment success rate by day (trailing 30 days)",
                            SUCCESS_RATE_BY_DAY),
    "failures_by_reason": ("Payment failures by reason", FAILURES_BY_REASON),
    "collected_vs_outstanding_by_state": ("Collected vs outstanding by state",
                                          COLLECTED_VS_OUTSTANDING_BY_STATE),
}

Table = tuple[list[str], list[tuple[Any, ...]]]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def athena_sql(name: str) -> str:
    """The named query `name` as Athena runs it (table `events` of the Glue database)."""
    return QUERIES[name][1].format(since=ATHENA_SINCE, until=ATHENA_UNTIL,
                                   month=ATHENA_MONTH).strip() + "\n"


def connect(home: Path, resident: str | None = None) -> Any:
    """DuckDB with the view `events` over the home's Parquet lake (the Glue table's columns,
    plus the year/month/day partition columns)."""
    import duckdb

    from sfr3_adapters.lake_schema import arrow_schema
    from sfr3_adapters.local_sinks import LocalLake

    con = duckdb.connect()
    if not LocalLake(home).files():
        empty = arrow_schema().empty_table()
        con.register("empty_lake", empty)
        con.execute("CREATE VIEW events AS SELECT * FROM empty_lake")
        return con
    pattern = str(home / "lake" / LocalLake.PATTERN)
    where = "" if resident is None else f" WHERE data.residentId = {_quote(resident)}"
    con.execute(
        f"CREATE VIEW events AS SELECT * FROM read_parquet({_quote(pattern)}, "
        f"hive_partitioning=true, union_by_name=true){where}"
    )
    return con


def _has_ledger(home: Path, env: dict[str, str]) -> bool:
    """Whether `home` is a local stack's home whose ledger can be followed: its backbone has
    run there (so a lake made by hand, or a home never started, is left alone) and, on the
    default SQLite ledger, the database exists (opening it must not create an empty one)."""
    if not (home / "backbone").is_dir():
        return False
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        return Path(env.get("SQLITE_DBNAME", "")).is_file()
    return bool(env.get("PERSISTENCE_MODULE"))


def catch_up(home: Path, progress: Progress | None = None) -> int:
    """Write every ledger event the lake lacks (0 when the home has no ledger yet); how many
    notifications were processed. Safe beside a running `make run`: same lock, same
    tracking position, idempotent sinks. `progress`: a terminal's counter line."""
    from sfr3_dev.local_stack import home_environment

    overrides = home_environment(home)
    env = {**os.environ, **overrides}
    if not _has_ledger(home.resolve(), env):
        return 0
    from sfr3_dev.backbone import LocalBackbone
    from sfr3_ledger import LedgerApplication

    app = LedgerApplication(env=env)
    try:
        backbone = LocalBackbone(app, home.resolve(), files_dir=Path(env["SFR3_FILES_DIR"]))
        return backbone.run_until_caught_up(progress)
    finally:
        app.close()


def _run(con: Any, sql: str) -> Table:
    result = con.execute(sql)
    names = [d[0] for d in result.description]
    return names, [tuple(row) for row in result.fetchall()]


def run_queries(home: Path, as_of: date, resident: str | None = None) -> dict[str, Table]:
    """Title -> (columns, rows) of every finance query, for the 30 days up to `as_of`."""
    return {QUERIES[name][0]: table for name, table in run_named(home, as_of, resident).items()}


def run_named(home: Path, as_of: date, resident: str | None = None) -> dict[str, Table]:
    con = connect(home, resident)
    until = as_of + timedelta(days=1)
    since = until - timedelta(days=30)
    try:
        return {
            name: _run(con, sql.format(since=_quote(since.isoformat()),
                                       until=_quote(until.isoformat()),
                                       month=_quote(as_of.replace(day=1).isoformat())))
            for name, (_, sql) in QUERIES.items()
        }
    finally:
        con.close()


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name.endswith("_cents"):
        cents = int(value)
        sign = "-" if cents < 0 else ""
        return f"{sign}${abs(cents) // 100:,}.{abs(cents) % 100:02d}"
    if name.endswith("_pct"):
        return f"{float(value):.1f}%"
    return str(value)


def _header(name: str) -> str:
    return name.replace("_cents", " ($)").replace("_pct", " (%)").replace("_", " ")


def format_table(table: Table) -> str:
    names, rows = table
    cells = [[_cell(n, v) for n, v in zip(names, row, strict=True)] for row in rows]
    headers = [_header(n) for n in names]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [
        n.endswith(("_cents", "_pct")) or n in {"settled", "failed", "failures"} for n in names
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells] or ["(no rows)"]
    return "\n".join(out)


# ---- HTML report: the finance page's charts (sfr3_dev/charts.py), filled from the lake ----

# query -> (data set of the charts, the charts drawn from it)
_CHARTS = {
    "success_rate_by_day": ("byDay", ("successRate", "volume")),
    "failures_by_reason": ("failuresByReason", ("failuresByReason",)),
    "collected_vs_outstanding_by_state": ("byState", ("collectedVsOutstanding",)),
}


def render_html(results: dict[str, Table], as_of: date, home: Path) -> str:
    """A self-contained page: per query, its charts and its table. `results` is keyed by
    query name (`run_named`)."""
    from sfr3_dev import charts

    specs = charts.chart_specs()
    sections = []
    for name, (names, rows) in results.items():
        title = QUERIES[name][0]
        dataset, drawn = _CHARTS[name]
        data = {dataset: charts.records_from_table(names, rows)}
        figures = "".join(charts.embed_html(f"chart-{c}", charts.with_rows(specs[c], data))
                          for c in drawn) if rows else "<p><em>No data.</em></p>"
        head = "".join(f"<th>{html.escape(_header(n))}</th>" for n in names)
        body = (
            "".join(
                "<tr>"
                + "".join(
                    f"<td>{html.escape(_cell(n, v))}</td>" for n, v in zip(names, row, strict=True)
                )
                + "</tr>"
                for row in rows
            )
            or f'<tr><td colspan="{len(names)}"><em>No rows.</em></td></tr>'
        )
        sections.append(
            f"<section><h2>{html.escape(title)}</h2>{figures}"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
        )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    script = charts.vega_embed_script().replace("</script", "<\\/script")
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>SFR3 payments - finance report</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2rem;color:#222;max-width:960px}"
        "table{border-collapse:collapse;margin:1rem 0 2rem}"
        "th,td{border-bottom:1px solid #ddd;padding:.3rem .8rem;text-align:right}"
        "th:first-child,td:first-child{text-align:left}"
        f"</style><script>{script}</script></head><body><h1>SFR3 payments - finance report</h1>"
        f"<p>As of {as_of.isoformat()} (UTC) from the events lake at "
        f"<code>{html.escape(str(home / 'lake'))}</code>; generated {generated}. "
        "Amounts in US dollars.</p>" + "".join(sections) + "</body></html>"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sfr3 analytics", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--home",
        type=Path,
        default=Path(os.environ.get("SFR3_HOME") or ".sfr3"),
        help="the local data directory (default: $SFR3_HOME or .sfr3)",
    )
    parser.add_argument(
        "--as-of",
        type=date.fromisoformat,
        default=None,
        help="last day of the trailing 30-day window (default: today, UTC)",
    )
    parser.add_argument("--resident", default=None, help="only this resident's events")
    parser.add_argument(
        "--no-catch-up",
        dest="catch_up",
        action="store_false",
        help="query the lake as it is, without first writing the ledger's newer events",
    )
    parser.add_argument("--html", type=Path, default=None, help="also write an HTML report")
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    as_of = args.as_of or datetime.now(UTC).date()
    if args.catch_up:
        with Progress("catching the lake up", unit="events") as progress:
            catch_up(args.home, progress)
    if not (args.home / "lake").is_dir():
        print(
            f"no events lake at {args.home / 'lake'} (run `make run` and make a payment)",
            file=sys.stderr,
        )
    results = run_named(args.home, as_of, args.resident)
    for name, table in results.items():
        print(f"\n{QUERIES[name][0]}\n")
        print(format_table(table))
    if args.html is not None:
        args.html.write_text(render_html(results, as_of, args.home), encoding="utf-8")
        print(f"\nreport written to {args.html}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
