"""The payment-health read model on one machine: a follower of the ledger's notification log.

Deployed, the stream processor feeds the same projection. Here, like the finance read
models (sfr3_dev/finance.py), a thread follows the ledger application's notification log,
turns each batch into integration envelopes (sfr3_ledger.integration_events) and projects
them (sfr3_ledger.read_models.payment_health) into `${SFR3_HOME}/payment-health.db`,
recording its position in the same SQLite transaction as the facts, so a crash neither
skips nor repeats anything, and deleting the file rebuilds the model from the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sfr3_adapters.payment_health_sqlite import SQLitePaymentHealthStore
from sfr3_dev.follower import PollingThread, notification_batches
from sfr3_ledger.integration_events import Envelope, ResidentResolver, envelopes_for
from sfr3_ledger.read_models.payment_health import PaymentHealthProjection, fact_of

log = logging.getLogger(__name__)
BATCH = 500
DB_NAME = "payment-health.db"


class PaymentHealthFollower:
    def __init__(self, app: Any, home: Path, *, batch_size: int = BATCH) -> None:
        self.app = app
        self.store = SQLitePaymentHealthStore(Path(home) / DB_NAME)
        self.projection = PaymentHealthProjection(self.store)
        self.resolver = ResidentResolver.for_application(app)
        self.batch_size = batch_size
        self._lock = threading.Lock()
        self._thread: PollingThread | None = None

    def _batches(self, start: int | None) -> Iterator[tuple[list[Envelope], int]]:
        for events, last in notification_batches(self.app, start, self.batch_size):
            yield envelopes_for(events, self.resolver), last

    def catch_up(self) -> int:
        """Project every notification after the stored position; how many facts were new."""
        with self._lock:
            new = 0
            for envelopes, last in self._batches(self.store.position()):
                facts = [f for f in (fact_of(e) for e in envelopes) if f is not None]
                new += self.store.add_at(list({f.event_id: f for f in facts}.values()), last)
            return new

    def rebuild(self) -> int:
        with self._lock:
            self.store.clear()
        return self.catch_up()

    def start(self, poll_seconds: float = 0.2) -> PaymentHealthFollower:
        self._thread = PollingThread(self.catch_up, name="sfr3-payment-health",
                                     every=poll_seconds, logger=log,
                                     failure="payment-health step failed; retrying").start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
        self.store.close()
