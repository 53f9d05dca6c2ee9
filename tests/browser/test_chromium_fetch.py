"""Chromium without root (issue 16): the fetch path runs as an unprivileged user and its browser
loads a real page headless, even on a machine (like CI's) whose system Chromium is installed.

The fetch plans against a *minimal* Debian system (`base="minimal"`), so apt resolves and
downloads Chromium's whole library closure, as on a fresh machine with no desktop libraries,
and the unpacked browser must run on those libraries. When the tests run as root, the fetch
and the browser run as `nobody` (setpriv), from a copy of tests/browser/chromium.py: what an
unprivileged developer gets. The result is cached in `.venv/chromium-unprivileged/` (or in
/var/tmp when `nobody` cannot reach the checkout), so later runs only check and launch it.
"""

from __future__ import annotations

import http.server
import shlex
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from tests.browser import chromium
from tests.browser.conftest import CHROMIUM_ARGS, FETCH_TIMEOUT
from tests.unprivileged import User

PAGE = """<!doctype html><html><head><title>fetched chromium</title></head>
<body style="font: 40px sans-serif"><p id="out">static text</p>
<script>document.getElementById("out").textContent = "rendered by " + "script";</script>
</body></html>"""


# --- the dpkg status the fetch plans against (no network) ---------------------------------

STATUS = """Package: libc6
Status: install ok installed
Priority: required
Version: 2.36-9

Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Depends: awk

Package: mawk
Status: install ok installed
Priority: required
Provides: awk
Depends: libc6 (>= 2.29)

Package: libnss3
Status: install ok installed
Priority: optional
Depends: libc6

Package: chromium
Status: install ok installed
Priority: optional
Depends: libnss3, chromium-common (= 1)

Package: chromium-common
Status: install ok installed
Source: chromium
Priority: optional

Package: removed-long-ago
Status: deinstall ok config-files
Priority: required
"""


def names(status: str) -> set[str]:
    return set(chromium._installed(status))


def test_without_chromium_drops_only_the_packages_built_from_chromium() -> None:
    assert names(chromium.without_chromium(STATUS)) == {"libc6", "base-files", "mawk",
                                                      "libnss3"}


def test_minimal_keeps_essential_and_required_packages_and_what_they_depend_on() -> None:
    # mawk is required and provides awk, which base-files depends on; libnss3 goes.
    assert names(chromium.minimal(STATUS)) == {"libc6", "base-files", "mawk"}
    machine = Path("/var/lib/dpkg/status").read_text(errors="replace")
    kept = chromium._installed(chromium.minimal(machine))
    assert "libc6" in kept and "chromium" not in kept and "libnss3" not in kept


def test_the_system_chromium_is_used_when_installed_unless_the_fetch_is_forced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    system = tmp_path / "chromium"
    system.write_text("#!/bin/sh\n")
    system.chmod(0o755)
    fetched: list[Path] = []

    def fake_fetch(dest: Path, **_kw: Any) -> Path:
        fetched.append(dest)
        return dest / "bin" / "chromium"

    monkeypatch.setattr(chromium, "SYSTEM_CHROMIUM", system)
    monkeypatch.setattr(chromium, "fetch", fake_fetch)
    monkeypatch.delenv("SFR3_CHROMIUM", raising=False)
    monkeypatch.delenv(chromium.FORCE_FETCH, raising=False)
    assert chromium.locate() == system and fetched == []
    monkeypatch.setenv(chromium.FORCE_FETCH, "1")
    assert chromium.locate() == chromium.default_dest() / "bin" / "chromium"
    monkeypatch.delenv(chromium.FORCE_FETCH)
    system.unlink()
    assert chromium.locate() == chromium.default_dest() / "bin" / "chromium"
    assert fetched == [chromium.default_dest()] * 2
    monkeypatch.setenv("SFR3_CHROMIUM", str(tmp_path / "nowhere"))
    with pytest.raises(chromium.FetchFailed):
        chromium.locate()


# --- the real fetch, unprivileged ---------------------------------------------------------


class Fetched(NamedTuple):
    launcher: Path
    area: Path
    python: str

    @property
    def tree(self) -> Path:
        return self.launcher.parents[1]

    def pins(self) -> dict[str, str]:
        lines = (self.tree / "packages.txt").read_text().splitlines()[1:]
        return dict(line.split("=", 1) for line in lines)


@pytest.fixture(scope="module")
def user() -> User:
    return User()


