"""The deployment bundles of bench/cold_start.py: packaging, unzipping and sizes.

`osls package` builds one zip per group of functions (serverless.yml custom.bundles,
described by `sfr3-payments.bundles.json`). This module packages the checkout when no
package is given, unzips each zip twice (with its pycs, and without any) beside the
python3.12 runtime's own libraries, and reports each zip's size. cold_start.py times the
handler imports from these directories.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# What the python3.12 runtime provides (serverless.yml noDeploy), precompiled as there.
RUNTIME_LIBS = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def _compile_tree(python: str, directory: Path) -> None:
    subprocess.run(
        [
            python,
            "-m",
            "compileall",
            "-q",
            "-j0",
            "--invalidation-mode",
            "unchecked-hash",
            str(directory),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )


def runtime_dir(python: str, work: Path) -> Path:
    """The runtime's boto3 & co (copied from this venv), compiled by 3.12, as on Lambda."""
    site = Path(next(p for p in sys.path if p.endswith("site-packages")))
    runtime = work / "rt"
    runtime.mkdir()
    for name in RUNTIME_LIBS:
        if (site / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__")
            shutil.copytree(site / name, runtime / name, ignore=ignore)
        else:
            shutil.copy2(site / name, runtime / name)
    _compile_tree(python, runtime)
    return runtime


# Packages whose aarch64 extensions have no pure-Python fallback: on another machine, host
# builds of the same versions (pip, cp312) stand in for them, compiled by 3.12 too.
NATIVE = {"pydantic_core": "pydantic-core", "PIL": "pillow"}


def _native_dir(python: str, root: Path, work: Path) -> Path | None:
    if platform.machine() in ("aarch64", "arm64"):
        return None
    wanted = []
    for package, dist in NATIVE.items():
        if not (root / package).exists():
            continue
        (info,) = [p.name for p in root.glob("*.dist-info")
                   if p.name.lower().replace("_", "-").startswith(f"{dist}-")]
        wanted.append(f"{dist}=={info[: -len('.dist-info')].rsplit('-', 1)[1]}")
    if not wanted:
        return None
    native = work / f"native-{root.name}"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(native),
         f"--platform=manylinux2014_{platform.machine()}", "--python-version=3.12",
         "--implementation=cp", "--only-binary=:all:", *sorted(wanted)],
        check=True, capture_output=True, timeout=600,
    )
    _compile_tree(python, native)
    return native


def _layout(directory: Path,
            functions: Iterable[str]) -> tuple[dict[str, str], dict[str, str]]:
    """(function -> zip file name, bundle name -> zip file name) of a package directory.

    A package without a bundles report (before issue 17) ships one zip to all `functions`.
    """
    report_file = directory / "sfr3-payments.bundles.json"
    if report_file.exists():
        report = json.loads(report_file.read_text())
        zips = {name: info["zip"] for name, info in report["bundles"].items()}
        return {f: zips[b] for f, b in report["functions"].items()}, zips
    return {f: "sfr3-payments.zip" for f in functions}, {"all": "sfr3-payments.zip"}


class Bundles:
    """A package's zips unzipped (with and without pycs) and the sys.path of each."""

    def __init__(self, python: str, directory: Path, work: Path, runtime: Path,
                 functions: Iterable[str]) -> None:
        self.functions, zips = _layout(directory, functions)
        self.paths: dict[str, dict[str, list[Path]]] = {}
        for zip_name in sorted(set(zips.values())):
            with_pyc, without_pyc = work / f"{zip_name}-pyc", work / f"{zip_name}-src"
            with zipfile.ZipFile(directory / zip_name) as bundle:
                bundle.extractall(with_pyc)
                for info in bundle.infolist():
                    if "__pycache__/" not in info.filename:
                        bundle.extract(info, without_pyc)
            native = _native_dir(python, with_pyc, work)
            overlay = [native] if native else []
            self.paths[zip_name] = {
                "bundle-pyc": [*overlay, with_pyc, runtime],
                "bundle-src": [*overlay, without_pyc, runtime],
            }

    def path(self, function: str, label: str) -> list[Path]:
        return self.paths[self.functions[function]][label]


def package_dir(given: str | None) -> Path:
    """`given`, or a fresh `osls package` of this checkout into .sfr3/bench-package."""
    if given:
        return Path(given)
    out = REPO / ".sfr3" / "bench-package"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLS_"))}
    env.update(
        {
            "AWS_ACCESS_KEY_ID": "dummy",
            "AWS_SECRET_ACCESS_KEY": "dummy",
            "AWS_REGION": "us-east-1",
            "SLS_TELEMETRY_DISABLED": "1",
            "SLS_NOTIFICATIONS_MODE": "off",
            "SFR3_PYTHON_BIN": sys.executable,
        }
    )
    osls = REPO / "node_modules" / ".bin" / "osls"
    subprocess.run(
        [str(osls), "package", "--stage", "dev", "--package", str(out)],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
        timeout=900,
    )
    return out


def bundle_report(directory: Path, functions: Iterable[str]) -> list[str]:
    """Each zip's size, zipped and unzipped, its largest parts and the functions it ships."""
    shipped_by, zips = _layout(directory, functions)
    lines = []
    for zip_name in sorted(set(zips.values())):
        zip_path = directory / zip_name
        with zipfile.ZipFile(zip_path) as archive:
            infos = archive.infolist()
        by_top: Counter[str] = Counter()
        for info in infos:
            by_top[info.filename.split("/", 1)[0]] += info.file_size
        unzipped = sum(by_top.values())
        users = sorted(f for f, z in shipped_by.items() if z == zip_name)
        lines += [
            f"bundle {zip_name}: {zip_path.stat().st_size / 1e6:.1f} MB zipped, "
            f"{unzipped / 1e6:.1f} MB unzipped (Lambda limit 262.1 MB), {len(infos)} files; "
            f"shipped by {len(users)} function(s): {', '.join(users)}",
            "  largest parts (unzipped): " + ", ".join(
                f"{name} {size / 1e6:.1f} MB" for name, size in by_top.most_common(6)),
        ]
    return lines
