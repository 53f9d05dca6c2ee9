"""Chromium for the browser tests: Debian's package, from the system or fetched without root.

The developers' guide tests a browser page in a real headless Chromium from Debian's
packages. `locate()` answers, in order: `$SFR3_CHROMIUM` when set, the system's
`/usr/bin/chromium` when installed, else a copy fetched into `.venv/chromium/` by `fetch()`.

`fetch()` needs no root and installs nothing system-wide (issue 16): it asks apt, with a
private state and cache directory and the machine's own Debian sources and keyring, which
packages `apt-get install --no-install-recommends chromium` would add to this machine, downloads
exactly those (`apt-get download`: signatures and hashes checked as for an install), unpacks
them with `dpkg-deb -x` and writes a launcher that runs the browser with the unpacked
libraries on LD_LIBRARY_PATH. The versions are what the machine's Debian release offers that
day, recorded in `packages.txt`; the result is reused until the release changes (delete the
folder to take a newer Chromium). Downloaded .debs are kept in a separate cache folder, so a
second fetch (another destination, a test) downloads nothing twice.

`python -m tests.browser.chromium locate|fetch ...` is the same from a shell; it runs with
the standard library alone, so an unprivileged user can run it from a copy of this file.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
DPKG_STATUS = Path("/var/lib/dpkg/status")
# `SFR3_CHROMIUM_FETCH=1` ignores an installed /usr/bin/chromium and takes the fetch path.
FORCE_FETCH = "SFR3_CHROMIUM_FETCH"
# The browser binary inside Debian's chromium package (/usr/bin/chromium is a wrapper).
BINARY = Path("usr/lib/chromium/chromium")
# Never unpacked next to the system's own: the dynamic loader and C runtime must match.
SYSTEM_ONLY = frozenset({"libc6", "libgcc-s1", "libstdc++6"})
# Unpacked but never read by a headless browser (Chromium's own locales are elsewhere).
UNUSED = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale")
_INST = re.compile(r"^Inst (\S+) (?:\[[^\]]*\] )?\((\S+) ", re.MULTILINE)

Log = Callable[[str], None]


def _repo() -> Path:
    return Path(__file__).resolve().parents[2]


def default_dest() -> Path:
    return _repo() / ".venv" / "chromium"


def default_debs() -> Path:
    return _repo() / ".venv" / "chromium-debs"


class FetchFailed(RuntimeError):
    """apt could not resolve, download or unpack Chromium; the message says which step."""


def _release() -> str:
    """The Debian release and architecture this machine runs: a fetch is good for these."""
    fields: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            key, _, value = line.partition("=")
            fields[key] = value.strip('"')
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                          check=False).stdout.strip()
    return f"{fields.get('ID', '?')} {fields.get('VERSION_CODENAME', '?')} {arch}"


def locate(log: Log | None = None) -> Path:
    """The Chromium the browser tests launch: $SFR3_CHROMIUM, the system's, or a fetched one."""
    if os.environ.get("SFR3_CHROMIUM"):
        path = Path(os.environ["SFR3_CHROMIUM"])
        if not os.access(path, os.X_OK):
            raise FetchFailed(f"$SFR3_CHROMIUM={path} is not an executable")
        return path
    if os.environ.get(FORCE_FETCH) != "1" and os.access(SYSTEM_CHROMIUM, os.X_OK):
        return SYSTEM_CHROMIUM
    return fetch(default_dest(), debs=default_debs(), log=log)


# --- dpkg status files -------------------------------------------------------------------


def _stanzas(text: str) -> Iterator[str]:
    for block in text.split("\n\n"):
        if block.strip():
            yield block.strip("\n")


def _field(stanza: str, name: str) -> str:
    match = re.search(rf"^{name}: ?(.*(?:\n[ \t].*)*)", stanza, re.MULTILINE)
    return match.group(1).replace("\n", " ") if match else ""


def _installed(text: str) -> dict[str, str]:
    """Installed package name -> its stanza."""
    out = {}
    for stanza in _stanzas(text):
        if _field(stanza, "Status").endswith(" installed"):
            out[_field(stanza, "Package")] = stanza
    return out


def _render(stanzas: Iterable[str]) -> str:
    return "".join(f"{s}\n\n" for s in stanzas)


def without_chromium(status: str) -> str:
    """`status` as if no package built from Debian's chromium source were installed, so apt
    plans the browser even on a machine that has it (the forced fetch path)."""
    kept = [s for s in _installed(status).values()
            if _field(s, "Source").split(" ")[0] != "chromium"
            and not _field(s, "Package").startswith("chromium")]
    return _render(kept)


