"""The payment-watch read model on DynamoDB: its own table, one item per watched payment.

The same port and behaviour as `sfr3_adapters.payment_watch_sqlite` (one test suite runs
against both). Its own table, not the schedule's, so rebuilding either read model never
wipes the other. Layout (docs/dynamodb.md, "The payment-watch read model"):

    item: pk `<kind>#<residentId>#<paymentId>`, sk `ROW`, with `kind` (`PENDING` or
          `RETRY`) and `due` (`<dueAt UTC>#<residentId>#<paymentId>`): the GSI `due`'s keys

A put replaces the item, a remove deletes it by its key (no read first). The jobs read
the GSI `due` (`kind = :k AND due <= :t`): one Query per run whatever the portfolio
size. A GSI is eventually consistent: a row written a moment ago may be missed by this
run and found by the next (every 15 minutes), and a row removed a moment ago may still
be listed; the job reads the ledger before acting, so that costs one idempotent look.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sfr3_adapters.dynamodb.read_model_table import DynamoDBReadModel, pk_sk_table
from sfr3_ledger.read_models.payments_pending import Kind, WatchRow

PK, SK, KIND, DUE = "pk", "sk", "kind", "due"
ROW = "ROW"
DUE_INDEX = "due"


def table_definition(table_name: str) -> dict[str, Any]:
    """`create_table` kwargs; resources/retries.yml declares the same table."""
    return pk_sk_table(table_name, attributes=(KIND, DUE), indexes=[{
        "IndexName": DUE_INDEX,
        "KeySchema": [{"AttributeName": KIND, "KeyType": "HASH"},
                      {"AttributeName": DUE, "KeyType": "RANGE"}],
        "Projection": {"ProjectionType": "ALL"},
    }])


def _utc(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("watch times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _key(kind: str, resident_id: str, payment_id: str) -> dict[str, dict[str, str]]:
    return {PK: {"S": f"{kind}#{resident_id}#{payment_id}"}, SK: {"S": ROW}}


class DynamoDBPaymentWatch(DynamoDBReadModel):
    """`PaymentWatch` (sfr3_ledger.read_models.payments_pending) on its own table."""

    def table_definition(self) -> dict[str, Any]:
        return table_definition(self.table_name)

    def put(self, row: WatchRow) -> None:
        due = _utc(row.due_at)
        self.client.put_item(TableName=self.table_name, Item={
            **_key(row.kind, row.resident_id, row.payment_id),
            KIND: {"S": row.kind}, DUE: {"S": f"{due}#{row.resident_id}#{row.payment_id}"},
            "residentId": {"S": row.resident_id}, "paymentId": {"S": row.payment_id},
            "dueAt": {"S": due}, "since": {"S": _utc(row.since)},
            "attempt": {"N": str(row.attempt)},
        })

    def remove(self, kind: Kind, resident_id: str, payment_id: str) -> None:
        self.client.delete_item(TableName=self.table_name,
                                Key=_key(kind, resident_id, payment_id))

    def due(self, kind: Kind, through: datetime, limit: int = 1000) -> list[WatchRow]:
        rows: list[WatchRow] = []
        for item in self._query_due(kind, f"{_utc(through)}#\uffff"):
            rows.append(WatchRow(kind, item["residentId"]["S"], item["paymentId"]["S"],
                                 _parse(item["dueAt"]["S"]), _parse(item["since"]["S"]),
                                 int(item["attempt"]["N"])))
            if len(rows) >= limit:
                break
        return rows

    def _query_due(self, kind: str, upper: str) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            args: dict[str, Any] = {
                "TableName": self.table_name, "IndexName": DUE_INDEX,
                "KeyConditionExpression": "#k = :k AND #d <= :t",
                "ExpressionAttributeNames": {"#k": KIND, "#d": DUE},
                "ExpressionAttributeValues": {":k": {"S": kind}, ":t": {"S": upper}}}
            if start:
                args["ExclusiveStartKey"] = start
            page = self.client.query(**args)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return

    def clear(self) -> None:
        start: dict[str, Any] | None = None
        while True:
            args: dict[str, Any] = {"TableName": self.table_name,
                                    "ProjectionExpression": "pk, sk"}
            if start:
                args["ExclusiveStartKey"] = start
            page = self.client.scan(**args)
            for item in page.get("Items", []):
                self.client.delete_item(TableName=self.table_name,
                                        Key={PK: item[PK], SK: item[SK]})
            start = page.get("LastEvaluatedKey")
            if not start:
                return
