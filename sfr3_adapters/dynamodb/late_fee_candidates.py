"""The schedule read model's late-fee candidates on DynamoDB (`LATE#` and `CAND#` items).

Part of `DynamoDBScheduleIndex` (read_models.py), which inherits these methods; kept apart
because a candidate's life (added when a charge posts, replaced when its assess date or
zone changes, removed when paid or assessed) touches no other item of the table. Layout
(docs/dynamodb.md, "The schedule read model"):

| item                 | pk                    | sk                                   |
|----------------------|-----------------------|--------------------------------------|
| late-fee candidate   | `LATE#<tz>`           | `<assessOn>#<residentId>#<chargeId>` |
| candidate pointer    | `CAND#<residentId>`   | `<chargeId>`                         |

The pointer says where a charge's one candidate is, and both are written in one
`TransactWriteItems` conditioned on the pointer just read, so the read model never holds a
candidate without its pointer. A day's late-fee job reads one partition, `LATE#<tz>`, up
to the day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from botocore.exceptions import ClientError

from sfr3_adapters.dynamodb.read_model_table import DynamoDBReadModel
from sfr3_adapters.dynamodb.read_model_table import cancellation_codes as _cancellation_codes
from sfr3_adapters.dynamodb.read_model_table import key as _key
from sfr3_adapters.dynamodb.read_model_table import pause as _pause
from sfr3_adapters.dynamodb.read_model_table import retryable_cancel as _retryable_cancel
from sfr3_adapters.dynamodb.read_model_table import s as _s
from sfr3_ledger.read_models.schedule import LateFeeCandidate

# Conflicting writers are rare (one stream shard per resident's items); a few retries.
MAX_ATTEMPTS = 8


def _late_key(time_zone: str, assess_on: date, resident_id: str,
              charge_id: str) -> dict[str, dict[str, str]]:
    return _key(f"LATE#{time_zone}", f"{assess_on.isoformat()}#{resident_id}#{charge_id}")


def _pointer_key(resident_id: str, charge_id: str) -> dict[str, dict[str, str]]:
    return _key(f"CAND#{resident_id}", charge_id)


class LateFeeCandidateItems(DynamoDBReadModel):
    """The late-fee candidate half of `ScheduleIndex`, on the schedule read model's table."""

    def _transact(self, items: list[dict[str, Any]]) -> None:
        self.client.transact_write_items(TransactItems=items)

    # ---- late-fee candidates -----------------------------------------------------------

    def add_late_candidate(self, candidate: LateFeeCandidate) -> None:
        """One candidate per charge (like SQLite's primary key): a new assess date or zone
        replaces the old candidate."""
        pointer_key = _pointer_key(candidate.resident_id, candidate.charge_id)
        for attempt in range(MAX_ATTEMPTS):
            pointer = self._get(pointer_key)
            if pointer is not None and (
                pointer["time_zone"]["S"] == candidate.time_zone
                and pointer["assess_on"]["S"] == candidate.assess_on.isoformat()
            ):
                return  # already there (pointer and candidate are written together)
            writes: list[dict[str, Any]] = [
                {"Put": {"TableName": self.table_name, "Item": {
                    **pointer_key, "time_zone": _s(candidate.time_zone),
                    "assess_on": _s(candidate.assess_on.isoformat())},
                    **self._pointer_unchanged(pointer)}},
                {"Put": {"TableName": self.table_name, "Item": {
                    **_late_key(candidate.time_zone, candidate.assess_on,
                                candidate.resident_id, candidate.charge_id),
                    "resident_id": _s(candidate.resident_id),
                    "charge_id": _s(candidate.charge_id),
                    "assess_on": _s(candidate.assess_on.isoformat())}}},
            ]
            if pointer is not None:
                writes.append({"Delete": {"TableName": self.table_name, "Key": _late_key(
                    pointer["time_zone"]["S"], date.fromisoformat(pointer["assess_on"]["S"]),
                    candidate.resident_id, candidate.charge_id)}})
            try:
                self._transact(writes)
                return
            except ClientError as exc:
                if not _retryable_cancel(exc) or attempt == MAX_ATTEMPTS - 1:
                    raise
                _pause(attempt)

    @staticmethod
    def _pointer_unchanged(pointer: dict[str, Any] | None) -> dict[str, Any]:
        """The condition that the pointer is still what was read."""
        if pointer is None:
            return {"ConditionExpression": "attribute_not_exists(pk)"}
        return {"ConditionExpression": "time_zone = :tz AND assess_on = :on",
                "ExpressionAttributeValues": {":tz": pointer["time_zone"],
                                              ":on": pointer["assess_on"]}}

    def late_candidates(self, time_zone: str, through: date) -> list[LateFeeCandidate]:
        # sk starts with the ISO assess date: everything before the next day's prefix.
        bound = (through + timedelta(days=1)).isoformat()
        found = [
            LateFeeCandidate(time_zone=time_zone,
                             assess_on=date.fromisoformat(item["assess_on"]["S"]),
                             resident_id=item["resident_id"]["S"],
                             charge_id=item["charge_id"]["S"])
            for item in self._query(
                KeyConditionExpression="pk = :pk AND sk < :bound",
                ExpressionAttributeValues={":pk": _s(f"LATE#{time_zone}"), ":bound": _s(bound)})
        ]
        # The key orders by "<date>#<resident>#<charge>"; order exactly as SQLite does.
        found.sort(key=lambda c: (c.assess_on, c.resident_id, c.charge_id))
        return found

    def remove_late_candidate(self, candidate: LateFeeCandidate) -> None:
        late_key = _late_key(candidate.time_zone, candidate.assess_on, candidate.resident_id,
                             candidate.charge_id)
        for attempt in range(MAX_ATTEMPTS):
            try:
                self._transact([
                    {"Delete": {"TableName": self.table_name, "Key": late_key}},
                    {"Delete": {
                        "TableName": self.table_name,
                        "Key": _pointer_key(candidate.resident_id, candidate.charge_id),
                        # Only this candidate's pointer (not one a newer assess date replaced).
                        "ConditionExpression": "attribute_not_exists(pk) OR "
                                               "(time_zone = :tz AND assess_on = :on)",
                        "ExpressionAttributeValues": {
                            ":tz": _s(candidate.time_zone),
                            ":on": _s(candidate.assess_on.isoformat())}}},
                ])
                return
            except ClientError as exc:
                if not _retryable_cancel(exc):
                    raise
                if "ConditionalCheckFailed" in _cancellation_codes(exc):
                    break
                if attempt == MAX_ATTEMPTS - 1:
                    # Still conflicting: raise, so the projection retries its batch. Removing
                    # the row alone would leave this candidate's pointer behind, and a replay
                    # of its add would then take it as already there.
                    raise
                _pause(attempt)  # a conflicting transaction: try both deletes again
        # The pointer names another candidate of the charge: remove this row only.
        self.client.delete_item(TableName=self.table_name, Key=late_key)

    def remove_late_candidates_for(self, resident_id: str, charge_id: str) -> None:
        pointer_key = _pointer_key(resident_id, charge_id)
        for attempt in range(MAX_ATTEMPTS):
            pointer = self._get(pointer_key)
            if pointer is None:
                return
            late_key = _late_key(pointer["time_zone"]["S"],
                                 date.fromisoformat(pointer["assess_on"]["S"]),
                                 resident_id, charge_id)
            try:
                self._transact([
                    {"Delete": {"TableName": self.table_name, "Key": late_key}},
                    {"Delete": {"TableName": self.table_name, "Key": pointer_key,
                                **self._pointer_unchanged(pointer)}},
                ])
                return
            except ClientError as exc:
                if not _retryable_cancel(exc) or attempt == MAX_ATTEMPTS - 1:
                    raise
                _pause(attempt)
