"""Adds CPython 3.12 bytecode to the Lambda bundle, so a cold start does not compile source.

Lambda's /var/task is read-only: a bundle without `__pycache__` makes every cold start
compile every imported module from source (bench/cold_start.py: 1.4-2.4x the import time). The
pycs must come from a 3.12 interpreter (the magic number must match the python3.12 runtime)
and be unchecked-hash pycs (PEP 552): zip extraction sets mtimes that a timestamp pyc would
compare against, and a checked-hash pyc would re-read and hash the source on every import.

Run by resources/plugins/template-finishing.js after serverless-python-requirements has put
the requirements into the zip. It may run under any Python 3: it finds a 3.12 interpreter
(env PYTHON312, `python3.12` on PATH, pyenv's versions) and compiles under it. With none,
it warns, leaves the zip as it is and says so in the report (`<zip stem>.bytecode.json`
next to the zip), which tests/deploy/test_bytecode.py reads.

Usage: python compile_bundle.py BUNDLE.zip [--report PATH] [--python PATH]
"""

from __future__ import annotations

import argparse
import glob
import importlib.util
import json
import marshal
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

TAG = "cpython-312"
# PEP 552 flags word: bit 0 = hash-based, bit 1 = check_source. Unchecked-hash: 0b01.
UNCHECKED_HASH_FLAGS = 0b01
# Where Lambda unpacks the code: the file name baked into each code object (tracebacks).
TASK_ROOT = "/var/task"


def report_path_for(bundle: Path) -> Path:
    return bundle.with_name(f"{bundle.stem}.bytecode.json")


def _is_312(candidate: str) -> bool:
    """True when `candidate` runs and is CPython 3.12 (a pyenv shim may exist yet fail)."""
    try:
        result = subprocess.run(
            [
                candidate,
                "-c",
                "import sys; print(sys.implementation.name, *sys.version_info[:2])",
            ],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return False
    return result.returncode == 0 and result.stdout.split() == ["cpython", "3", "12"]


def candidates() -> list[str]:
    found: list[str] = []
    if os.environ.get("PYTHON312"):
        found.append(os.environ["PYTHON312"])
    on_path = shutil.which("python3.12")
    if on_path:
        found.append(on_path)
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv"), "/root/.pyenv"]
    for root in dict.fromkeys(r for r in roots if r):
        found += sorted(glob.glob(f"{root}/versions/3.12*/bin/python3.12"), reverse=True)
    return list(dict.fromkeys(found))


def find_python312() -> str | None:
    """The first working CPython 3.12 among PYTHON312, PATH and pyenv (None if none)."""
    for candidate in candidates():
        if _is_312(candidate):
            return candidate
    return None


def pyc_name(source: str) -> str:
    directory, _, file = source.rpartition("/")
    prefix = f"{directory}/" if directory else ""
    return f"{prefix}__pycache__/{file[: -len('.py')]}.{TAG}.pyc"


def compile_zip(bundle: Path) -> dict[str, object]:
    """Rewrites `bundle` with a pyc beside every .py; must run under CPython 3.12."""
    if sys.implementation.cache_tag != TAG:
        raise SystemExit(f"compile_zip needs CPython 3.12, running {sys.implementation.cache_tag}")
    failed: list[str] = []
    compiled = 0
    size_before = bundle.stat().st_size
    with zipfile.ZipFile(bundle) as source_zip:
        infos = [i for i in source_zip.infolist() if not i.filename.endswith(f".{TAG}.pyc")]
        sources = {i.filename for i in infos if i.filename.endswith(".py")}
        handle, tmp_name = tempfile.mkstemp(suffix=".zip", dir=bundle.parent)
        os.close(handle)
        with zipfile.ZipFile(tmp_name, "w", zipfile.ZIP_DEFLATED) as out:
            for info in infos:
                data = source_zip.read(info)
                out.writestr(info, data)
                if info.filename not in sources:
                    continue
                try:
                    code = compile(
                        data, f"{TASK_ROOT}/{info.filename}", "exec", dont_inherit=True, optimize=0
                    )
                except (SyntaxError, ValueError) as exc:
                    failed.append(f"{info.filename}: {exc}")
                    continue
                pyc = bytearray(importlib.util.MAGIC_NUMBER)
                pyc += UNCHECKED_HASH_FLAGS.to_bytes(4, "little")
                pyc += importlib.util.source_hash(data)
                pyc += marshal.dumps(code)
                # Same timestamp and mode as the source: the zip stays reproducible.
                entry = zipfile.ZipInfo(pyc_name(info.filename), date_time=info.date_time)
                entry.external_attr = info.external_attr
                entry.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(entry, bytes(pyc))
                compiled += 1
    os.replace(tmp_name, bundle)
    return {
        "status": "compiled",
        "interpreter": sys.executable,
        "version": sys.version.split()[0],
        "magic": importlib.util.MAGIC_NUMBER.hex(),
        "invalidation_mode": "unchecked-hash",
        "sources": len(sources),
        "compiled": compiled,
        "failed": failed,
        "zip_bytes_before": size_before,
        "zip_bytes_after": bundle.stat().st_size,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--report", type=Path, help="default: <zip stem>.bytecode.json")
    parser.add_argument("--python", help="the 3.12 interpreter (default: searched)")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    bundle: Path = args.bundle.resolve()
    report_path: Path = args.report or report_path_for(bundle)

    if args.in_process:
        report = compile_zip(bundle)
    else:
        python = args.python or find_python312()
        if python is None:
            report = {
                "status": "skipped",
                "reason": "no CPython 3.12 interpreter (set PYTHON312, or put python3.12 on "
                f"PATH); looked at: {', '.join(candidates()) or 'nothing found'}",
                "compiled": 0,
                "zip_bytes_before": bundle.stat().st_size,
                "zip_bytes_after": bundle.stat().st_size,
            }
            print(f"WARNING: bundle left without bytecode: {report['reason']}", file=sys.stderr)
        else:
            tmp_report = report_path.with_suffix(".tmp.json")
            subprocess.run(
                [
                    python,
                    str(Path(__file__).resolve()),
                    str(bundle),
                    "--in-process",
                    "--report",
                    str(tmp_report),
                ],
                check=True,
                timeout=600,
            )
            report = json.loads(tmp_report.read_text())
            tmp_report.unlink()
    report_path.write_text(json.dumps(report, indent=2) + "\n")
    if report["status"] == "compiled" and not args.in_process:
        before, after = report["zip_bytes_before"], report["zip_bytes_after"]
        print(
            f"compiled {report['compiled']} of {report['sources']} modules with "
            f"{report['interpreter']} ({report['version']}, unchecked-hash); "
            f"zip {before / 1e6:.1f} -> {after / 1e6:.1f} MB"
            + (f"; {len(report['failed'])} could not compile" if report["failed"] else "")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
