"""The bundle ships CPython 3.12 bytecode, so a cold start imports instead of compiling.

resources/plugins/bundle-bytecode.js runs compile_bundle.py on the packaged zip and writes
`sfr3-payments.bytecode.json` beside it; function-bundles.js then splits that zip into the
per-function zips (their pycs go with their sources). These tests skip only when that
report says no 3.12 interpreter was available at package time (and then say why).
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.deploy.conftest import SERVICE, Package

# importlib.util.MAGIC_NUMBER of CPython 3.12 (magic 3531, the same for every 3.12.x; Lambda's
# python3.12 runtime loads only pycs that carry it). Hard-coded so that a pyc from another
# interpreter fails here whatever the packaging machine picked.
MAGIC_312 = (3531).to_bytes(2, "little") + b"\r\n"
# PEP 552 flags: bit 0 hash-based, bit 1 check_source. Unchecked-hash = 0b01.
UNCHECKED_HASH = 0b01
OWN = ("sfr3_ledger", "sfr3_adapters", "sfr3_lambdas")
THIRD_PARTY = ("eventsourcing", "aws_lambda_powertools", "cattrs", "attrs", "fpdf", "stripe")


def pyc_for(source: str) -> str:
    directory, _, file = source.rpartition("/")
    prefix = f"{directory}/" if directory else ""
    return f"{prefix}__pycache__/{file[: -len('.py')]}.cpython-312.pyc"


@pytest.fixture(scope="module")
def report(package: Package) -> dict[str, Any]:
    path = package.directory / f"{SERVICE}.bytecode.json"
    assert path.exists(), f"packaging wrote no bytecode report ({path.name})"
    data: dict[str, Any] = json.loads(path.read_text())
    if data["status"] == "skipped":
        pytest.skip(f"bundle has no bytecode: {data['reason']}")
    assert data["status"] == "compiled"
    return data


def test_every_module_in_the_bundles_has_a_312_pyc(
    package: Package, report: dict[str, Any]
) -> None:
    """Compiled once (the full build), then split per function (split_bundle.py): each zip
    keeps every pyc of what it holds, and nothing else."""
    union: set[str] = set()
    for zip_path in package.zip_paths:
        names = set(package.zip_names(zip_path))
        sources = sorted(n for n in names if n.endswith(".py"))
        union |= set(sources)
        for top in OWN:
            assert any(s.startswith(f"{top}/") for s in sources), f"no {top} in {zip_path.name}"
        missing = [s for s in sources if pyc_for(s) not in names]
        assert not missing, f"{zip_path.name}: {len(missing)} modules without a pyc, {missing[:5]}"
        pycs = {pyc_for(s) for s in sources}
        orphans = [n for n in names if n.endswith(".pyc") and n not in pycs]
        assert not orphans, orphans[:5]
    for top in THIRD_PARTY:
        assert any(s.startswith(f"{top}/") for s in union), f"no {top} sources in any bundle"
    assert report["compiled"] == len(union)
    assert report["failed"] == []


def test_pycs_are_312_unchecked_hash(package: Package, report: dict[str, Any]) -> None:
    headers = {}
    for zip_path in package.zip_paths:
        with zipfile.ZipFile(zip_path) as bundle:
            headers.update({
                f"{zip_path.name}:{info.filename}": bundle.open(info).read(16)
                for info in bundle.infolist()
                if info.filename.endswith(".pyc")
            })
    assert headers
    wrong_magic = [n for n, h in headers.items() if h[:4] != MAGIC_312]
    assert not wrong_magic, f"not CPython 3.12 bytecode: {wrong_magic[:5]}"
    not_unchecked = [n for n, h in headers.items() if int.from_bytes(h[4:8], "little") != 1]
    assert not not_unchecked, f"not unchecked-hash pycs: {not_unchecked[:5]}"
    assert bytes.fromhex(report["magic"]) == MAGIC_312


def test_python312_imports_the_bundle_from_its_pycs_without_reading_source(
    package: Package, report: dict[str, Any], tmp_path: Path
) -> None:
    """Every source of the domain and of eventsourcing replaced by a bomb: importing still
    works only if 3.12 takes the bundled pycs and never compares them with the source."""
    with zipfile.ZipFile(package.zip_path) as bundle:
        bundle.extractall(tmp_path)
    bombs = [*(tmp_path / "sfr3_ledger").rglob("*.py"), *(tmp_path / "eventsourcing").rglob("*.py")]
    assert bombs
    for source in bombs:
        source.write_text("raise RuntimeError('compiled from source')\n")
    code = (
        "import sys\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import sfr3_ledger.ledger, sfr3_ledger.application, eventsourcing.application\n"
        "assert sfr3_ledger.ledger.__cached__.endswith('.cpython-312.pyc')\n"
    )
    result = subprocess.run(
        [report["interpreter"], "-I", "-B", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
