"""The schedule index's late-fee candidates, on SQLite and on DynamoDB Local (the `index`
fixture in conftest.py).

The DynamoDB index must behave exactly as the SQLite one (sfr3_adapters.read_models_sqlite):
candidates up to a day, oldest first, one candidate per charge, removals; and, DynamoDB
only, a removal that keeps conflicting fails whole.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from botocore.exceptions import ClientError

from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex
from sfr3_ledger.read_models.schedule import ScheduleIndex
from tests.dynamodb.schedule_support import LA, NY, cand
from tests.dynamodb.schedule_support import client as _client


def test_late_candidates_up_to_a_day_oldest_first(index: ScheduleIndex) -> None:
    index.add_late_candidate(cand("r2", "c-2", date(2025, 3, 7)))
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))
    index.add_late_candidate(cand("r3", "c-3", date(2025, 3, 2)))
    index.add_late_candidate(cand("r4", "c-4", date(2025, 3, 8)))
    index.add_late_candidate(cand("r5", "c-5", date(2025, 3, 1), zone=LA))
    assert index.late_candidates(NY, date(2025, 3, 1)) == []
    assert index.late_candidates(NY, date(2025, 3, 7)) == [
        cand("r3", "c-3", date(2025, 3, 2)),
        cand("r1", "c-1", date(2025, 3, 7)),
        cand("r2", "c-2", date(2025, 3, 7)),
    ]
    assert len(index.late_candidates(NY, date(2025, 12, 31))) == 4
    assert index.late_candidates(LA, date(2025, 3, 31)) == [
        cand("r5", "c-5", date(2025, 3, 1), zone=LA)]


def test_one_candidate_per_charge_and_removals(index: ScheduleIndex) -> None:
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))  # replayed
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 9)))  # a new assess date
    assert index.late_candidates(NY, date(2025, 3, 31)) == [cand("r1", "c-1", date(2025, 3, 9))]
    # Removing a stale candidate (the old date) leaves the current one.
    index.remove_late_candidate(cand("r1", "c-1", date(2025, 3, 7)))
    assert index.late_candidates(NY, date(2025, 3, 31)) == [cand("r1", "c-1", date(2025, 3, 9))]
    index.remove_late_candidate(cand("r1", "c-1", date(2025, 3, 9)))
    assert index.late_candidates(NY, date(2025, 3, 31)) == []
    index.remove_late_candidate(cand("r1", "c-1", date(2025, 3, 9)))  # twice: harmless
    # After a removal the charge can be a candidate again (a replayed ChargePosted).
    index.add_late_candidate(cand("r1", "c-1", date(2025, 3, 9)))
    assert index.late_candidates(NY, date(2025, 3, 31)) == [cand("r1", "c-1", date(2025, 3, 9))]

    index.add_late_candidate(cand("r1", "c-2", date(2025, 4, 7)))
    index.add_late_candidate(cand("r2", "c-1", date(2025, 4, 7)))
    index.remove_late_candidates_for("r1", "c-1")
    index.remove_late_candidates_for("r1", "c-1")
    index.remove_late_candidates_for("nobody", "c-9")
    assert index.late_candidates(NY, date(2025, 12, 31)) == [
        cand("r1", "c-2", date(2025, 4, 7)), cand("r2", "c-1", date(2025, 4, 7))]
    index.remove_late_candidates_for("r1", "c-2")
    index.add_late_candidate(cand("r1", "c-2", date(2025, 4, 8)))
    assert index.late_candidates(NY, date(2025, 4, 8)) == [
        cand("r2", "c-1", date(2025, 4, 7)), cand("r1", "c-2", date(2025, 4, 8))]


def test_a_removal_that_keeps_conflicting_raises_and_removes_nothing(
        dynamodb_local: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A removal whose transaction conflicts on every attempt must fail (the projection
    retries its batch), not delete the candidate row alone: the pointer left behind would
    make a replayed add of the same candidate a no-op, and the late fee would be lost."""
    index = DynamoDBScheduleIndex(f"schedule-{uuid.uuid4().hex[:12]}",
                                  client=_client(dynamodb_local))
    index.create_table()  # DynamoDB only: SQLite removes row and pointer in one statement
    candidate = cand("r1", "c-1", date(2025, 3, 7))
    index.add_late_candidate(candidate)
    conflict = ClientError({"Error": {"Code": "TransactionCanceledException",
                                      "Message": "Transaction cancelled"},
                            "CancellationReasons": [{"Code": "TransactionConflict"},
                                                    {"Code": "None"}]}, "TransactWriteItems")

    def always_conflicts(writes: Any) -> None:
        raise conflict

    monkeypatch.setattr(index, "_transact", always_conflicts)
    monkeypatch.setattr("sfr3_adapters.dynamodb.late_fee_candidates._pause", lambda _: None)
    with pytest.raises(ClientError):
        index.remove_late_candidate(candidate)
    monkeypatch.undo()
    assert index.late_candidates(NY, date(2025, 3, 31)) == [candidate]
    index.remove_late_candidate(candidate)  # the retried batch
    assert index.late_candidates(NY, date(2025, 3, 31)) == []
    index.add_late_candidate(candidate)  # and a replayed add is not taken as already there
    assert index.late_candidates(NY, date(2025, 3, 31)) == [candidate]
    index.client.delete_table(TableName=index.table_name)
