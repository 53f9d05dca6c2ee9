"""`sfr3 analytics` first writes whatever the home's ledger holds and its lake lacks, so its
answer never depends on how far behind a running backbone happens to be."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfr3_adapters.local_sinks import LocalLake
from sfr3_dev.analytics import catch_up, main
from sfr3_dev.backbone import LocalBackbone
from sfr3_dev.local_stack import home_environment
from sfr3_ledger import LedgerApplication
from tests.backbone.scenario import EXPECTED_TYPES, pay_and_refund

_STACK_ENV = ("PERSISTENCE_MODULE", "SQLITE_DBNAME", "SFR3_FILES_DIR", "IDEMPOTENCY_TABLE",
              "DYNAMODB_TABLE", "DYNAMODB_ENDPOINT_URL", "CREATE_TABLE")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No ledger settings from a stack another test left running in this process."""
    for name in _STACK_ENV:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def open_ledger(home: Path) -> LedgerApplication:
    """The ledger as `make run` opens it for `home` (LocalStack uses the same function)."""
    home.mkdir(parents=True, exist_ok=True)
    return LedgerApplication(env={**os.environ, **home_environment(home)})


def lake_ids(home: Path, resident: str | None = None) -> list[str]:
    rows = LocalLake(home).rows()
    return [r["eventId"] for r in rows if resident in (None, r["data"]["residentId"])]


def report(home: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    today = datetime.now(UTC).date().isoformat()
    assert main(["--home", str(home), "--as-of", today, *extra]) == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("backend", ["sqlite", "dynamodb"])
def test_the_report_includes_events_the_backbone_has_not_written(
    backend: str, clean_env: pytest.MonkeyPatch, tmp_path: Path,
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str],
) -> None:
    if backend == "dynamodb":  # as `PERSISTENCE_MODULE=sfr3_adapters.dynamodb make run`
        clean_env.setenv("PERSISTENCE_MODULE", "sfr3_adapters.dynamodb")
        clean_env.setenv("DYNAMODB_TABLE", f"analytics-{uuid.uuid4().hex[:10]}")
        clean_env.setenv("DYNAMODB_ENDPOINT_URL", request.getfixturevalue("dynamodb_local"))
        clean_env.setenv("CREATE_TABLE", "y")
    home = tmp_path / "home"
    app = open_ledger(home)
    pay_and_refund(app, "res-seen")
    assert LocalBackbone(app, home).run_until_caught_up() > 0
    ids = pay_and_refund(app, "res-late")  # the backbone is behind: not in the lake yet

    stale = report(home, capsys, "--resident", "res-late", "--no-catch-up")
    assert "card_declined" not in stale and lake_ids(home, "res-late") == []

    fresh = " ".join(report(home, capsys, "--resident", "res-late").split())
    # $2,100 settled, $500 refunded, a $500 payment declined (scenario.pay_and_refund).
    assert "TX $1,600.00 $500.00" in fresh
    assert "card_declined 1 $500.00 100.0%" in fresh
    late = lake_ids(home, "res-late")
    assert len(late) == len(set(late)) == len(EXPECTED_TYPES)
    files = Path(home_environment(home)["SFR3_FILES_DIR"])
    assert (files / "receipts" / "res-late" / f"{ids['paid']}.pdf").is_file()
    assert LocalBackbone(app, home).run_until_caught_up() == 0  # the position moved too
    assert catch_up(home) == 0
    app.close()


def test_catching_up_beside_a_running_backbone_writes_each_event_once(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    app = open_ledger(home)
    running = LocalBackbone(app, home, batch_size=7, poll_seconds=0.001).start()
    try:
        for n in range(4):
            pay_and_refund(app, f"res-{n}")
            catch_up(home)
    finally:
        running.stop()
    catch_up(home)
    ids = lake_ids(home)
    assert Counter(ids).most_common(1)[0][1] == 1
    assert len(ids) == 4 * len(EXPECTED_TYPES)
    app.close()


def test_a_home_without_a_ledger_is_only_queried(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "never-started"
    assert catch_up(home) == 0
    out = report(home, capsys)
    assert "(no rows)" in out
    assert not home.exists()  # no empty ledger, no backbone state created
