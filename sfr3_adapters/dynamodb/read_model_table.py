"""What the DynamoDB read-model tables share: the `pk`/`sk` table, item keys, one client.

Every read model (schedule, payments, payment watch, sweep tally, finance, payment
health) lives in a table keyed by `pk` (S) / `sk` (S), on demand, created here only for
tests and local runs (deployed: CloudFormation, resources/*.yml; tests/deploy compares).
Its writes are conditional puts and transactions derived from events, retried from a
fresh read when another writer got in between (`retryable_cancel`, `pause`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from sfr3_adapters.dynamodb.client import dynamodb_client, ensure_table

PK, SK = "pk", "sk"


def pk_sk_table(table_name: str, *, attributes: Sequence[str] = (),
                indexes: Sequence[dict[str, Any]] = ()) -> dict[str, Any]:
    """`create_table` kwargs of a `pk`/`sk` table; `attributes` (S) keyed by `indexes`."""
    definition: dict[str, Any] = {
        "TableName": table_name,
        "KeySchema": [{"AttributeName": PK, "KeyType": "HASH"},
                      {"AttributeName": SK, "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": name, "AttributeType": "S"}
                                 for name in (PK, SK, *attributes)],
    }
    if indexes:
        definition["GlobalSecondaryIndexes"] = list(indexes)
    definition["BillingMode"] = "PAY_PER_REQUEST"
    return definition


def s(value: str) -> dict[str, str]:
    return {"S": value}


def n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def key(pk: str, sk: str) -> dict[str, dict[str, str]]:
    return {PK: s(pk), SK: s(sk)}


def cancellation_codes(exc: ClientError) -> list[str]:
    return [str(r.get("Code", "None")) for r in exc.response.get("CancellationReasons") or []]


def transaction_cancelled(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "TransactionCanceledException"


def retryable_cancel(exc: ClientError) -> bool:
    """A transaction cancelled because the items changed under it (re-read and retry)."""
    if not transaction_cancelled(exc):
        return False
    codes = set(cancellation_codes(exc)) - {"None"}
    if not codes:  # DynamoDB Local and older APIs may omit the reasons: parse the message
        message = str(exc.response.get("Error", {}).get("Message", ""))
        return "ConditionalCheckFailed" in message or "TransactionConflict" in message
    return codes <= {"ConditionalCheckFailed", "TransactionConflict"}


def pause(attempt: int, base: float = 0.02, cap: float = 0.5) -> None:
    """Exponential back-off with jitter before the next attempt of a lost race."""
    time.sleep(min(base * 2**attempt, cap) * random.uniform(0.5, 1.0))


class DynamoDBReadModel:
    """One read model's table and client (`client`, or one built for the endpoint).
    `page_size`: items per Query page (None: DynamoDB's 1 MB pages; tests set it)."""

    page_size: int | None = None

    def __init__(self, table_name: str, client: Any = None, *, endpoint_url: str | None = None,
                 region_name: str | None = None) -> None:
        self.table_name = table_name
        self.client = client if client is not None else dynamodb_client(endpoint_url,
                                                                         region_name)

    def table_definition(self) -> dict[str, Any]:
        return pk_sk_table(self.table_name)

    def create_table(self) -> None:
        """Create the table if missing (tests, local runs; deployed: CloudFormation)."""
        ensure_table(self.client, self.table_definition())

    def _get(self, item_key: dict[str, Any]) -> dict[str, Any] | None:
        found = self.client.get_item(TableName=self.table_name, Key=item_key,
                                     ConsistentRead=True)
        item = found.get("Item")
        return dict(item) if item else None

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        """Every item of a query, page by page."""
        start: dict[str, Any] | None = None
        while True:
            page_args = dict(kwargs, TableName=self.table_name, ConsistentRead=True)
            if self.page_size:
                page_args["Limit"] = self.page_size
            if start:
                page_args["ExclusiveStartKey"] = start
            page = self.client.query(**page_args)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def _scan_keys(self, keep: Callable[[str], bool]) -> list[dict[str, Any]]:
        """The key of every item whose `pk` `keep` accepts (a rebuild's clear; a scan)."""
        keys: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            args: dict[str, Any] = {"TableName": self.table_name,
                                    "ProjectionExpression": "pk, sk", "ConsistentRead": True}
            if start:
                args["ExclusiveStartKey"] = start
            page = self.client.scan(**args)
            keys.extend({PK: i[PK], SK: i[SK]} for i in page.get("Items", [])
                        if keep(i[PK]["S"]))
            start = page.get("LastEvaluatedKey")
            if not start:
                return keys

    def _delete_all(self, keys: list[dict[str, Any]], *, what: str = "items",
                    attempts: int = 8) -> None:
        """Delete `keys` 25 at a time, sending again what DynamoDB left unprocessed."""
        for first in range(0, len(keys), 25):
            requests: list[dict[str, Any]] = [{"DeleteRequest": {"Key": k}}
                                              for k in keys[first:first + 25]]
            for attempt in range(attempts):
                answer = self.client.batch_write_item(RequestItems={self.table_name: requests})
                requests = list(answer.get("UnprocessedItems", {}).get(self.table_name, []))
                if not requests:
                    break
                pause(attempt)
            else:
                raise RuntimeError(f"{len(requests)} {what} could not be deleted")
