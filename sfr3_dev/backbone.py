"""The event backbone on one machine: the notification log -> the same envelopes -> a local
lake, local mail and local receipts (`make run`, and any SQLite/POPO-backed ledger).

Deployed, DynamoDB Streams drive the stream processor; locally, this follows the ledger
application's notification log from the position stored in the library's tracking
recorder (an eventsourcing SQLite `TrackingRecorder` in `${SFR3_HOME}/backbone/`):

    position = tracking.max_tracking_id(app.name)
    notifications after position -> schedule read model, envelopes -> lake, mail, receipts
    tracking.insert_tracking(Tracking(app.name, last notification id))

Never skipping one: the position advances only after the sinks have written, so a crash
replays from the last recorded position. Never twice: every sink write is idempotent
(sfr3_adapters.local_sinks: the same batch rewrites the same part files, mails and
receipts), so that replay leaves no duplicate. The library's `ProjectionRunner` is not
used because it constructs its own application from a class and needs a recorder with
`subscribe()` (the DynamoDB recorder has none); the loop here works with the running
application's recorder, whatever its backend, and can be stepped (`run_once`) in tests.
One backbone per home: a lock file makes a second one wait.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from eventsourcing.persistence import InfrastructureFactory, Tracking, TrackingRecorder
from eventsourcing.utils import Environment

from sfr3_adapters.local_sinks import LocalLake, LocalMailer, LocalReceiptStore
from sfr3_adapters.payments_index_sqlite import SQLitePaymentsIndex
from sfr3_adapters.reactions import DomainDirectory, LeaseDirectory, Notifier, ReceiptWriter
from sfr3_adapters.read_models_sqlite import SQLiteScheduleIndex
from sfr3_dev.follower import PollingThread, notification_batch
from sfr3_dev.progress import Progress
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import Envelope, ResidentResolver, envelopes_for
from sfr3_ledger.read_models.payments import PaymentsProjection
from sfr3_ledger.read_models.schedule import ScheduleProjection

log = logging.getLogger(__name__)

BATCH_SIZE = 500
POLL_SECONDS = 0.2
LOCAL_EMAIL_DOMAIN = "residents.localhost"


def tracking_recorder(path: Path) -> TrackingRecorder:
    env = Environment(
        "SFR3Backbone", {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    )
    return InfrastructureFactory.construct(env).tracking_recorder()


class LocalBackbone:
    def __init__(
        self,
        ledger_app: LedgerApplication,
        home: Path,
        *,
        files_dir: Path | None = None,
        batch_size: int = BATCH_SIZE,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.app = ledger_app
        self.home = Path(home)
        state = self.home / "backbone"
        state.mkdir(parents=True, exist_ok=True)
        self._lock_path = state / "lock"
        self._failures_path = state / "reaction-failures.jsonl"
        self.tracking = tracking_recorder(state / "tracking.db")
        self.resolver = ResidentResolver.for_application(ledger_app)
        self.lake = LocalLake(self.home)
        # The API links receipts under SFR3_FILES_DIR (sfr3_lambdas.wiring): write them there.
        files = files_dir or Path(os.environ.get("SFR3_FILES_DIR") or self.home)
        self.receipts = LocalReceiptStore(files)
        self.notifier = Notifier(
            LocalMailer(self.home, os.environ.get("FROM_EMAIL") or "payments@localhost"),
            LeaseDirectory(ledger_app, DomainDirectory(
                os.environ.get("RESIDENT_EMAIL_DOMAIN") or LOCAL_EMAIL_DOMAIN)),
        )
        self.receipt_writer = ReceiptWriter(ledger_app, self.receipts)
        # The schedule read model (who is due when) follows the same log, idempotently.
        self.schedule_index = SQLiteScheduleIndex(self.home / "read-models.db")
        self.schedule = ScheduleProjection(self.schedule_index, ledger_app.find_lease,
                                           ledger_app.find_autopay)
        # The payments read model (issue 17): history pages, archived payments.
        self.payments_index = SQLitePaymentsIndex(self.home / "read-models.db")
        self.payments = PaymentsProjection(self.payments_index, ledger_app.ledger)
        if ledger_app.payments_index is None:
            ledger_app.payments_index = self.payments_index
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self._step = threading.Lock()
        self._thread = PollingThread(self.run_once, name="sfr3-backbone", every=poll_seconds,
                                     wait_first=False, busy_again=True,
                                     backoff=min(5.0, poll_seconds * 10), logger=log,
                                     failure="local backbone step failed; retrying")

    @property
    def position(self) -> int:
        return self.tracking.max_tracking_id(self.app.name) or 0

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        with self._step, open(self._lock_path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def run_once(self) -> int:
        """Process the next batch of notifications; how many were processed (0: caught up)."""
        with self._exclusive():
            batch = notification_batch(self.app, self.tracking.max_tracking_id(self.app.name),
                                       self.batch_size)
            if batch is None:
                return 0
            events, last = batch
            self.schedule.process(events)
            self.payments.process(events)
            envelopes = envelopes_for(events, self.resolver)
            if envelopes:
                failed = self.lake.write(envelopes)
                if failed:
                    raise RuntimeError(f"local lake refused {len(failed)} envelopes")
                for envelope in envelopes:
                    self._react(envelope)
            self.tracking.insert_tracking(Tracking(self.app.name, last))
            return len(events)

    def run_until_caught_up(self, progress: Progress | None = None) -> int:
        """Process batches until none is left; how many notifications were processed.
        `progress` counts them against the log's length at the start (a terminal's line)."""
        total = 0
        start = self.position
        if progress is not None:
            progress.update(0, total=max(0, (self.app.recorder.max_notification_id() or 0)
                                         - start))
        while processed := self.run_once():
            total += processed
            if progress is not None:
                progress.update(self.position - start)
        return total

    def _react(self, envelope: Envelope) -> None:
        """Mail and receipts are conveniences: a failing one is recorded, not allowed to
        hold back the lake (the finance record)."""
        for reaction in (self.notifier.handle, self.receipt_writer.handle):
            try:
                reaction(envelope)
            except Exception:
                log.exception("backbone reaction failed for %s", envelope["eventId"])
                record = {"eventId": envelope["eventId"], "error": traceback.format_exc()}
                with open(self._failures_path, "a", encoding="utf-8") as out:
                    out.write(json.dumps(record) + "\n")

    # ---- background -----------------------------------------------------------------

    def start(self) -> LocalBackbone:
        # Batch after batch while there is a backlog; after a failure, a pause first.
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._thread.stop(timeout)
