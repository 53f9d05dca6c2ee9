"""The finance read models on DynamoDB: one table (`pk`/`sk`, no indexes), three ports.

The same behaviour as sfr3_adapters/finance_read_models_sqlite.py (one test suite runs
against both, on DynamoDB Local). Item layout (docs/dynamodb.md, "The finance table"):

| item                 | pk                        | sk                         |
|----------------------|---------------------------|----------------------------|
| settled fact         | `DAY#<yyyy-mm-dd>`        | `<kind>#<key>`             |
| fact pointer         | `FACT#<kind>#<key>`       | `FACT` (its `day`)         |
| healed payment       | `HEAL#<paymentIntent>`    | `HEAL` (`day`, `run_id`)   |
| dispute              | `DISPUTE#<disputeId>`     | `DISPUTE`                  |
| dispute, listed      | `DISPUTES`                | `<openedAt>#<disputeId>`   |
| finance alert sent   | `ALERT#<key>`             | `ALERT`                    |

A day's reconciliation reads one partition (`DAY#…`, paged); a fact found by its Stripe id
(a boundary crossing) costs one GetItem on its pointer. A new fact costs one BatchGetItem
(pointer and heal marker) and one two-item transaction; marking a day's facts reconciled
costs one transaction per 100 facts. Disputes are few (hundreds a year): one partition
lists them all, newest first, with the filters as a FilterExpression.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ClientError

from sfr3_adapters.dynamodb.read_model_table import PK, SK, DynamoDBReadModel, pk_sk_table
from sfr3_adapters.dynamodb.read_model_table import key as _key
from sfr3_adapters.dynamodb.read_model_table import n as _n
from sfr3_adapters.dynamodb.read_model_table import s as _s
from sfr3_ledger.read_models.disputes import DisputeQuery, DisputeRow
from sfr3_ledger.read_models.settled_by_day import FactKind, SettledFact

TRANSACT_LIMIT = 100


def table_definition(table_name: str) -> dict[str, Any]:
    """`create_table` kwargs; resources/reconciliation.yml declares the same table."""
    return pk_sk_table(table_name)


def _str(item: dict[str, Any], name: str) -> str | None:
    value = item.get(name)
    return str(value["S"]) if value and "S" in value else None


class _Table(DynamoDBReadModel):
    def __init__(self, table_name: str, client: Any = None, *, endpoint_url: str | None = None,
                 region_name: str | None = None) -> None:
        super().__init__(table_name, client, endpoint_url=endpoint_url,
                         region_name=region_name)
        self.requests = 0  # what the bench counts

    def _call(self, name: str, **kwargs: Any) -> Any:
        self.requests += 1
        return getattr(self.client, name)(**kwargs)

    def _get(self, key: dict[str, Any]) -> dict[str, Any] | None:
        found = self._call("get_item", TableName=self.table_name, Key=key, ConsistentRead=True)
        item = found.get("Item")
        return dict(item) if item else None

    def _batch_get(self, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        pending: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
        while pending:
            answer = self._call("batch_get_item", RequestItems=pending)
            out += answer.get("Responses", {}).get(self.table_name, [])
            pending = answer.get("UnprocessedKeys") or {}
        return out

    def _query(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            args = dict(kwargs, TableName=self.table_name, ConsistentRead=True)
            if start:
                args["ExclusiveStartKey"] = start
            page = self._call("query", **args)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return


# ---- settled facts by day -------------------------------------------------------------------

def _fact_item(fact: SettledFact, day: str, healed_by: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_key(f"DAY#{day}", f"{fact.kind}#{fact.key}"),
        "kind": _s(fact.kind), "key": _s(fact.key), "resident_id": _s(fact.resident_id),
        "payment_id": _s(fact.payment_id), "amount": _n(fact.amount),
        "at": _s(fact.at.isoformat()), "fact_id": _s(fact.fact_id),
    }
    if healed_by:
        item["healed_by"] = _s(healed_by)
    return item


def _fact(item: dict[str, Any]) -> SettledFact:
    run_at = _str(item, "reconciled_at")
    kind = str(item["kind"]["S"])
    assert kind in ("payment", "refund", "chargeback", "reinstatement")
    return SettledFact(
        day=date.fromisoformat(str(item[PK]["S"])[4:]), kind=kind,  # type: ignore[arg-type]
        key=str(item["key"]["S"]), resident_id=str(item["resident_id"]["S"]),
        payment_id=str(item["payment_id"]["S"]), amount=int(item["amount"]["N"]),
        at=datetime.fromisoformat(str(item["at"]["S"])), fact_id=str(item["fact_id"]["S"]),
        healed_by=_str(item, "healed_by"), reconciled_run=_str(item, "reconciled_run"),
        reconciled_at=datetime.fromisoformat(run_at) if run_at else None)


class DynamoDBSettledFacts(_Table):
    """`SettledFactsIndex` (sfr3_ledger/read_models/settled_by_day.py) on DynamoDB."""

    def put_fact(self, fact: SettledFact) -> None:
        pointer_key = _key(f"FACT#{fact.kind}#{fact.key}", "FACT")
        keys = [pointer_key]
        if fact.kind == "payment":
            keys.append(_key(f"HEAL#{fact.key}", "HEAL"))
        found = {str(i[PK]["S"]): i for i in self._batch_get(keys)}
        heal = found.get(f"HEAL#{fact.key}")
        pointer = found.get(f"FACT#{fact.kind}#{fact.key}")
        day = _str(heal, "day") if heal else fact.day.isoformat()
        assert day is not None
        old_day = _str(pointer, "day") if pointer else None
        item = _fact_item(fact, day, _str(heal, "run_id") if heal else None)
        if old_day is not None:
            old = self._get(_key(f"DAY#{old_day}", f"{fact.kind}#{fact.key}")) or {}
            for mark in ("healed_by", "reconciled_run", "reconciled_at"):
                if mark in old and mark not in item:
                    item[mark] = old[mark]
        writes: list[dict[str, Any]] = [
            {"Put": {"TableName": self.table_name, "Item": item}},
            {"Put": {"TableName": self.table_name,
                     "Item": {**pointer_key, "day": _s(day)}}},
        ]
        if old_day is not None and old_day != day:
            writes.append({"Delete": {"TableName": self.table_name,
                                      "Key": _key(f"DAY#{old_day}",
                                                  f"{fact.kind}#{fact.key}")}})
        self._call("transact_write_items", TransactItems=writes)

    def fact(self, kind: FactKind, key: str) -> SettledFact | None:
        pointer = self._get(_key(f"FACT#{kind}#{key}", "FACT"))
        if pointer is None:
            return None
        item = self._get(_key(f"DAY#{pointer['day']['S']}", f"{kind}#{key}"))
        return _fact(item) if item else None

    def facts_on(self, day: date) -> list[SettledFact]:
        items = self._query(KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": _s(f"DAY#{day.isoformat()}")})
        return sorted((_fact(i) for i in items), key=lambda f: (f.kind, f.key))

    def mark_healed(self, key: str, day: date, run_id: str) -> None:
        try:
            self._call("put_item", TableName=self.table_name,
                       Item={**_key(f"HEAL#{key}", "HEAL"), "day": _s(day.isoformat()),
                             "run_id": _s(run_id)},
                       ConditionExpression="attribute_not_exists(pk)")
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
        current = self.fact("payment", key)
        if current is not None and current.healed_by is None:
            self.put_fact(current)  # re-put: the heal marker moves it to `day`

    def mark_reconciled(self, keys: Sequence[tuple[FactKind, str]], run_id: str,
                        at: datetime) -> None:
        pointers: dict[tuple[str, str], str] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), 100):
            chunk = wanted[start:start + 100]
            for item in self._batch_get([_key(f"FACT#{k}#{v}", "FACT") for k, v in chunk]):
                _, kind, fact_key = str(item[PK]["S"]).split("#", 2)
                pointers[(kind, fact_key)] = str(item["day"]["S"])
        updates = [(kind, key, pointers[(kind, key)]) for kind, key in wanted
                   if (kind, key) in pointers]
        for start in range(0, len(updates), TRANSACT_LIMIT):
            chunk = updates[start:start + TRANSACT_LIMIT]
            try:
                self._call("transact_write_items", TransactItems=[
                    self._mark(kind, key, day, run_id, at) for kind, key, day in chunk])
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "TransactionCanceledException":
                    raise
                for kind, key, day in chunk:  # some were marked already: one at a time
                    try:
                        self._call("update_item", **self._mark(kind, key, day, run_id,
                                                               at)["Update"])
                    except ClientError as inner:
                        if inner.response["Error"]["Code"] != "ConditionalCheckFailedException":
                            raise

    def _mark(self, kind: str, key: str, day: str, run_id: str, at: datetime) -> dict[str, Any]:
        return {"Update": {
            "TableName": self.table_name, "Key": _key(f"DAY#{day}", f"{kind}#{key}"),
            "UpdateExpression": "SET reconciled_run = :r, reconciled_at = :a",
            "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(reconciled_run)",
            "ExpressionAttributeValues": {":r": _s(run_id), ":a": _s(at.isoformat())}}}

    def clear(self) -> None:
        """Delete every fact, pointer and heal marker (before a rebuild; tests)."""
        for item in self._scan():
            if str(item[PK]["S"]).startswith(("DAY#", "FACT#", "HEAL#")):
                self._call("delete_item", TableName=self.table_name,
                           Key={PK: item[PK], SK: item[SK]})

    def _scan(self) -> Iterator[dict[str, Any]]:
        start: dict[str, Any] | None = None
        while True:
            args: dict[str, Any] = {"TableName": self.table_name,
                                    "ProjectionExpression": "pk, sk"}
            if start:
                args["ExclusiveStartKey"] = start
            page = self._call("scan", **args)
            yield from page.get("Items", [])
            start = page.get("LastEvaluatedKey")
            if not start:
                return


# ---- disputes -------------------------------------------------------------------------------

def _stamp(value: datetime) -> str:
    from datetime import UTC

    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _dispute_attrs(row: DisputeRow) -> dict[str, Any]:
    item: dict[str, Any] = {
        "dispute_id": _s(row.dispute_id), "resident_id": _s(row.resident_id),
        "payment_id": _s(row.payment_id), "amount": _n(row.amount), "reason": _s(row.reason),
        "status": _s(row.status), "opened_at": _s(_stamp(row.opened_at)),
        "version": _n(row.version), "property_id": _s(row.property_id),
        "chargeback": _n(row.chargeback)}
    if row.evidence_submitted_at:
        item["evidence_submitted_at"] = _s(_stamp(row.evidence_submitted_at))
    if row.closed_at:
        item["closed_at"] = _s(_stamp(row.closed_at))
    return item


def _dispute(item: dict[str, Any]) -> DisputeRow:
    submitted, closed = _str(item, "evidence_submitted_at"), _str(item, "closed_at")
    return DisputeRow(
        dispute_id=str(item["dispute_id"]["S"]), resident_id=str(item["resident_id"]["S"]),
        payment_id=str(item["payment_id"]["S"]), amount=int(item["amount"]["N"]),
        reason=str(item["reason"]["S"]), status=str(item["status"]["S"]),
        opened_at=datetime.fromisoformat(str(item["opened_at"]["S"])),
        version=int(item["version"]["N"]), property_id=str(item["property_id"]["S"]),
        evidence_submitted_at=datetime.fromisoformat(submitted) if submitted else None,
        closed_at=datetime.fromisoformat(closed) if closed else None,
        chargeback=int(item["chargeback"]["N"]))


class DynamoDBDisputes(_Table):
    """`DisputesIndex` (sfr3_ledger/read_models/disputes.py) on DynamoDB."""

    def put(self, row: DisputeRow) -> None:
        attrs_ = _dispute_attrs(row)
        try:
            self._call("transact_write_items", TransactItems=[
                {"Put": {"TableName": self.table_name,
                         "Item": {**_key(f"DISPUTE#{row.dispute_id}", "DISPUTE"), **attrs_},
                         "ConditionExpression": "attribute_not_exists(pk) OR version < :v",
                         "ExpressionAttributeValues": {":v": _n(row.version)}}},
                {"Put": {"TableName": self.table_name,
                         "Item": {**_key("DISPUTES",
                                         f"{_stamp(row.opened_at)}#{row.dispute_id}"),
                                  **attrs_}}},
            ])
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "TransactionCanceledException":
                raise  # cancelled: a row of this or a newer version is stored already

    def get(self, dispute_id: str) -> DisputeRow | None:
        item = self._get(_key(f"DISPUTE#{dispute_id}", "DISPUTE"))
        return _dispute(item) if item else None

    def query(self, query: DisputeQuery) -> list[DisputeRow]:
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": _s("DISPUTES")}
        low = _stamp(query.opened_from) if query.opened_from else "0"
        high = _stamp(query.opened_to) if query.opened_to else "~"
        if query.after is not None:
            high = min(high, f"{_stamp(query.after[0])}#{query.after[1]}")
        condition += " AND sk BETWEEN :low AND :high"
        values.update({":low": _s(low), ":high": _s(high)})
        filters, names = [], {}
        if query.status:
            filters.append("#st = :status")
            names["#st"] = "status"
            values[":status"] = _s(query.status)
        if query.resident_id:
            filters.append("resident_id = :rid")
            values[":rid"] = _s(query.resident_id)
        args: dict[str, Any] = {"KeyConditionExpression": condition,
                                "ExpressionAttributeValues": values,
                                "ScanIndexForward": False}
        if filters:
            args["FilterExpression"] = " AND ".join(filters)
        if names:
            args["ExpressionAttributeNames"] = names
        out: list[DisputeRow] = []
        for item in self._query(**args):
            row = _dispute(item)
            if query.after is not None and (row.opened_at, row.dispute_id) >= query.after:
                continue  # BETWEEN is inclusive: the cursor's own row was on the last page
            if query.opened_to is not None and row.opened_at >= query.opened_to:
                continue
            out.append(row)
            if len(out) >= query.limit:
                break
        return out

    def clear(self) -> None:
        for item in self._query(KeyConditionExpression="pk = :pk",
                                ExpressionAttributeValues={":pk": _s("DISPUTES")}):
            for key in ({PK: item[PK], SK: item[SK]},
                        _key(f"DISPUTE#{item['dispute_id']['S']}", "DISPUTE")):
                self._call("delete_item", TableName=self.table_name, Key=key)


class DynamoDBAlertLog(_Table):
    def seen(self, key: str) -> bool:
        return self._get(_key(f"ALERT#{key}", "ALERT")) is not None

    def mark(self, key: str) -> None:
        self._call("put_item", TableName=self.table_name, Item=_key(f"ALERT#{key}", "ALERT"))