@pytest.fixture(scope="module")
def fetched(user: User) -> Iterator[Fetched]:
    """Chromium fetched by the unprivileged user into its work area, base=minimal."""
    area, python = user.work_area("chromium-unprivileged")
    script = area / "chromium.py"
    shutil.copyfile(Path(chromium.__file__), script)
    script.chmod(0o644)
    started = time.monotonic()
    result = user.run([python, str(script), "fetch", "--dest", str(area / "chromium"),
                       "--debs", str(area / "debs"), "--base", "minimal"], area,
                      timeout=FETCH_TIMEOUT - 60)
    print(f"unprivileged fetch: {time.monotonic() - started:.1f}s\n{result.stderr}")
    launcher = Path(result.stdout.strip().splitlines()[-1])
    assert launcher == area / "chromium" / "bin" / "chromium"
    yield Fetched(launcher, area, python)


@pytest.fixture(scope="module")
def served_page() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = PAGE.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.timeout(FETCH_TIMEOUT)
def test_the_fetch_needs_no_root_and_records_what_the_release_offers(
        fetched: Fetched, user: User) -> None:
    tree = fetched.tree
    assert tree.stat().st_uid == user.uid and (tree / chromium.BINARY).stat().st_uid == user.uid
    record = (tree / "packages.txt").read_text().splitlines()
    assert record[0] == f"release: {chromium._release()} base: minimal"
    pins = fetched.pins()
    assert pins["chromium"] == pins["chromium-common"]
    # The whole closure came from the archive, the C runtime from the system.
    assert {"libnss3", "libgtk-3-0", "libgbm1"} <= set(pins)
    assert not set(pins) & chromium.SYSTEM_ONLY
    # Idempotent: a second fetch reuses the tree, with no apt call at all.
    before = (tree / "packages.txt").stat().st_mtime_ns
    area = fetched.area
    again = user.run([fetched.python, str(area / "chromium.py"), "fetch", "--dest", str(tree),
                      "--debs", str(area / "debs"), "--base", "minimal"], area, timeout=60)
    assert Path(again.stdout.strip()) == fetched.launcher
    assert "reading the Debian package lists" not in again.stderr
    assert (tree / "packages.txt").stat().st_mtime_ns == before


@pytest.mark.timeout(FETCH_TIMEOUT)
def test_the_fetched_browser_runs_on_its_fetched_libraries(
        fetched: Fetched, user: User) -> None:
    tree = fetched.tree
    version = user.run([str(fetched.launcher), "--version"], fetched.area).stdout
    assert version.startswith(f"Chromium {fetched.pins()['chromium'].split('-')[0]} "), version
    # ldd under the launcher's own settings: Chromium's libraries resolve into the tree.
    launcher = shlex.quote(str(fetched.launcher))
    script = (f'eval "$(grep -E "^(ROOT|LD_LIBRARY_PATH)=" {launcher})"; export LD_LIBRARY_PATH'
              f"; exec ldd {shlex.quote(str(tree / chromium.BINARY))}")
    libraries = user.run(["sh", "-c", script], fetched.area).stdout
    assert "not found" not in libraries, libraries
    for name in ("libnss3.so", "libgbm.so.1", "libcups.so.2", "libX11.so.6"):
        line = next(x for x in libraries.splitlines() if name in x)
        assert str(tree) in line, line


@pytest.mark.timeout(FETCH_TIMEOUT)
def test_the_fetched_browser_loads_a_real_page_headless(
        fetched: Fetched, user: User, served_page: str) -> None:
    launcher, area = fetched.launcher, fetched.area
    dom = user.run([str(launcher), *CHROMIUM_ARGS, "--dump-dom", served_page], area,
                   timeout=120).stdout
    assert '<p id="out">rendered by script</p>' in dom, dom[-2000:]
    shot = area / "page.png"
    shot.unlink(missing_ok=True)
    user.run([str(launcher), *CHROMIUM_ARGS, "--window-size=800,300",
              f"--screenshot={shot}", served_page], area, timeout=120)
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size == (800, 300)
        # Text was drawn (fonts found): dark pixels on the white page.
        dark = sum(image.convert("L").histogram()[:100])
    assert dark > 500, f"{dark} dark pixels: no text rendered"


@pytest.mark.timeout(FETCH_TIMEOUT)
def test_playwright_drives_the_fetched_browser(fetched: Fetched, served_page: str) -> None:
    """What the browser tests do on a machine without /usr/bin/chromium."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(fetched.launcher),
                                     args=CHROMIUM_ARGS, headless=True)
        try:
            tab = browser.new_page()
            tab.goto(served_page)
            assert tab.text_content("#out") == "rendered by script"
        finally:
            browser.close()
