"""The payment-health read model on DynamoDB (deployed): one table, `pk` (S) / `sk` (S).

| item          | pk                 | sk               | attributes                          |
|---------------|--------------------|------------------|-------------------------------------|
| fact          | `DAY#<yyyy-mm-dd>` | `FACT#<eventId>` | kind, state, amount, reason?        |
| state totals  | `STATES`           | `<state>`        | collected, outstanding (N, ADDed)   |

A fact that moves money is one `TransactWriteItems`: its Put conditioned on
`attribute_not_exists(pk)` and the ADD on its state's totals, so the totals move once per
fact whatever the redelivery (a cancelled transaction whose condition failed means the
fact is stored already; so is a retried request that had in fact succeeded: no request
token is needed). Other facts are one conditional PutItem.

The API's report reads one partition per day of the window and of the month to date (at
most 31 Query calls, 8 at a time, each a few hundred small items at this portfolio's
volume; a day read for both is read once) and the `STATES` partition.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

from botocore.exceptions import ClientError

from sfr3_adapters.dynamodb.client import dynamodb_client, ensure_table
from sfr3_adapters.dynamodb.read_model_table import PK, SK, pk_sk_table
from sfr3_ledger.read_models.payment_health import (
    DayTotals,
    HealthFact,
    StateTotals,
    collected_of,
    days_of,
    moves_totals,
    reasons_of,
)

log = logging.getLogger(__name__)
STATES_PK = "STATES"
# The report asks for days and reasons of one window in a row: read its facts once.
CACHE_SECONDS = 5.0
PARALLEL_QUERIES = 8


def table_definition(table_name: str) -> dict[str, Any]:
    """`create_table` kwargs; resources/analytics.yml declares the same (a test compares)."""
    return pk_sk_table(table_name)


class DynamoDBPaymentHealthStore:
    def __init__(self, table: str, *, endpoint_url: str | None = None,
                 region_name: str | None = None, create: bool = False) -> None:
        self.table = table
        self.client = dynamodb_client(endpoint_url, region_name)
        if create:
            ensure_table(self.client, table_definition(table))
        # day -> (read at, its facts): the report reads the 30-day window and the month.
        self._cache: dict[date, tuple[float, list[HealthFact]]] = {}

    # ---- writes -------------------------------------------------------------------------

    def _item(self, fact: HealthFact) -> dict[str, Any]:
        item: dict[str, Any] = {
            PK: {"S": f"DAY#{fact.day.isoformat()}"}, SK: {"S": f"FACT#{fact.event_id}"},
            "kind": {"S": fact.kind}, "state": {"S": fact.state},
            "amount": {"N": str(fact.amount)},
        }
        if fact.reason is not None:
            item["reason"] = {"S": fact.reason}
        return item

    def _add_one(self, fact: HealthFact) -> bool:
        put = {"TableName": self.table, "Item": self._item(fact),
               "ConditionExpression": "attribute_not_exists(pk)"}
        if not moves_totals(fact):
            try:
                self.client.put_item(**put)
            except ClientError as exc:
                if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                    return False
                raise
            return True
        update = {
            "TableName": self.table,
            "Key": {PK: {"S": STATES_PK}, SK: {"S": fact.state}},
            "UpdateExpression": "ADD collected :c, outstanding :o",
            "ExpressionAttributeValues": {":c": {"N": str(fact.collected)},
                                          ":o": {"N": str(fact.outstanding)}},
        }
        try:
            self.client.transact_write_items(TransactItems=[{"Put": put}, {"Update": update}])
        except ClientError as exc:
            reasons = exc.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                return False
            raise
        return True

    def add(self, facts: Sequence[HealthFact]) -> int:
        self._cache.clear()
        return sum(1 for fact in facts if self._add_one(fact))

    # ---- reads --------------------------------------------------------------------------

    def _query(self, pk: str) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table, "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": {"S": pk}}, "ConsistentRead": True}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self.client.query(**kwargs)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def _facts(self, since: date, until: date) -> list[HealthFact]:
        now = time.monotonic()
        for stale in [d for d, (at, _) in self._cache.items() if now - at >= CACHE_SECONDS]:
            del self._cache[stale]
        days = [since + timedelta(days=n) for n in range((until - since).days)]
        fresh = {d for d in days if d in self._cache}

        def of_day(day: date) -> list[HealthFact]:
            return [HealthFact(
                event_id=item[SK]["S"][len("FACT#"):], day=day, kind=item["kind"]["S"],
                state=item["state"]["S"], amount=int(item["amount"]["N"]),
                reason=item["reason"]["S"] if "reason" in item else None,
                collected=0, outstanding=0) for item in self._query(f"DAY#{day.isoformat()}")]

        # One partition per day, read side by side (the client is thread-safe).
        missing = [d for d in days if d not in fresh]
        with ThreadPoolExecutor(max_workers=PARALLEL_QUERIES) as pool:
            for day, day_facts in zip(missing, pool.map(of_day, missing), strict=True):
                self._cache[day] = (now, day_facts)
        return [f for d in days for f in self._cache[d][1]]

    def days(self, since: date, until: date) -> list[DayTotals]:
        return days_of(self._facts(since, until))

    def failures_by_reason(self, since: date, until: date) -> list[tuple[str, int, int]]:
        return reasons_of(self._facts(since, until))

    def states(self) -> list[StateTotals]:
        rows = [StateTotals(item[SK]["S"], int(item["collected"]["N"]),
                            int(item["outstanding"]["N"])) for item in self._query(STATES_PK)]
        return sorted(rows, key=lambda s: s.state)

    def collected_by_state(self, since: date, until: date) -> dict[str, int]:
        return collected_of(self._facts(since, until))

    def clear(self) -> None:
        """Delete every item (a rebuild; the table stays)."""
        self._cache.clear()
        start: dict[str, Any] | None = None
        while True:
            kwargs: dict[str, Any] = {"TableName": self.table, "ProjectionExpression": "pk, sk"}
            if start:
                kwargs["ExclusiveStartKey"] = start
            page = self.client.scan(**kwargs)
            for item in page.get("Items", []):
                self.client.delete_item(TableName=self.table, Key={PK: item[PK], SK: item[SK]})
            start = page.get("LastEvaluatedKey")
            if not start:
                return


class PaymentHealthSink:
    """The stream processor's sink: project the envelopes; on failure report them all as
    not accepted, so their records are retried (the projection is idempotent)."""

    def __init__(self, store: Any) -> None:
        from sfr3_ledger.read_models.payment_health import PaymentHealthProjection

        self.projection = PaymentHealthProjection(store)

    def write(self, envelopes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        try:
            self.projection.process(envelopes)
        except Exception:
            log.exception("payment-health projection failed; the batch will be retried")
            return list(envelopes)
        return []
