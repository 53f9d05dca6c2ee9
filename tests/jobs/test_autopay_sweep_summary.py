"""`autopay.sweep.completed` (issue 12): one summary per sweep run with its counts and
totals, however the run's items are redelivered, re-run, crashed or raced; the tally on
SQLite and on DynamoDB Local, the ledger on every backend."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from sfr3_adapters.autopay_runs_sqlite import SQLiteSweepTally
from sfr3_adapters.dynamodb.autopay_runs import DynamoDBSweepTally
from sfr3_ledger.autopay_runs import SWEEP_COMPLETED, AutopaySweeps, SweepTally, SweepTotals
from sfr3_ledger.integration_events import ResidentResolver, envelopes_for
from sfr3_ledger.jobs import JobName, Worker, plan, run
from tests.jobs.test_autopay_jobs import ZONE, Crash, Harness, Queue

DAY = date(2027, 1, 1)


@pytest.fixture(params=["sqlite", "dynamodb"])
def tally(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SweepTally]:
    if request.param == "sqlite":
        sqlite = SQLiteSweepTally(tmp_path / "read-models.db")
        yield sqlite
        sqlite.close()
        return
    endpoint = request.getfixturevalue("dynamodb_local")
    dynamo = DynamoDBSweepTally(f"jobs-{uuid.uuid4().hex[:10]}", endpoint_url=endpoint,
                                region_name="us-east-1")
    dynamo.create_table()
    yield dynamo


def test_the_tally_counts_each_planned_item_once(tally: SweepTally) -> None:
    assert tally.totals(ZONE, DAY) is None
    tally.plan(ZONE, DAY, ["a", "b", "c"])
    tally.plan(ZONE, DAY, ["b", "c", "d"])  # a re-plan adds only d
    assert tally.totals(ZONE, DAY) == SweepTotals(planned=4)
    assert tally.record(ZONE, DAY, "a", "charged", 150_000)
    assert not tally.record(ZONE, DAY, "a", "charged", 150_000)  # redelivered
    assert not tally.record(ZONE, DAY, "a", "already_done", 0)  # a re-run
    assert not tally.record(ZONE, DAY, "zz", "charged", 1_000)  # never planned
    assert tally.record(ZONE, DAY, "b", "declined", 90_000)
    assert tally.record(ZONE, DAY, "c", "skipped", 0)
    totals = tally.totals(ZONE, DAY)
    assert totals == SweepTotals(planned=4, recorded=3, charged=1, declined=1, skipped=1,
                                 amount=150_000, declined_amount=90_000)
    assert totals is not None and not totals.complete
    assert tally.record(ZONE, DAY, "d", "not_charged", 0)
    assert tally.totals(ZONE, DAY).complete  # type: ignore[union-attr]
    # Other runs are their own.
    tally.plan(ZONE, date(2027, 1, 2), [])
    assert tally.totals(ZONE, date(2027, 1, 2)) == SweepTotals()
    assert tally.totals("America/New_York", DAY) is None


def test_concurrent_records_of_the_same_items_count_once(tally: SweepTally) -> None:
    residents = [f"r{i}" for i in range(12)]
    tally.plan(ZONE, DAY, residents)
    counted: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for rid in residents:
            result = tally.record(ZONE, DAY, rid, "charged", 100)
            with lock:
                counted.append(result)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert counted.count(True) == len(residents)
    assert tally.totals(ZONE, DAY) == SweepTotals(planned=12, recorded=12, charged=12,
                                                  amount=1_200)


class SummaryHarness(Harness):
    def __init__(self, *args: Any, tally: SweepTally) -> None:
        super().__init__(*args)
        self.sweeps = AutopaySweeps(self.app, tally)

    def run(self, job: JobName, day: date, crash_after: int | None = None) -> list[str]:
        self.feed()
        queue = Queue(Worker(self.app, self.index, self.service, sweeps=self.sweeps),
                      crash_after)
        run(self.index, queue, job, ZONE, day, sweeps=self.sweeps)
        self.feed()
        return queue.outcomes

    def summaries(self) -> list[dict[str, Any]]:
        """Every `autopay.sweep.completed` envelope in the notification log."""
        notes = self.app.recorder.select_notifications(start=None, limit=100_000)
        events = [self.app.mapper.to_domain_event(n) for n in notes]
        completed = [e for e in events if isinstance(e, SWEEP_COMPLETED)]
        return envelopes_for(completed, ResidentResolver())


@pytest.fixture
def s(ledger_env: dict[str, str], stripe_sandbox: Any, webhook_receiver: Any,
      tally: SweepTally) -> SummaryHarness:
    return SummaryHarness(ledger_env, stripe_sandbox, webhook_receiver, tally=tally)


def test_one_summary_with_counts_and_totals_whatever_is_repeated(s: SummaryHarness) -> None:
    s.resident("sum-card", rent=150_000)
    s.resident("sum-declined", rent=120_000, token="pm_card_chargeDeclined")
    s.resident("sum-ach", rent=200_000, token="pm_usBankAccount_success",
               kind="us_bank_account")
    s.resident("sum-nothing", rent=100_000)
    s.resident("sum-paused", rent=100_000)
    s.run("recurring-charges", DAY)
    method = next(iter(s.app.payment_methods("sum-nothing").methods))
    s.service.pay("sum-nothing", amount=100_000, method_id=method, actor="sum-nothing")
    items = plan(s.index, "autopay-sweep", ZONE, DAY)
    assert [i.resident_id for i in items] == [
        "sum-ach", "sum-card", "sum-declined", "sum-nothing", "sum-paused"]
    # A crash after two items; then sum-paused pauses: the re-run no longer finds it due,
    # yet it was planned, so its item is still queued (and counted "not enrolled").
    with pytest.raises(Crash):
        s.run("autopay-sweep", DAY, crash_after=2)
    assert s.summaries() == []
    s.app.pause_autopay("sum-paused", actor="sum-paused")
    s.run("autopay-sweep", DAY)
    Worker(s.app, s.index, s.service, sweeps=s.sweeps)(items[0])
    s.run("autopay-sweep", DAY)
    [summary] = s.summaries()
    assert summary["eventType"] == "autopay.sweep.completed"
    assert summary["source"] == "sfr3.payments"
    data = summary["data"]
    assert data["residentId"] is None and data["currency"] == "USD"
    assert (data["runId"], data["day"]) == (f"autopay-sweep/{ZONE}/2027-01-01", "2027-01-01")
    assert data["amount"] == 350_000  # the card's 150,000 and the ACH debit's 200,000
    assert data["counts"] == {
        "planned": 5, "charged": 2, "declined": 1, "skipped": 1, "alreadyDone": 0,
        "notCharged": 1, "declinedAmount": 120_000}
    assert s.sweeps.summary(ZONE, DAY) is not None


def test_a_run_with_nothing_due_completes_at_once_and_once(s: SummaryHarness) -> None:
    s.run("autopay-sweep", date(2027, 1, 9))
    s.run("autopay-sweep", date(2027, 1, 9))
    [summary] = s.summaries()
    assert summary["data"]["counts"]["planned"] == 0 and summary["data"]["amount"] == 0


def test_two_sweeps_at_once_make_one_summary(s: SummaryHarness) -> None:
    for i in range(4):
        s.resident(f"sum-race-{i}")
    s.run("recurring-charges", DAY)
    s.feed()
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def sweep() -> None:
        barrier.wait()
        try:
            queue = Queue(Worker(s.app, s.index, s.service, sweeps=s.sweeps))
            run(s.index, queue, "autopay-sweep", ZONE, DAY, sweeps=s.sweeps)
        except BaseException as exc:  # a lost optimistic-concurrency race is retried below
            errors.append(exc)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if errors:  # what SQS would do: deliver again
        s.run("autopay-sweep", DAY)
    [summary] = s.summaries()
    counts = summary["data"]["counts"]
    assert (counts["planned"], counts["charged"], counts["alreadyDone"]) == (4, 4, 0)
    assert summary["data"]["amount"] == 4 * 150_000


def test_the_summary_reaches_the_local_lake(tmp_path: Path) -> None:
    """Through `make run`'s own backbone: the stored summary becomes one lake row."""
    from sfr3_dev.backbone import LocalBackbone
    from sfr3_ledger import LedgerApplication

    app = LedgerApplication(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite",
                                 "SQLITE_DBNAME": str(tmp_path / "ledger.db")})
    backbone = LocalBackbone(app, tmp_path)
    sweeps = AutopaySweeps(app, SQLiteSweepTally(tmp_path / "read-models.db"))
    sweeps.planned(ZONE, DAY, ["r-1"])
    assert sweeps.recorded(ZONE, DAY, "r-1", "charged", 2_100)
    assert not sweeps.recorded(ZONE, DAY, "r-1", "charged", 2_100)
    backbone.run_until_caught_up()
    backbone.run_until_caught_up()
    rows = [r for r in backbone.lake.rows() if r["eventType"] == "autopay.sweep.completed"]
    assert len(rows) == 1
    assert rows[0]["data"]["amount"] == 2_100
    assert rows[0]["data"]["counts"]["charged"] == 1
    assert rows[0]["data"]["runId"] == f"autopay-sweep/{ZONE}/{DAY.isoformat()}"


def test_a_schedule_rebuild_keeps_the_tally_on_dynamodb(dynamodb_local: str) -> None:
    from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex

    table = f"jobs-{uuid.uuid4().hex[:10]}"
    tally = DynamoDBSweepTally(table, endpoint_url=dynamodb_local, region_name="us-east-1")
    tally.create_table()
    tally.plan(ZONE, DAY, ["a"])
    tally.record(ZONE, DAY, "a", "charged", 5_000)
    DynamoDBScheduleIndex(table, endpoint_url=dynamodb_local, region_name="us-east-1").clear()
    assert tally.totals(ZONE, DAY) == SweepTotals(planned=1, recorded=1, charged=1,
                                                  amount=5_000)
