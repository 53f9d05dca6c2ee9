"""The fetched Chromium's launcher puts every library directory of the unpacked tree on
LD_LIBRARY_PATH, private ones too: libpulse.so.0 finds libpulsecommon by an absolute
RUNPATH into the system's /usr/lib, so on a machine without libpulse0 the browser did not
start. A tree unpacked by an older launcher gets the new one without a download."""

from __future__ import annotations

from pathlib import Path

from tests.browser import chromium


def _tree(root: Path) -> None:
    for name in ("usr/lib/chromium/chromium", "usr/lib/x86_64-linux-gnu/libpulse.so.0",
                 "usr/lib/x86_64-linux-gnu/pulseaudio/libpulsecommon-16.1.so",
                 "usr/lib/x86_64-linux-gnu/gtk-3.0/3.0.0/immodules/im-ibus.so",
                 "usr/share/doc/libpulse0/copyright"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("")


def test_private_library_directories_are_on_the_path(tmp_path: Path) -> None:
    _tree(tmp_path)
    text = chromium.write_launcher(tmp_path).read_text()
    assert "$ROOT/usr/lib/x86_64-linux-gnu/pulseaudio" in text
    assert "$ROOT/usr/lib/x86_64-linux-gnu:" in text
    assert "immodules" not in text  # modules dlopened by path, not libraries
    assert "usr/share" not in text.split("LD_LIBRARY_PATH=")[1].split("\n")[0]


def test_an_old_launcher_is_replaced_whole(tmp_path: Path) -> None:
    _tree(tmp_path)
    launcher = tmp_path / "bin" / "chromium"
    launcher.parent.mkdir(parents=True)
    launcher.write_text("#!/bin/sh\nexec old\n")
    chromium.write_launcher(tmp_path)
    assert "pulseaudio" in launcher.read_text()
    assert launcher.stat().st_mode & 0o111
    assert not list(launcher.parent.glob(".chromium.*"))
