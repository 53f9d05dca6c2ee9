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
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _batches(self, start: int | None) -> Iterator[tuple[list[Envelope], int]]:
        while True:
            notes = self.app.recorder.select_notifications(
                start=start, limit=self.batch_size, inclusive_of_start=start is None)
            if not notes:
                return
            events = [self.app.mapper.to_domain_event(n) for n in notes]
            yield envelopes_for(events, self.resolver), notes[-1].id
            start = notes[-1].id

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
        def loop() -> None:
            while not self._stop.wait(poll_seconds):
                try:
                    self.catch_up()
                except Exception:
                    log.exception("payment-health step failed; retrying")

        self._thread = threading.Thread(target=loop, name="sfr3-payment-health", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.store.close()
