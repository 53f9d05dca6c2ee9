"""The autopay sweep's run tally on DynamoDB: items in the jobs table (`pk`/`sk`, the
schedule read model's table, sfr3_adapters/dynamodb/read_models.py), the port of
sfr3_ledger/autopay_runs.py.

| item         | pk                                  | sk               | attributes          |
|--------------|-------------------------------------|------------------|---------------------|
| run counters | `RUN#autopay-sweep#<tz>#<YYYY-MM-DD>` | `RUN`          | `planned`,          |
|              |                                     |                  | `recorded`, one per |
|              |                                     |                  | outcome, two totals |
| planned item | `RUN#autopay-sweep#<tz>#<YYYY-MM-DD>` | `R#<residentId>` | `outcome`, `amount` |

Under `RUN#` like the job runs: the schedule read model's `clear` (before a rebuild) keeps
them, since a tally is not derivable from events.

- `plan`: one `TransactWriteItems` per chunk of up to 99 residents: a put of each item row
  conditioned on its absence, and `ADD planned :n` on the counters. A chunk cancelled
  because some rows exist (a re-plan) is retried without them, so `planned` counts each
  resident once.
- `record`: one transaction of two writes: set the item's `outcome` if the item exists
  and has none, and `ADD recorded 1, <outcome> 1, amount :a` on the counters. A second
  record of the item fails its condition and changes nothing. Concurrent workers of a run
  contend on the counters item only for the transaction's duration (TransactionConflict
  is retried with jitter).
- `plan` answers every planned resident (a Query of the run's partition), so a re-plan
  queues an item planned earlier even if it is no longer due.
- `totals`: one strongly consistent GetItem of the counters.

A run costs 2 + planned/99 transactions to plan and one transaction of two items per
item, plus a GetItem per item to see whether it completed the run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import attrs
from botocore.exceptions import ClientError

from sfr3_adapters.dynamodb.read_model_table import DynamoDBReadModel, pause
from sfr3_adapters.dynamodb.read_model_table import cancellation_codes as _reasons
from sfr3_adapters.dynamodb.read_model_table import transaction_cancelled as _cancelled
from sfr3_ledger.autopay_runs import SweepTotals, amount_counter

RUN_SK = "RUN"
CHUNK = 99
MAX_ATTEMPTS = 12
_COUNTERS = ("charged", "declined", "skipped", "already_done", "not_charged")


def _key(time_zone: str, day: date, sk: str) -> dict[str, dict[str, str]]:
    return {"pk": {"S": f"RUN#autopay-sweep#{time_zone}#{day.isoformat()}"}, "sk": {"S": sk}}


def _pause(attempt: int) -> None:
    pause(attempt, 0.01, 0.4)


class DynamoDBSweepTally(DynamoDBReadModel):
    """`SweepTally` (sfr3_ledger.autopay_runs) in a `pk`/`sk` table (the schedule's
    definition)."""

    def plan(self, time_zone: str, day: date, resident_ids: Iterable[str]) -> list[str]:
        residents = list(dict.fromkeys(resident_ids))
        if not residents:  # the run exists, with nothing planned
            self.client.update_item(TableName=self.table_name,
                                    Key=_key(time_zone, day, RUN_SK),
                                    UpdateExpression="ADD #p :zero",
                                    ExpressionAttributeNames={"#p": "planned"},
                                    ExpressionAttributeValues={":zero": {"N": "0"}})
        for start in range(0, len(residents), CHUNK):
            self._plan_chunk(time_zone, day, residents[start:start + CHUNK])
        return self._planned(time_zone, day)

    def _planned(self, time_zone: str, day: date) -> list[str]:
        """Every planned resident of the run (one Query of its partition, paged)."""
        pk = _key(time_zone, day, RUN_SK)["pk"]
        out: list[str] = []
        start: dict[str, Any] | None = None
        while True:
            args: dict[str, Any] = {
                "TableName": self.table_name, "ConsistentRead": True,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :r)",
                "ExpressionAttributeValues": {":pk": pk, ":r": {"S": "R#"}},
                "ProjectionExpression": "sk"}
            if start:
                args["ExclusiveStartKey"] = start
            page = self.client.query(**args)
            out += [item["sk"]["S"][2:] for item in page.get("Items", [])]
            start = page.get("LastEvaluatedKey")
            if not start:
                return out

    def _plan_chunk(self, time_zone: str, day: date, chunk: list[str]) -> None:
        for attempt in range(MAX_ATTEMPTS):
            if not chunk:
                return
            puts = [{"Put": {"TableName": self.table_name,
                             "Item": _key(time_zone, day, f"R#{rid}"),
                             "ConditionExpression": "attribute_not_exists(pk)"}}
                    for rid in chunk]
            count = {"Update": {"TableName": self.table_name,
                                "Key": _key(time_zone, day, RUN_SK),
                                "UpdateExpression": "ADD #p :n",
                                "ExpressionAttributeNames": {"#p": "planned"},
                                "ExpressionAttributeValues": {":n": {"N": str(len(chunk))}}}}
            try:
                self.client.transact_write_items(TransactItems=[*puts, count])
                return
            except ClientError as exc:
                if not _cancelled(exc) or attempt == MAX_ATTEMPTS - 1:
                    raise
                reasons = _reasons(exc)
                if len(reasons) == len(puts) + 1:
                    chunk = [rid for rid, why in zip(chunk, reasons, strict=False)
                             if why != "ConditionalCheckFailed"]
                else:  # no reasons given (older DynamoDB Local): find the planned ones
                    chunk = [rid for rid in chunk if not self._item(time_zone, day, rid)]
                _pause(attempt)

    def _item(self, time_zone: str, day: date, resident_id: str) -> dict[str, Any] | None:
        found = self.client.get_item(TableName=self.table_name,
                                     Key=_key(time_zone, day, f"R#{resident_id}"),
                                     ConsistentRead=True)
        item = found.get("Item")
        return dict(item) if item else None

    def record(self, time_zone: str, day: date, resident_id: str, counter: str,
               amount: int) -> bool:
        if counter not in _COUNTERS:
            raise ValueError(f"unknown counter {counter!r}")
        total = amount_counter(counter)
        add = "ADD #r :one, #c :one" + (", #t :amount" if total else "")
        names = {"#r": "recorded", "#c": counter}
        values: dict[str, Any] = {":one": {"N": "1"}}
        if total:
            names["#t"] = total
            values[":amount"] = {"N": str(amount)}
        items = [
            {"Update": {"TableName": self.table_name,
                        "Key": _key(time_zone, day, f"R#{resident_id}"),
                        "UpdateExpression": "SET #o = :o, #a = :a",
                        "ConditionExpression":
                            "attribute_exists(pk) AND attribute_not_exists(#o)",
                        "ExpressionAttributeNames": {"#o": "outcome", "#a": "amount"},
                        "ExpressionAttributeValues": {":o": {"S": counter},
                                                      ":a": {"N": str(amount)}}}},
            {"Update": {"TableName": self.table_name, "Key": _key(time_zone, day, RUN_SK),
                        "UpdateExpression": add, "ExpressionAttributeNames": names,
                        "ExpressionAttributeValues": values}},
        ]
        for attempt in range(MAX_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=items)
                return True
            except ClientError as exc:
                if not _cancelled(exc) or attempt == MAX_ATTEMPTS - 1:
                    raise
                reasons = _reasons(exc)
                if reasons and reasons[0] == "ConditionalCheckFailed":
                    return False  # not planned, or recorded already: counted once
                if not reasons:
                    item = self._item(time_zone, day, resident_id)
                    if item is None or "outcome" in item:
                        return False
                _pause(attempt)  # TransactionConflict: another record of the run
        return False

    def totals(self, time_zone: str, day: date) -> SweepTotals | None:
        found = self.client.get_item(TableName=self.table_name,
                                     Key=_key(time_zone, day, RUN_SK), ConsistentRead=True)
        item = found.get("Item")
        if not item:
            return None
        names = [f.name for f in attrs.fields(SweepTotals)]
        return SweepTotals(**{n: int(item[n]["N"]) if n in item else 0 for n in names})
