"""resources/plugins/split_bundle.py on a small zip: what each derived zip keeps and drops,
and the plans it refuses (no packaging needed)."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.deploy.conftest import REPO

SCRIPT = REPO / "resources" / "plugins" / "split_bundle.py"


def _dist(files: dict[str, str], name: str, version: str, paths: list[str],
          requires: tuple[str, ...] = ()) -> None:
    info = f"{name}-{version}.dist-info"
    files[f"{info}/METADATA"] = "Metadata-Version: 2.1\nName: " + name + "\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires)
    record = [*paths, f"{info}/METADATA", f"{info}/RECORD"]
    files[f"{info}/RECORD"] = "".join(f"{p},,\n" for p in [*record, "../../bin/tool"])
    for path in paths:
        files[path] = "x = 1\n"


def _bundle(tmp_path: Path, *, core_requires: tuple[str, ...] = ()) -> Path:
    files: dict[str, str] = {"app/handler.py": "import core\n",
                             "app/__pycache__/handler.cpython-312.pyc": "pyc"}
    _dist(files, "core", "1.0", ["core/__init__.py"], core_requires)
    _dist(files, "fpdf2", "2.8", ["fpdf/__init__.py"], ("fonttools>=4", "docs; extra == 'doc'"))
    _dist(files, "fonttools", "4.6", ["fontTools/__init__.py", "fonttools.libs/x.so"])
    _dist(files, "Typing_Ext", "4.1", ["typing_ext.py"])
    files["fpdf/__pycache__/__init__.cpython-312.pyc"] = "pyc"
    files["__pycache__/typing_ext.cpython-312.pyc"] = "pyc"
    path = tmp_path / "svc.zip"
    with zipfile.ZipFile(path, "w") as bundle:
        for name, text in files.items():
            bundle.writestr(name, text)
    return path


def _split(bundle: Path, plan: dict[str, object]) -> subprocess.CompletedProcess[str]:
    plan_file = bundle.with_name("plan.json")
    plan_file.write_text(json.dumps(plan))
    return subprocess.run([sys.executable, str(SCRIPT), str(bundle), "--plan", str(plan_file)],
                          capture_output=True, text=True, timeout=60, check=False)


PLAN = {"optional": {"pdf": ["fpdf2", "fonttools"], "ext": ["typing-ext"]},
        "bundles": {"core": [], "pdf": ["pdf"]}, "functions": {"api": "core", "receipts": "pdf"}}


def test_each_bundle_drops_exactly_the_optional_distributions_it_does_not_use(
    tmp_path: Path,
) -> None:
    bundle = _bundle(tmp_path)
    result = _split(bundle, PLAN)
    assert result.returncode == 0, result.stderr
    core = set(zipfile.ZipFile(tmp_path / "svc-core.zip").namelist())
    pdf = set(zipfile.ZipFile(tmp_path / "svc-pdf.zip").namelist())
    everything = set(zipfile.ZipFile(bundle).namelist())
    assert core == {n for n in everything if n.split("/")[0] in {
        "app", "core", "core-1.0.dist-info"}}
    # The pdf bundle keeps fpdf2 and fontTools (their pycs and .libs), not the ext module
    # (nor its pyc in the root __pycache__).
    assert pdf == core | {n for n in everything if n.split("/")[0] in {
        "fpdf", "fontTools", "fonttools.libs", "fpdf2-2.8.dist-info", "fonttools-4.6.dist-info"}}
    report = json.loads((tmp_path / "svc.bundles.json").read_text())
    assert report["bundles"]["core"]["left_out"] == ["fonttools", "fpdf2", "typing-ext"]
    assert report["bundles"]["pdf"]["distributions"] == ["core", "fonttools", "fpdf2"]
    assert report["functions"] == {"api": "core", "receipts": "pdf"}
    # The source zip is left as it was (the plugin removes it).
    assert set(zipfile.ZipFile(bundle).namelist()) == everything


def test_a_plan_naming_a_missing_distribution_is_refused(tmp_path: Path) -> None:
    plan = {**PLAN, "optional": {"pdf": ["fpdf2", "pillow"]}}
    result = _split(_bundle(tmp_path), plan)
    assert result.returncode != 0 and "pillow" in result.stderr


def test_a_plan_that_drops_what_a_kept_distribution_requires_is_refused(
    tmp_path: Path,
) -> None:
    result = _split(_bundle(tmp_path, core_requires=("fonttools",)), PLAN)
    assert result.returncode != 0
    assert "core requires ['fonttools']" in result.stderr
