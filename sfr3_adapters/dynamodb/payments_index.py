"""The payments read model on DynamoDB: items in the read models' `pk`/`sk` table (the
jobs table), the port of sfr3_ledger/read_models/payments.py.

| item            | pk                        | sk                         | attributes        |
|-----------------|---------------------------|----------------------------|-------------------|
| history row     | `PAY#<residentId>`        | `<initiatedAt>#<paymentId>`| `body`, `version` |
| by-method row   | `PAYM#<residentId>#<methodId>` | the same              | `body`, `version` |
| by-id row       | `PAYID#<residentId>`      | `<paymentId>`              | `body`, `version` |
| seen version    | `PAYID#<residentId>`      | `~seen`                    | `version`         |

`initiatedAt` is fixed-width UTC text, so the sort key orders as the history does. A page
is one Query of one partition, newest first (`ScanIndexForward=false`), `Limit` = the
page (+1 to know whether there is more): its cost does not depend on the history's
length. A payment's method never changes, so the by-method rows need no moving. A row's
three items are written in one transaction, each conditioned on holding no newer
version, so a stale or repeated projection changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from sfr3_adapters.dynamodb.read_model_table import DynamoDBReadModel
from sfr3_adapters.payments_codec import dumps, loads, position_key, sort_key, stamp_key
from sfr3_ledger.read_models.payments import PaymentRow, Position
from sfr3_ledger.records import Payment

PREFIXES = ("PAY#", "PAYM#", "PAYID#")
MAX_ATTEMPTS = 8
SEEN = "~seen"  # sorts after every payment id; never a payment id itself


class DynamoDBPaymentsIndex(DynamoDBReadModel):
    """`PaymentsIndex` (sfr3_ledger.read_models.payments) in the schedule's table
    (`PAY#`, `PAYM#`, `PAYID#` partitions): its definition is the schedule's."""

    def put(self, rows: Sequence[PaymentRow]) -> None:
        for row in rows:
            self._put(row)

    def _put(self, row: PaymentRow) -> None:
        p, rid = row.payment, row.resident_id
        body = {"body": {"S": dumps(p)}, "version": {"N": str(row.version)}}
        keys = [(f"PAY#{rid}", sort_key(p)), (f"PAYM#{rid}#{p.method_id}", sort_key(p)),
                (f"PAYID#{rid}", p.payment_id)]
        items = [{"Put": {
            "TableName": self.table_name,
            "Item": {"pk": {"S": pk}, "sk": {"S": sk}, **body},
            "ConditionExpression": "attribute_not_exists(version) OR version < :v",
            "ExpressionAttributeValues": {":v": {"N": str(row.version)}}}}
            for pk, sk in keys]
        for attempt in range(MAX_ATTEMPTS):
            try:
                self.client.transact_write_items(TransactItems=items)
                return
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                reasons = [r.get("Code") for r in exc.response.get("CancellationReasons") or []]
                if "ConditionalCheckFailed" in reasons or not reasons:
                    return  # a row of this or a newer version is stored
                if attempt == MAX_ATTEMPTS - 1:
                    raise

    def mark_seen(self, versions: Mapping[str, int]) -> None:
        for rid, version in versions.items():
            try:
                self.client.update_item(
                    TableName=self.table_name,
                    Key={"pk": {"S": f"PAYID#{rid}"}, "sk": {"S": SEEN}},
                    UpdateExpression="SET version = :v",
                    ConditionExpression="attribute_not_exists(version) OR version < :v",
                    ExpressionAttributeValues={":v": {"N": str(version)}})
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != \
                        "ConditionalCheckFailedException":
                    raise

    def seen_version(self, resident_id: str) -> int | None:
        found = self.client.get_item(
            TableName=self.table_name, ConsistentRead=True,
            Key={"pk": {"S": f"PAYID#{resident_id}"}, "sk": {"S": SEEN}})
        item = found.get("Item")
        return int(item["version"]["N"]) if item else None

    def get(self, resident_id: str, payment_id: str) -> Payment | None:
        found = self.client.get_item(
            TableName=self.table_name, ConsistentRead=True,
            Key={"pk": {"S": f"PAYID#{resident_id}"}, "sk": {"S": payment_id}})
        item = found.get("Item")
        return loads(item["body"]["S"]) if item else None

    def page(self, resident_id: str, *, before: Position | None, start: datetime | None,
             end: datetime | None, method_id: str | None, limit: int) -> list[Payment]:
        pk = f"PAYM#{resident_id}#{method_id}" if method_id is not None else f"PAY#{resident_id}"
        upper = [stamp_key(end)] if end is not None else []
        if before is not None:
            upper.append(position_key(before.initiated_at, before.payment_id))
        hi = min(upper) if upper else None
        values: dict[str, Any] = {":pk": {"S": pk}}
        condition = "pk = :pk"
        if start is not None and hi is not None:
            # BETWEEN is inclusive: ask one more and drop `hi` itself below.
            condition += " AND sk BETWEEN :lo AND :hi"
            values[":lo"], values[":hi"] = {"S": stamp_key(start)}, {"S": hi}
        elif hi is not None:
            condition += " AND sk < :hi"
            values[":hi"] = {"S": hi}
        elif start is not None:
            condition += " AND sk >= :lo"
            values[":lo"] = {"S": stamp_key(start)}
        answer = self.client.query(
            # Strongly consistent: a page served from the index alone (its seen version
            # is the ledger's latest) must hold every row written before that mark.
            TableName=self.table_name, ConsistentRead=True, ScanIndexForward=False,
            KeyConditionExpression=condition, ExpressionAttributeValues=values,
            ProjectionExpression="sk, body", Limit=limit + 1)
        items = [i for i in answer.get("Items", []) if hi is None or i["sk"]["S"] < hi]
        return [loads(i["body"]["S"]) for i in items[:limit]]

    def clear(self) -> None:
        keys: list[dict[str, Any]] = []
        start: dict[str, Any] | None = None
        while True:
            args: dict[str, Any] = {"TableName": self.table_name,
                                    "ProjectionExpression": "pk, sk"}
            if start:
                args["ExclusiveStartKey"] = start
            page = self.client.scan(**args)
            keys += [{"pk": i["pk"], "sk": i["sk"]} for i in page.get("Items", [])
                     if i["pk"]["S"].startswith(PREFIXES)]
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        for first in range(0, len(keys), 25):
            batch = [{"DeleteRequest": {"Key": k}} for k in keys[first:first + 25]]
            while batch:
                answer = self.client.batch_write_item(RequestItems={self.table_name: batch})
                batch = answer.get("UnprocessedItems", {}).get(self.table_name, [])
