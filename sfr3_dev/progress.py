"""Progress of a long-running local command, on a terminal only (issue 16).

`sfr3 analytics` catching the lake up with a large ledger, `sfr3 jobs run` and
`sfr3 jobs simulate` can take minutes; on a terminal they show one counter line on stderr,
rewritten in place (`\\r`, at most every `interval` seconds), and end it with a newline.
When stderr is not a terminal (a pipe, a file, CI, cron) nothing is written, so logs and
captured output stay exactly as they were. stdout (the command's answer) is never touched;
a command printing its answer while a line is drawn calls `clear()` first, so the two do
not mix on a shared terminal. The standard library alone: no new dependency.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

CLEAR_LINE = "\r\x1b[K"  # carriage return, then erase to the end of the line


def is_terminal(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """`label: done[/total] unit (pct%) detail`, redrawn as work is done; silent unless
    `stream` (default: sys.stderr at construction) is a terminal."""

    def __init__(self, label: str, total: int | None = None, *, unit: str = "",
                 stream: TextIO | None = None, interval: float = 0.1,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.detail = ""
        self.stream = sys.stderr if stream is None else stream
        self.enabled = is_terminal(self.stream)
        self.interval = interval
        self.clock = clock
        self._started = clock()
        self._last_draw: float | None = None
        self._drawn = False

    def advance(self, count: int = 1, *, detail: str | None = None) -> None:
        self.update(self.done + count, detail=detail)

    def update(self, done: int | None = None, *, total: int | None = None,
               detail: str | None = None) -> None:
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if detail is not None:
            self.detail = detail
        if self.total is not None and self.done > self.total:
            self.total = self.done  # more work arrived than was counted at the start
        self._draw(force=False)

    def text(self) -> str:
        count = f"{self.done}" if self.total is None else f"{self.done}/{self.total}"
        parts = [f"{self.label}: {count}"]
        if self.unit:
            parts.append(self.unit)
        if self.total:
            parts.append(f"({100 * self.done // self.total}%)")
        if self.detail:
            parts.append(self.detail)
        return " ".join(parts)

    def _draw(self, *, force: bool) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if not force and self._last_draw is not None and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        # Never wider than the terminal: a wrapped line could not be redrawn in place.
        self.stream.write(CLEAR_LINE + self.text()[:self._width() - 1])
        self.stream.flush()
        self._drawn = True

    def _width(self) -> int:
        try:
            return os.get_terminal_size(self.stream.fileno()).columns or 80
        except (AttributeError, OSError, ValueError):  # not a real terminal (a test's stream)
            return 1000

    def clear(self) -> None:
        """Erase the line (before the command prints something); the next update redraws."""
        if self._drawn:
            self.stream.write(CLEAR_LINE)
            self.stream.flush()
            self._drawn = False
            self._last_draw = None

    def finish(self) -> None:
        """Leave the final count on its own line; erase it instead when there was nothing to
        do (a catch-up that found the read models current says nothing)."""
        if self.done == 0:
            self.clear()
            return
        if not self.enabled:
            return
        self.detail = f"done in {self.clock() - self._started:.1f}s"
        self._draw(force=True)
        self.stream.write("\n")
        self.stream.flush()
        self._drawn = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            self.finish()
        else:
            self.clear()
