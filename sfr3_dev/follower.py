"""What every local follower of the ledger's notification log shares (`make run`).

The local backbone, the finance read models, payment health, the payment watch and the
local schedulers each run one step over and over in a background thread, and the
followers among them read the log in batches from a position they store themselves.
Here are those two pieces, once:

- `notification_batches(app, start)`: the domain events after `start` (None: from the
  first notification), one batch at a time, each with the id of its last notification.
  Where the position is stored, and when it moves, stays with each follower: it moves
  only after that follower's sinks have written, so a crash replays the batch, and every
  sink is idempotent, so the replay repeats nothing.
- `PollingThread`: start/stop and "log the failure and retry at the next tick" around a
  step. A failing step never kills the thread: the ledger, a sink or Stripe being down for
  a while is normal, and the next tick retries.

Deployed, DynamoDB Streams and EventBridge Scheduler play both parts; the library's
`ProjectionRunner` is not used (see sfr3_dev/backbone.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

from eventsourcing.persistence import ConnectionPoolClosedError

log = logging.getLogger(__name__)
BATCH = 500


def notification_batch(app: Any, start: int | None,
                       limit: int = BATCH) -> tuple[list[Any], int] | None:
    """The domain events of the next `limit` notifications after `start` (None: from the
    first) and the last one's id; None when there are none yet."""
    notes = app.recorder.select_notifications(start=start, limit=limit,
                                              inclusive_of_start=start is None)
    if not notes:
        return None
    return [app.mapper.to_domain_event(n) for n in notes], notes[-1].id


def notification_batches(app: Any, start: int | None,
                         limit: int = BATCH) -> Iterator[tuple[list[Any], int]]:
    """Every batch after `start` until the log is read to its end."""
    while (batch := notification_batch(app, start, limit)) is not None:
        yield batch
        start = batch[1]


class PollingThread:
    """`step` in a daemon thread, every `every` seconds until `stop()`.

    `wait_first`: the first step comes after one interval (the schedulers), not at once.
    `busy_again`: a step that returned something truthy (it processed a batch) is followed
    at once by the next one, so a backlog drains without waiting between batches.
    `backoff`: extra seconds to wait after a failed step, so a broken dependency is not
    hammered (and its traceback not logged) at the polling rate. `failure` is logged, with
    the traceback, on `logger` (the owner's module logger).
    """

    def __init__(self, step: Callable[[], object], *, name: str, failure: str,
                 every: float, wait_first: bool = True, busy_again: bool = False,
                 backoff: float = 0.0, logger: logging.Logger = log) -> None:
        self.step = step
        self.log = logger
        self.name = name
        self.failure = failure
        self.every = every
        self.wait_first = wait_first
        self.busy_again = busy_again
        self.backoff = backoff
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self) -> PollingThread:
        if self._thread is not None:
            return self
        self._stopping.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        wait = self.every if self.wait_first else 0.0
        closed_logged = False
        while not self._stopping.wait(wait):
            wait = self.every
            try:
                if self.step() and self.busy_again:
                    wait = 0.0
            except ConnectionPoolClosedError:
                # The ledger was closed under the follower (its stack is stopping, or was
                # torn down without stopping it). One line and a slow retry, never a
                # traceback per tick: CPython 3.11 formats tracebacks with `ast.parse`,
                # which is not safe beside another thread's `ast.parse` ("AST constructor
                # recursion depth mismatch").
                if not closed_logged:
                    self.log.error("%s (the ledger is closed)", self.failure)
                    closed_logged = True
                wait = max(self.backoff, 1.0) + self.every
            except Exception:
                self.log.exception(self.failure)
                wait = self.backoff + self.every
            else:
                closed_logged = False
