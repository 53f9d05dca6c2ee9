"""Long-running `sfr3` commands show progress on a terminal and nothing otherwise (issue 16).

`Progress` is tested on an injected stream; `sfr3 analytics` (catching the lake up) and
`sfr3 jobs run|simulate` are run as a user runs them, once with stderr on a pseudo-terminal
(pty) and once with stderr on a pipe, as in CI or cron.
"""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from sfr3_dev.backbone import LocalBackbone
from sfr3_dev.local_stack import home_environment
from sfr3_dev.progress import CLEAR_LINE, Progress
from sfr3_ledger import LedgerApplication
from sfr3_ledger.leases import LeaseTerms
from tests.backbone.scenario import pay_and_refund

ROOT = Path(__file__).resolve().parents[1]
_STACK_ENV = ("PERSISTENCE_MODULE", "SQLITE_DBNAME", "SFR3_FILES_DIR", "IDEMPOTENCY_TABLE",
              "DYNAMODB_TABLE", "DYNAMODB_ENDPOINT_URL", "CREATE_TABLE", "SFR3_HOME")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


# --- the counter line ---------------------------------------------------------------------


def test_a_terminal_gets_one_line_redrawn_in_place_at_most_every_interval() -> None:
    out, clock = Terminal(), Clock()
    progress = Progress("catching up", 200, unit="events", stream=out, interval=0.5,
                        clock=clock)
    progress.update(0)
    progress.advance(50)  # within the interval: not drawn
    clock.now += 0.6
    progress.advance(50, detail="batch 2")
    clock.now += 1.0
    progress.finish()
    assert out.getvalue() == (
        f"{CLEAR_LINE}catching up: 0/200 events (0%)"
        f"{CLEAR_LINE}catching up: 100/200 events (50%) batch 2"
        f"{CLEAR_LINE}catching up: 100/200 events (50%) done in 1.6s\n")
    assert "\n" not in out.getvalue()[:-1]


def test_clear_erases_the_line_before_other_output_and_the_next_update_redraws() -> None:
    out = Terminal()
    progress = Progress("simulating", 4, unit="runs", stream=out, interval=60, clock=Clock())
    progress.update(1)
    progress.clear()
    progress.clear()  # nothing drawn: nothing written
    progress.advance()
    assert out.getvalue() == (f"{CLEAR_LINE}simulating: 1/4 runs (25%){CLEAR_LINE}"
                              f"{CLEAR_LINE}simulating: 2/4 runs (50%)")


def test_more_work_than_counted_raises_the_total() -> None:
    out = Terminal()
    progress = Progress("x", 2, stream=out, interval=0, clock=Clock())
    progress.update(3)
    assert out.getvalue().endswith("x: 3/3 (100%)")


def test_a_line_never_wraps_on_a_narrow_terminal() -> None:
    master, slave = pty.openpty()
    os.set_blocking(master, False)
    try:
        subprocess.run(["stty", "cols", "30", "rows", "10"], stdin=slave, check=True)
        with open(slave, "w", closefd=False) as terminal:
            progress = Progress("a long label for a narrow terminal", 10, unit="items",
                                stream=terminal, interval=0)
            progress.update(5, detail="America/Argentina/ComodRivadavia")
        drawn = os.read(master, 4096).decode()
    finally:
        os.close(slave)
        os.close(master)
    assert drawn == CLEAR_LINE + "a long label for a narrow ter"  # 29 of 30 columns


def test_no_terminal_no_output_and_no_work_no_line() -> None:
    for stream in (io.StringIO(), Terminal()):
        with Progress("idle", stream=stream):
            pass
        assert stream.getvalue() == ""
    # Nothing to catch up: the 0/0 line drawn at the start is erased, not left behind.
    idle = Terminal()
    with Progress("catching up", stream=idle, interval=0) as progress:
        progress.update(0, total=0)
    assert idle.getvalue() == f"{CLEAR_LINE}catching up: 0/0{CLEAR_LINE}"
    piped = io.StringIO()
    with Progress("busy", 10, stream=piped, interval=0) as progress:
        progress.advance(10)
    assert piped.getvalue() == ""
    with open(os.devnull, "w") as closed:
        pass
    assert Progress("closed", stream=closed).enabled is False  # isatty() raises


def test_a_failure_clears_the_line_instead_of_leaving_a_final_count() -> None:
    out = Terminal()
    with pytest.raises(RuntimeError), Progress("x", stream=out, interval=0) as progress:
        progress.advance()
        raise RuntimeError("boom")
    assert out.getvalue() == f"{CLEAR_LINE}x: 1{CLEAR_LINE}"


# --- the commands, on a pty and on a pipe -------------------------------------------------


def command_env() -> dict[str, str]:
    """The environment without the ledger settings a stack of this process may have set."""
    return {k: v for k, v in os.environ.items() if k not in _STACK_ENV}


