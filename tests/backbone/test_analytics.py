"""`sfr3 analytics` on a hand-made lake whose answers are worked out by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from sfr3_adapters.local_sinks import LocalLake
from sfr3_dev.analytics import main, run_queries


def row(
    n: int, kind: str, day: str, amount: int | None, state: str | None, reason: str | None = None
) -> dict[str, Any]:
    return {
        "eventId": f"e{n}",
        "eventType": kind,
        "source": "sfr3.payments",
        "timestamp": f"{day}T12:00:00.000000Z",
        "version": 1,
        "data": {
            "residentId": f"r{n}",
            "propertyId": "p",
            "state": state,
            "amount": amount,
            "currency": "USD",
            "paymentMethod": None,
            "failureReason": reason,
            "stripeRef": None,
            "paymentId": f"pay{n}",
        },
    }


@pytest.fixture
def home(tmp_path: Path) -> Path:
    rows = [
        row(1, "charge.posted", "2025-03-01", 200000, "TX"),
        row(2, "payment.settled", "2025-03-01", 150000, "TX"),
        row(3, "payment.failed", "2025-03-01", 50000, "TX", "card_declined"),
        row(4, "payment.settled", "2025-03-02", 1000, "GA"),
        row(5, "payment.failed", "2025-03-02", 700, "GA", "insufficient_funds"),
        row(6, "payment.failed", "2025-03-02", 300, "GA", "card_declined"),
        row(7, "payment.refunded", "2025-03-02", 20000, "TX"),
        row(8, "charge.posted", "2025-03-02", 5000, "GA"),
        row(9, "credit.applied", "2025-03-02", 500, "GA"),
        row(10, "payment.settled", "2025-01-01", 999, "TX"),  # outside the 30-day window
        row(11, "payment.initiated", "2025-03-02", 4000, "GA"),  # not an outcome
    ]
    lake = LocalLake(tmp_path)
    lake.write(rows)
    lake.write([rows[1]])  # a Firehose repeat, in a part file of its own: counted once
    assert len(lake.files()) == len({r["timestamp"][:10] for r in rows}) + 1
    return tmp_path


def test_the_three_queries(home: Path) -> None:
    from datetime import date

    results = list(run_queries(home, date(2025, 3, 2)).values())
    success, failures, by_state = (rows for _, rows in results)
    assert success == [("2025-03-01", 1, 1, 50.0, 150000), ("2025-03-02", 1, 2, 33.3, 1000)]
    assert failures == [("card_declined", 2, 50300, 66.7), ("insufficient_funds", 1, 700, 33.3)]
    # Collected in the month to date (March): TX 150000 - 20000 (the 999 of January is
    # not this month's); outstanding all time: TX 200000 - 150999 + 20000.
    # GA: collected 1000; outstanding 5000 - 1000 - 500.
    assert by_state == [("GA", 1000, 3500), ("TX", 130000, 69001)]


def test_the_cli_prints_tables_and_writes_html(
    home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.html"
    assert main(["--home", str(home), "--as-of", "2025-03-02", "--html", str(report)]) == 0
    out = capsys.readouterr().out
    assert "TX" in out and "$1,300.00" in out and "$690.01" in out
    assert "card_declined" in out and "66.7%" in out
    page = report.read_text()
    assert "Collected vs outstanding by state" in page
    # the finance page's four charts, drawn by vega-embed from inline data (no CDN)
    assert page.count("vegaEmbed(\"#chart-") == 4
    assert "cdn." not in page.split("<script>")[0] and "https://cdn" not in page


def test_an_empty_lake_prints_empty_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--home", str(tmp_path)]) == 0
    assert capsys.readouterr().out.count("(no rows)") == 3
