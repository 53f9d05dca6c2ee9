"""The local backbone: the SQLite ledger's notification log -> lake, mail and receipts,
never twice and never skipping one across restarts and crashes."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest

from sfr3_adapters.local_sinks import LocalLake
from sfr3_dev.backbone import LocalBackbone
from sfr3_ledger import LedgerApplication
from tests.backbone.scenario import EXPECTED_TYPES, pay_and_refund


@pytest.fixture
def app(tmp_path: Path) -> LedgerApplication:
    return LedgerApplication(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(tmp_path / "l.db")}
    )


def lake(home: Path) -> list[dict[str, object]]:
    return LocalLake(home).rows()


def test_the_lake_mail_and_receipts_follow_the_log(app: LedgerApplication, tmp_path: Path) -> None:
    home = tmp_path / "home"
    ids = pay_and_refund(app, "res-local-1")
    backbone = LocalBackbone(app, home, files_dir=home)

    assert backbone.run_until_caught_up() > 0

    rows = lake(home)
    assert sorted(r["eventType"] for r in rows) == sorted(EXPECTED_TYPES)  # type: ignore[type-var]
    stamp = str(rows[0]["timestamp"])
    partition = home / "lake" / f"year={stamp[:4]}" / f"month={stamp[5:7]}" / f"day={stamp[8:10]}"
    assert partition.is_dir()
    mails = sorted((home / "mail").glob("*.eml"))
    subjects = sorted(
        line.split(": ", 1)[1]
        for m in mails
        for line in m.read_text().splitlines()
        if line.startswith("Subject: ")
    )
    assert subjects == sorted(
        [
            "New charge: Rent $2,100.00",
            "Payment received: $2,100.00",
            "Refund issued: $500.00",
            "Payment failed: $500.00",
        ]
    )
    receipt = home / "receipts" / "res-local-1" / f"{ids['paid']}.pdf"
    assert receipt.read_bytes().startswith(b"%PDF")
    assert backbone.receipts.url_for("res-local-1", ids["paid"]) == receipt.resolve().as_uri()


def test_a_restart_resumes_where_it_stopped(app: LedgerApplication, tmp_path: Path) -> None:
    home = tmp_path / "home"
    pay_and_refund(app, "res-local-2")
    LocalBackbone(app, home).run_until_caught_up()
    first = lake(home)

    restarted = LocalBackbone(app, home)
    assert restarted.run_once() == 0
    app.post_charge(
        "res-local-2", amount=2500, charge_type="UTILITY", description="Water", actor="pm-7"
    )
    # Two notifications: the charge's event and its id record (fact_records.py), which
    # publishes nothing.
    assert restarted.run_until_caught_up() == 2

    rows = lake(home)
    assert len(rows) == len(first) + 1
    assert rows[-1]["eventType"] == "charge.posted"
    assert all(n == 1 for n in Counter(r["eventId"] for r in rows).values())


def test_a_crash_before_tracking_replays_without_duplicates(
    app: LedgerApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    pay_and_refund(app, "res-local-3")
    crashing = LocalBackbone(app, home, batch_size=4)
    assert crashing.run_once() == 4

    def crash(*_: object) -> None:
        raise RuntimeError("power cut after the sinks wrote")

    monkeypatch.setattr(crashing.tracking, "insert_tracking", crash)
    with pytest.raises(RuntimeError):
        crashing.run_once()
    written = len(lake(home))
    assert written > 2  # the crashed batch did reach the lake

    LocalBackbone(app, home, batch_size=4).run_until_caught_up()
    rows = lake(home)
    counts = Counter(r["eventId"] for r in rows)
    assert all(n == 1 for n in counts.values())
    assert sorted(r["eventType"] for r in rows) == sorted(EXPECTED_TYPES)  # type: ignore[type-var]
    assert len(list((home / "mail").glob("*.eml"))) == 4


def test_start_follows_new_events_in_the_background(app: LedgerApplication, tmp_path: Path) -> None:
    home = tmp_path / "home"
    backbone = LocalBackbone(app, home, poll_seconds=0.05).start()
    try:
        app.post_charge(
            "res-local-4",
            amount=1200,
            charge_type="OTHER",
            description="Keys",
            actor="pm-7",
            property_id="p-1",
            us_state="GA",
        )
        deadline = time.monotonic() + 30
        while not lake(home) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        backbone.stop()
    rows = lake(home)
    assert [(r["eventType"], r["data"]["state"]) for r in rows] == [  # type: ignore[index]
        ("charge.posted", "GA")
    ]