def sfr3(*args: str, terminal: bool) -> tuple[str, str]:
    """(stdout, stderr) of `sfr3 ARGS`, stderr on a pseudo-terminal or on a pipe."""
    cmd = [sys.executable, "-m", "sfr3_dev.cli", *args]
    if not terminal:
        result = subprocess.run(cmd, cwd=ROOT, env=command_env(), capture_output=True,
                                text=True, timeout=180, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout, result.stderr
    master, slave = pty.openpty()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=command_env(), stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks: list[bytes] = []

    def pump() -> None:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    stdout, _ = proc.communicate(timeout=180)
    reader.join(10)
    os.close(master)
    stderr = b"".join(chunks).decode().replace("\r\n", "\n")  # the tty's output newlines
    assert proc.returncode == 0, stderr
    return stdout.decode(), stderr


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No ledger settings from a stack another test left running in this process: the
    ledger opened here must be the home's, as the command's will be."""
    for name in _STACK_ENV:
        monkeypatch.delenv(name, raising=False)


def ledger_home(home: Path) -> LedgerApplication:
    home.mkdir(parents=True, exist_ok=True)
    return LedgerApplication(env={**command_env(), **home_environment(home)})


@pytest.mark.usefixtures("clean_env")
def test_analytics_shows_the_lake_catching_up_on_a_terminal_only(tmp_path: Path) -> None:
    homes = {}
    for name in ("tty", "pipe"):
        app = ledger_home(tmp_path / name)
        pay_and_refund(app, "res-seen")
        backbone = LocalBackbone(app, tmp_path / name)  # a home `make run` has followed
        backbone.run_until_caught_up()
        pay_and_refund(app, "res-progress")  # ... and then not: the lake is behind
        homes[name] = (tmp_path / name,
                       (app.recorder.max_notification_id() or 0) - backbone.position)
        app.close()
    today = date.today().isoformat()

    home, count = homes["tty"]
    out, err = sfr3("analytics", "--home", str(home), "--as-of", today, terminal=True)
    assert f"{CLEAR_LINE}catching the lake up: 0/{count} events (0%)" in err
    assert f"{CLEAR_LINE}catching the lake up: {count}/{count} events (100%) done in " in err
    assert err.endswith("s\n") and "\r" not in out
    assert "card_declined" in out

    home, count = homes["pipe"]
    piped_out, piped_err = sfr3("analytics", "--home", str(home), "--as-of", today,
                                terminal=False)
    assert "catching" not in piped_err and "\r" not in piped_err
    assert piped_out.replace(str(homes["pipe"][0]), "H") == out.replace(str(homes["tty"][0]), "H")


@pytest.mark.usefixtures("clean_env")
def test_the_job_runner_counts_items_and_simulated_runs_on_a_terminal_only(
        tmp_path: Path) -> None:
    for name in ("tty", "pipe"):
        app = ledger_home(tmp_path / name)
        for n in range(3):
            app.start_lease(f"res-{n}", lease_id=f"L-{n}", property_id=f"p-{n}", us_state="TX",
                            start_date=date(2027, 1, 1), actor="pm",
                            terms=LeaseTerms(monthly_rent=100_000, rent_due_day=3))
        app.close()

    home = str(tmp_path / "tty")
    out, err = sfr3("jobs", "--home", home, "run", "recurring-charges", "--date", "2027-01-03",
                    terminal=True)
    assert f"{CLEAR_LINE}catching the read models up: 0/" in err
    assert f"{CLEAR_LINE}recurring-charges: 3 items done in " in err
    assert "America/Chicago" in out and "3 items" in out and "\r" not in out
    out, err = sfr3("jobs", "--home", home, "simulate", "--from", "2027-02-01",
                    "--to", "2027-02-03", terminal=True)
    runs = 3 * 4  # days x jobs
    assert f"{CLEAR_LINE}simulating: 0/{runs} runs (0%) 2027-02-01 recurring-charges" in err
    assert f"{CLEAR_LINE}simulating: {runs}/{runs} runs (100%) done in " in err
    assert "2027-02-03  recurring-charges" in out
    out, err = sfr3("jobs", "--home", home, "rebuild", terminal=True)
    assert "rebuilding the schedule read model: 0/" in err
    assert "notifications (100%) done in " in err and "rebuilt the schedule read model" in out

    home = str(tmp_path / "pipe")
    out, err = sfr3("jobs", "--home", home, "run", "recurring-charges", "--date", "2027-01-03",
                    terminal=False)
    assert "3 items" in out and "items done" not in err and "\r" not in err
    out, err = sfr3("jobs", "--home", home, "simulate", "--from", "2027-02-01",
                    "--to", "2027-02-03", terminal=False)
    assert "2027-02-03  recurring-charges" in out and "simulating" not in err
    out, err = sfr3("jobs", "--home", home, "rebuild", terminal=False)
    assert "rebuilt the schedule read model" in out and "rebuilding" not in err
