"""The `sfr3` command: --version, --help listing every command, usage errors on stderr (2)."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

from sfr3_dev.cli import COMMANDS
from tests.harness.procs import ROOT


def sfr3(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sfr3_dev.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_version() -> None:
    result = sfr3("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"sfr3 {importlib.metadata.version('sfr3-payments')}"


def test_help_lists_every_command_with_one_line() -> None:
    result = sfr3("--help")
    assert result.returncode == 0 and not result.stderr
    lines = result.stdout.splitlines()
    for name, (_, text) in COMMANDS.items():
        assert text and "\n" not in text
        assert [line for line in lines if line.split()[:1] == [name] and text in line], name


@pytest.mark.parametrize("args", [(), ("no-such-command",)])
def test_usage_errors_go_to_stderr_with_exit_2(args: tuple[str, ...]) -> None:
    result = sfr3(*args)
    assert result.returncode == 2
    assert not result.stdout
    assert "usage: sfr3" in result.stderr and "sfr3: error:" in result.stderr


def test_a_subcommand_usage_error_is_exit_2_on_stderr() -> None:
    result = sfr3("dev-token")  # --resident or --staff is required
    assert result.returncode == 2 and not result.stdout
    assert "usage: sfr3 dev-token" in result.stderr


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_help(command: str) -> None:
    result = sfr3(command, "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "usage:" in result.stdout
