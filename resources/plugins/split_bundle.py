"""Splits the service's Lambda zip into one zip per group of functions (issue 17).

serverless-python-requirements can build one requirements set per zip, so the service is
built once (our code, every requirement, then 3.12 bytecode by compile_bundle.py) and this
script derives the zips the functions ship: each is the full zip minus the *optional*
distributions its functions do not import (PDF rendering: fpdf2 with fontTools and Pillow;
the Stripe SDK with requests). A distribution's files are the top-level names its RECORD
lists (packages, modules and their `__pycache__` pycs, its `*.libs`, its dist-info), so
nothing of it is left behind and nothing of another is taken away.

Run by resources/plugins/function-bundles.js after bundle-bytecode.js. Input: the zip and a
plan (JSON: `{"optional": {group: [distribution, ...]}, "bundles": {name: [group, ...]}}`).
Output beside the zip: `<stem>-<name>.zip` for each bundle, and `<stem>.bundles.json` (what
each bundle holds and left out, its size), which tests/deploy and bench/cold_start.py read.
It refuses a plan that names a distribution the zip does not hold, or that would leave a
kept distribution without one it requires.

Usage: python split_bundle.py BUNDLE.zip --plan PLAN.json
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import zipfile
from pathlib import Path

DIST_INFO = re.compile(r"^([^/]+)-([^/-]+)\.dist-info/")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def distributions(bundle: zipfile.ZipFile) -> dict[str, str]:
    """canonical name -> its `*.dist-info` directory in the zip."""
    found: dict[str, str] = {}
    for name in bundle.namelist():
        match = DIST_INFO.match(name)
        if match:
            found[canonical(match.group(1))] = name.split("/", 1)[0]
    return found


def owned_tops(bundle: zipfile.ZipFile, dist_info: str) -> set[str]:
    """Top-level names of the zip a distribution's RECORD owns (dist-info included)."""
    record = bundle.read(f"{dist_info}/RECORD").decode("utf-8")
    tops = {dist_info}
    for row in csv.reader(io.StringIO(record)):
        if not row or row[0].startswith(("../", "/")):
            continue
        path = row[0]
        top = path.split("/", 1)[0]
        if "/" not in path and path.endswith(".py"):
            # A top-level module: its pycs are in the zip's root __pycache__.
            tops.add(f"__pycache__/{path[: -len('.py')]}.")
        if top != "__pycache__":
            tops.add(top)
    return tops


def requires(bundle: zipfile.ZipFile, dist_info: str) -> set[str]:
    """Unconditional requirements (no `extra ==` marker) of a distribution."""
    metadata = bundle.read(f"{dist_info}/METADATA").decode("utf-8")
    out = set()
    for line in metadata.splitlines():
        if line.startswith("Requires-Dist:"):
            spec, _, marker = line.split(":", 1)[1].partition(";")
            if "extra" in marker:
                continue
            out.add(canonical(re.split(r"[\s\[(<>=!~]", spec.strip(), maxsplit=1)[0]))
    return out


def _copy(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    """A fresh ZipInfo (writestr sets offsets on the one it is given: never the source's)."""
    out = zipfile.ZipInfo(info.filename, info.date_time)
    out.external_attr = info.external_attr
    out.create_system = info.create_system
    out.compress_type = zipfile.ZIP_DEFLATED
    return out


def _removed(name: str, tops: set[str]) -> bool:
    top = name.split("/", 1)[0]
    if top in tops:
        return True
    modules = (t for t in tops if t.startswith("__pycache__/"))
    return top == "__pycache__" and any(name.startswith(t) for t in modules)


def split(zip_path: Path, plan: dict[str, dict[str, list[str]]]) -> dict[str, object]:
    optional = {group: [canonical(d) for d in dists] for group, dists in plan["optional"].items()}
    with zipfile.ZipFile(zip_path) as bundle:
        present = distributions(bundle)
        for group, dists in optional.items():
            missing = [d for d in dists if d not in present]
            if missing:
                raise SystemExit(f"bundle plan: group {group!r} names {missing}, "
                                 f"not in {zip_path.name}")
        infos = bundle.infolist()
        report: dict[str, object] = {"source": zip_path.name, "bundles": {}}
        for name, groups in plan["bundles"].items():
            unknown = set(groups) - set(optional)
            if unknown:
                raise SystemExit(f"bundle plan: {name!r} uses unknown groups {sorted(unknown)}")
            kept_optional = {d for g in groups for d in optional[g]}
            dropped = sorted({d for dists in optional.values() for d in dists} - kept_optional)
            tops: set[str] = set()
            for dist in dropped:
                tops |= owned_tops(bundle, present[dist])
            for dist, info in present.items():
                if dist in dropped:
                    continue
                needed = requires(bundle, info) & set(dropped)
                if needed:
                    raise SystemExit(f"bundle {name!r}: {dist} requires {sorted(needed)}, "
                                     "which the plan leaves out")
                shared = owned_tops(bundle, info) & tops
                if shared:
                    raise SystemExit(f"bundle {name!r}: {dist} shares {sorted(shared)} "
                                     "with a distribution the plan leaves out")
            out = zip_path.with_name(f"{zip_path.stem}-{name}.zip")
            kept = [i for i in infos if not _removed(i.filename, tops)]
            with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
                for info in kept:
                    target.writestr(_copy(info), bundle.read(info))
            report["bundles"][name] = {  # type: ignore[index]
                "zip": out.name,
                "groups": sorted(groups),
                "distributions": sorted(d for d in present if d not in dropped),
                "left_out": dropped,
                "files": len(kept),
                "unzipped_bytes": sum(i.file_size for i in kept),
                "zipped_bytes": out.stat().st_size,
            }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--plan", type=Path, required=True)
    args = parser.parse_args(argv)
    plan = json.loads(args.plan.read_text())
    report = split(args.bundle, plan)
    report["functions"] = plan.get("functions", {})
    out = args.bundle.with_name(f"{args.bundle.stem}.bundles.json")
    out.write_text(json.dumps(report, indent=2) + "\n")
    for info in report["bundles"].values():  # type: ignore[attr-defined]
        print(f"{info['zip']}: {info['zipped_bytes'] / 1e6:.1f} MB zipped, "
              f"{info['unzipped_bytes'] / 1e6:.1f} MB unzipped; "
              f"without {', '.join(info['left_out']) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