def minimal(status: str) -> str:
    """`status` cut down to the Essential and Priority: required packages and what they depend
    on: a minimal Debian system, on which apt plans Chromium's whole library closure (what a
    fresh machine without a desktop needs). Consistent, so apt accepts it as installed."""
    installed = _installed(status)
    provides: dict[str, str] = {}
    for name, stanza in installed.items():
        provides.setdefault(name, name)
        for item in _field(stanza, "Provides").split(","):
            if item.strip():
                provides.setdefault(item.split("(")[0].strip(), name)
    keep = [n for n, s in installed.items()
            if _field(s, "Essential") == "yes" or _field(s, "Priority") == "required"]
    seen = set(keep)
    while keep:
        stanza = installed[keep.pop()]
        depends = f"{_field(stanza, 'Pre-Depends')},{_field(stanza, 'Depends')}"
        for clause in depends.split(","):
            for alternative in clause.split("|"):
                name = alternative.split("(")[0].strip().split(":")[0]
                if name in provides:
                    target = provides[name]
                    if target not in seen:
                        seen.add(target)
                        keep.append(target)
                    break
    return _render(installed[n] for n in sorted(seen))


# --- apt without root ---------------------------------------------------------------------


def _run(cmd: list[str], cwd: Path | None = None, timeout: float = 900) -> str:
    try:
        result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                                timeout=timeout, check=False, env={**os.environ, "LC_ALL": "C"})
    except subprocess.TimeoutExpired as exc:
        raise FetchFailed(f"{' '.join(cmd[:3])}... timed out after {timeout:.0f}s") from exc
    if result.returncode != 0:
        raise FetchFailed(f"{' '.join(cmd)} exited {result.returncode}:\n"
                          f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def _apt_options(state: Path, status: Path) -> list[str]:
    """apt reading the machine's sources and keyring, writing only under `state`."""
    options = ["-o", f"Dir::State={state}/state", "-o", f"Dir::Cache={state}/cache",
               "-o", f"Dir::State::status={status}", "-o", "Dir::Cache::pkgcache=",
               "-o", "Dir::Cache::srcpkgcache=", "-o", "Debug::NoLocking=1", "-q"]
    if os.geteuid() == 0:
        # Root's apt would download as `_apt`, who may not be able to write here; an
        # unprivileged user is never switched.
        options += ["-o", "APT::Sandbox::User=root"]
    return options


def plan(state: Path, status: Path, log: Log) -> list[tuple[str, str]]:
    """(package, version) pairs that installing chromium would add on a machine whose dpkg
    status is `status`, from a fresh private copy of the machine's Debian package lists."""
    for sub in ("state/lists/partial", "cache/archives/partial"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    options = _apt_options(state, status)
    log("chromium: reading the Debian package lists (apt-get update, private state)")
    _run(["apt-get", *options, "update"])
    out = _run(["apt-get", *options, "-s", "install", "--no-install-recommends", "chromium"])
    packages = [(n, v) for n, v in _INST.findall(out) if n.split(":")[0] not in SYSTEM_ONLY]
    if not any(n == "chromium" for n, _ in packages):
        raise FetchFailed(f"apt plans no chromium package:\n{out[-3000:]}")
    return packages


def _deb_name(package: str, version: str, arch: str) -> str:
    # apt-get download's file name: the epoch's colon is written %3a.
    return f"{package.split(':')[0]}_{version.replace(':', '%3a')}_{arch}.deb"


def download(packages: list[tuple[str, str]], state: Path, status: Path, debs: Path,
             log: Log) -> list[Path]:
    """The .deb of each package, downloaded into `debs` unless already there."""
    debs.mkdir(parents=True, exist_ok=True)

    def cached() -> tuple[list[Path], list[str]]:
        files, missing = [], []
        for package, version in packages:
            matches = sorted(debs.glob(_deb_name(package, version, "*")))
            if matches:
                files.append(matches[0])
            else:
                missing.append(f"{package}={version}")
        return files, missing

    files, missing = cached()
    if missing:
        log(f"chromium: downloading {len(missing)} of {len(packages)} Debian packages")
        with tempfile.TemporaryDirectory(dir=debs, prefix=".download-") as tmp:
            _run(["apt-get", *_apt_options(state, status), "download", *missing],
                 cwd=Path(tmp))
            for deb in Path(tmp).glob("*.deb"):
                os.replace(deb, debs / deb.name)
        files, missing = cached()
        if missing:
            raise FetchFailed(f"apt-get download left out {missing}")
    return files


_LAUNCHER = """#!/bin/sh
# Debian's Chromium unpacked without root by tests/browser/chromium.py: its libraries first.
ROOT={root}
LD_LIBRARY_PATH="{libs}${{LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}}"
FONTCONFIG_FILE="$ROOT/fonts.conf"
export LD_LIBRARY_PATH FONTCONFIG_FILE
exec "$ROOT/{binary}" "$@"
"""

_FONTS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- The machine's fonts when it has fontconfig, plus the fonts unpacked next to Chromium. -->
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <dir>{root}/usr/share/fonts</dir>
  <include ignore_missing="yes">{root}/etc/fonts/conf.d</include>
  <cachedir>{root}/var/cache/fontconfig</cachedir>
</fontconfig>
"""


def _library_dirs(root: Path) -> list[Path]:
    """Where the unpacked libraries are: Chromium's own directory, each multiarch directory,
    and any directory below one holding shared libraries. The last are private library
    directories that a package's libraries find by an absolute RUNPATH, which points into
    the system's /usr/lib, not this tree: libpulse.so.0 needs
    `<multiarch>/pulseaudio/libpulsecommon-<v>.so`, so on a machine without libpulse0
    Chromium failed to start ("libpulsecommon-16.1.so: cannot open shared object file")."""
    found = [root / BINARY.parent]
    for base in ("usr/lib", "lib"):
        for multiarch in sorted(p for p in (root / base).glob("*-linux-gnu*") if p.is_dir()):
            found.append(multiarch)
            found += sorted(d for d in multiarch.rglob("*")
                            if d.is_dir() and any(d.glob("lib*.so*")))
    return found


def unpack(files: list[Path], tree: Path) -> None:
    """Every .deb unpacked into `tree` (dpkg-deb -x: files only, no maintainer scripts)."""
    for deb in files:
        _run(["dpkg-deb", "-x", str(deb), str(tree)])
    for unused in UNUSED:
        shutil.rmtree(tree / unused, ignore_errors=True)
    if not (tree / BINARY).exists():
        raise FetchFailed(f"no {BINARY} in the unpacked packages")


def write_launcher(root: Path) -> Path:
    """`root/bin/chromium`, which runs the unpacked browser with its libraries and fonts;
    written once the tree is in its final place, since it names that place."""
    (root / "var/cache/fontconfig").mkdir(parents=True, exist_ok=True)
    (root / "fonts.conf").write_text(_FONTS.format(root=root))
    launcher = root / "bin" / "chromium"
    launcher.parent.mkdir(parents=True, exist_ok=True)
    libs = ":".join(f"$ROOT/{p.relative_to(root)}" for p in _library_dirs(root))
    text = _LAUNCHER.format(root=shlex.quote(str(root)), libs=libs, binary=BINARY)
    if launcher.exists() and launcher.read_text() == text:
        return launcher
    # Replaced whole, never truncated in place: another session may be starting it.
    staged = launcher.with_name(f".{launcher.name}.{os.getpid()}")
    staged.write_text(text)
    staged.chmod(0o755)
    os.replace(staged, launcher)
    return launcher


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)  # concurrent test sessions fetch once
        yield


def fetch(dest: Path, *, debs: Path | None = None, base: str = "system",
          log: Log | None = None) -> Path:
    """Debian's Chromium and the libraries this machine lacks, unpacked into `dest` without
    root; the path of its launcher. Idempotent: a complete `dest` for this release is reused.

    `base` is the dpkg status apt plans against: "system" (this machine's, without any
    chromium package) or "minimal" (a bare Debian system, so the whole closure is fetched).
    """
    say = log or (lambda _m: None)
    dest = dest.resolve()
    debs = (debs or dest.with_name(dest.name + "-debs")).resolve()
    launcher = dest / "bin" / "chromium"
    release = _release()
    with _locked(dest.with_name(f".{dest.name}.lock")):
        record = dest / "packages.txt"
        if launcher.exists() and record.exists() and \
                record.read_text().splitlines()[:1] == [f"release: {release} base: {base}"]:
            # A tree unpacked by an older version of this module gets today's launcher
            # (its library path) without a new download.
            return write_launcher(dest)
        staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}-"))
        try:
            text = DPKG_STATUS.read_text(errors="replace")
            status = staging / "dpkg-status"
            status.write_text(minimal(text) if base == "minimal" else without_chromium(text))
            state = staging / "apt"
            packages = plan(state, status, say)
            files = download(packages, state, status, debs, say)
            tree = staging / "tree"
            unpack(files, tree)
            shutil.rmtree(dest, ignore_errors=True)
            os.replace(tree, dest)
            write_launcher(dest)
            pins = "".join(f"{name}={version}\n" for name, version in sorted(packages))
            record.write_text(f"release: {release} base: {base}\n{pins}")
            say(f"chromium: {len(packages)} packages unpacked into {dest}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return launcher


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser.chromium",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("locate", help="print the Chromium the browser tests use (fetch if needed)")
    fetch_cmd = sub.add_parser("fetch", help="fetch Debian's Chromium into DEST without root")
    fetch_cmd.add_argument("--dest", type=Path, default=default_dest())
    fetch_cmd.add_argument("--debs", type=Path, default=None)
    fetch_cmd.add_argument("--base", choices=("system", "minimal"), default="system")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    try:
        if args.command == "locate":
            print(locate(log))
        else:
            print(fetch(args.dest, debs=args.debs, base=args.base, log=log))
    except FetchFailed as exc:
        print(f"chromium: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
