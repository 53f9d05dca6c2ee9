"""The compiled template passes cfn-lint with no error and no warning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.deploy.conftest import TEMPLATE, Package


def test_cfn_lint_reports_nothing(package: Package) -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run(
        [str(cfn_lint), "--format", "parseable", str(package.directory / TEMPLATE)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout
