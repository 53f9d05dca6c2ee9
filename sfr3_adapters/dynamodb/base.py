"""What the DynamoDB recorders share: limits, the datastore, one request with errors in
the library's vocabulary, paged strongly consistent queries, and the transaction writer
with its retry rules (transient cancellations retried, failed conditions never).

Item layout and the two notification modes: docs/dynamodb.md and the modules
`aggregate` (events and snapshots), `application` (the notification log) and
`tracking` (tracking and process recorders).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError
from eventsourcing.persistence import (
    DataError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
    Recorder,
    StoredEvent,
    Tracking,
)

from sfr3_adapters.dynamodb import codec, schema
from sfr3_adapters.dynamodb.client import ensure_table

# DynamoDB's hard limits, and our margins under them.
MAX_TRANSACTION_ITEMS = 100
MAX_TRANSACTION_BYTES = 4_000_000  # the service limit is 4 MB of item data per transaction
MAX_ITEM_BYTES = 400 * 1024
MAX_BLOB_BYTES = 380_000  # leaves room for keys and the small attributes of an item
ITEM_OVERHEAD_BYTES = 200

# Cancellation reasons that mean "nothing was written, try again later".
TRANSIENT_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
     "RequestLimitExceeded"}
)
# Snapshots: item i of P for version v has sort key v*PART_SLOTS + (P-1-i), so part 0
# (which says how many parts there are) is the first a descending query meets, and the
# last part of every version sits at v*PART_SLOTS: a second writer of v always collides.
PART_SLOTS = 16
MAX_PARTS = 10  # 10 x 380 KB fits in one 4 MB transaction
MAX_SEQUENCE_ATTEMPTS = 200
MAX_TRANSIENT_ATTEMPTS = 12

KIND_HEAD = "hd"
KIND_CHUNK = "ev"
KIND_LOG = "log"
KIND_SEQUENCE = "seq"
KIND_TRACKING = "trk"

# Notification modes (docs/dynamodb.md, "Notification modes").
COUNTER = "counter"
STREAM = "stream"
NOTIFICATION_MODES = (COUNTER, STREAM)


class CommitTooLargeError(DataError):
    """A commit that cannot be written atomically within DynamoDB's limits."""


@dataclass
class DynamoDBDatastore:
    """What the recorders of one application share: client, table base name, namespace."""

    client: Any
    base_table: str
    namespace: str
    create_table: bool = True
    # COUNTER: every commit also takes contiguous notification ids from one counter item
    # and writes the log (a pull-based notification log, one write rate per application).
    # STREAM: a commit writes only its aggregates' items; consumers read the table's
    # stream per aggregate (docs/dynamodb.md). Fixed per table: never switch a table
    # that holds commits of the other mode.
    notifications: str = COUNTER

    def __post_init__(self) -> None:
        if self.notifications not in NOTIFICATION_MODES:
            raise ValueError(
                f"notification mode {self.notifications!r}: expected one of "
                f"{', '.join(NOTIFICATION_MODES)}"
            )

    def table(self, purpose: str = "events") -> str:
        return schema.table_name(self.base_table, purpose)

    def ensure(self, purpose: str = "events") -> None:
        ensure_table(self.client, schema.table_definition(self.base_table, purpose))



@dataclass
class _TxItem:
    role: str  # head, chunk, event, seq, log, trk
    request: dict[str, Any]
    size: int
    describe: str


def _n(value: int) -> dict[str, str]:
    return {"N": str(value)}


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _part_sk(version: int, parts: int, index: int) -> int:
    return version * PART_SLOTS + (parts - 1 - index)


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, min(1.0, 0.01 * 2**attempt)))


class DynamoDBRecorder(Recorder):
    def __init__(self, datastore: DynamoDBDatastore, purpose: str = "events") -> None:
        self.datastore = datastore
        self.client = datastore.client
        self.purpose = purpose
        self.table = datastore.table(purpose)
        self.ns = datastore.namespace

    def create_table(self) -> None:
        self.datastore.ensure(self.purpose)

    # -- keys -------------------------------------------------------------------------

    def _events_pk(self, originator_id: UUID | str) -> str:
        return f"{self.ns}#e#{originator_id}"

    def _head_pk(self, originator_id: UUID | str) -> str:
        return f"{self.ns}#h#{originator_id}"

    @property
    def _log_pk(self) -> str:
        return f"{self.ns}#log"

    @property
    def _seq_pk(self) -> str:
        return f"{self.ns}#seq"

    def _tracking_pk(self, application_name: str) -> str:
        return f"{self.ns}#trk#{application_name}"

    def _tracking_item(self, tracking: Tracking) -> _TxItem:
        return _TxItem(
            role="trk",
            request={
                "Update": {
                    "TableName": self.table,
                    "Key": {
                        schema.PK: _s(self._tracking_pk(tracking.application_name)),
                        schema.SK: _n(0),
                    },
                    "UpdateExpression": "SET n = :n, k = :k",
                    "ConditionExpression": "attribute_not_exists(n) OR n < :n",
                    "ExpressionAttributeValues": {
                        ":n": _n(tracking.notification_id),
                        ":k": _s(KIND_TRACKING),
                    },
                }
            },
            size=ITEM_OVERHEAD_BYTES,
            describe=(
                f"tracking {tracking.application_name} {tracking.notification_id} "
                "(not after the last recorded position)"
            ),
        )

    # -- requests ---------------------------------------------------------------------

    def _call(self, operation: str, **kwargs: Any) -> Any:
        """One DynamoDB call with errors in the library's vocabulary."""
        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            code = _error_code(exc)
            if code == "ResourceNotFoundException":
                raise ProgrammingError(f"{operation} on {self.table}: {exc}") from exc
            if code == "ValidationException":
                raise DataError(f"{operation} on {self.table}: {exc}") from exc
            raise OperationalError(f"{operation} on {self.table}: {exc}") from exc

    def _get_number(self, pk: str, attribute: str) -> int | None:
        response = self._call(
            "get_item",
            TableName=self.table,
            Key={schema.PK: _s(pk), schema.SK: _n(0)},
            ConsistentRead=True,
            ProjectionExpression=attribute,
        )
        item = response.get("Item")
        if not item or attribute not in item:
            return None
        return int(item[attribute]["N"])

    def _query(
        self,
        pk: str,
        *,
        condition: str = "",
        values: dict[str, Any] | None = None,
        forward: bool = True,
        page_size: int | Callable[[], int | None] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Items of one partition in key order, strongly consistent, across 1 MB pages.
        `page_size` (the Limit of each request) may be a callable, asked before each page."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk" + (f" AND {condition}" if condition else ""),
            "ExpressionAttributeValues": {":pk": _s(pk), **(values or {})},
            "ConsistentRead": True,
            "ScanIndexForward": forward,
        }
        while True:
            size = page_size() if callable(page_size) else page_size
            if size:
                kwargs["Limit"] = size
            else:
                kwargs.pop("Limit", None)
            response = self._call("query", **kwargs)
            yield from response.get("Items", [])
            last = response.get("LastEvaluatedKey")
            if not last:
                return
            kwargs["ExclusiveStartKey"] = last

    def _transact(self, items: Sequence[_TxItem]) -> None:
        """Write `items` atomically, retrying only what DynamoDB says wrote nothing and
        may succeed later. A failed condition is raised, never retried here."""
        self._check_limits(items)
        if len(items) == 1 and items[0].role != "seq":
            self._write_single(items[0])
            return
        request = [item.request for item in items]
        for attempt in range(MAX_TRANSIENT_ATTEMPTS):
            try:
                self.client.transact_write_items(
                    TransactItems=request, ClientRequestToken=uuid.uuid4().hex
                )
                return
            except ClientError as exc:
                if _error_code(exc) != "TransactionCanceledException":
                    raise self._translate(exc) from exc
                reasons: list[dict[str, Any]] = list(
                    exc.response.get("CancellationReasons") or []  # type: ignore[arg-type]
                )
                codes = [str(r.get("Code") or "None") for r in reasons]
                if "ConditionalCheckFailed" in codes:
                    raise _CancelledError(items, reasons) from exc
                if not any(code in TRANSIENT_REASONS for code in codes):
                    raise DataError(f"transaction on {self.table} cancelled: {codes}") from exc
                _backoff(attempt)
        raise OperationalError(
            f"transaction on {self.table} still conflicting after "
            f"{MAX_TRANSIENT_ATTEMPTS} attempts"
        )

    def _write_single(self, item: _TxItem) -> None:
        """One item needs no transaction (half the write units)."""
        ((kind, params),) = item.request.items()
        operation = {"Put": "put_item", "Update": "update_item"}[kind]
        params = {k: v for k, v in params.items() if k != "ReturnValuesOnConditionCheckFailure"}
        for attempt in range(MAX_TRANSIENT_ATTEMPTS):
            try:
                getattr(self.client, operation)(**params)
                return
            except ClientError as exc:
                code = _error_code(exc)
                if code == "ConditionalCheckFailedException":
                    raise IntegrityError(f"{item.describe} already recorded") from exc
                if code != "TransactionConflictException":
                    raise self._translate(exc) from exc
                _backoff(attempt)
        raise OperationalError(f"{item.describe}: still conflicting after retries")

    def _translate(self, exc: ClientError) -> Exception:
        code = _error_code(exc)
        if code == "ResourceNotFoundException":
            return ProgrammingError(f"table {self.table}: {exc}")
        if code == "ValidationException":
            return DataError(f"table {self.table}: {exc}")
        return OperationalError(f"table {self.table}: {exc}")

    @staticmethod
    def _check_limits(items: Sequence[_TxItem]) -> None:
        if len(items) > MAX_TRANSACTION_ITEMS:
            raise CommitTooLargeError(
                f"commit needs {len(items)} DynamoDB items, but a transaction holds at most "
                f"{MAX_TRANSACTION_ITEMS} (counter mode: 2 per aggregate in the commit plus "
                "the log, sequence and tracking items; stream mode: one per event plus "
                "tracking): save fewer aggregates or events at once"
            )
        total = sum(item.size for item in items)
        if total > MAX_TRANSACTION_BYTES:
            raise CommitTooLargeError(
                f"commit needs about {total} bytes of DynamoDB items, but a transaction "
                f"holds at most 4 MB ({MAX_TRANSACTION_BYTES} bytes); events are stored "
                "twice (aggregate and notification log), so a commit carries at most "
                "about 2 MB of event state"
            )


class _CancelledError(Exception):
    """A transaction cancelled by failed conditions (to be sorted out by the caller)."""

    def __init__(self, items: Sequence[_TxItem], reasons: Sequence[dict[str, Any]]):
        super().__init__("transaction cancelled")
        self.items = items
        self.reasons = reasons

    def failed(self) -> list[tuple[_TxItem, dict[str, Any]]]:
        return [
            (item, reason)
            for item, reason in zip(self.items, self.reasons, strict=False)
            if reason.get("Code") == "ConditionalCheckFailed"
        ]

    def integrity_error(self) -> IntegrityError:
        what = ", ".join(item.describe for item, _ in self.failed())
        return IntegrityError(f"Conflict: {what}")


def _split_by_size(events: Sequence[StoredEvent]) -> list[list[StoredEvent]]:
    """Consecutive runs of events whose blob fits in one item."""
    runs: list[list[StoredEvent]] = [[]]
    size = 0
    for event in events:
        event_size = codec.encoded_size(event)
        if event_size > MAX_BLOB_BYTES:
            raise CommitTooLargeError(
                f"stored event {event.originator_id!s} v{event.originator_version} is "
                f"{len(event.state)} bytes; a DynamoDB item holds at most 400 KB "
                f"({MAX_BLOB_BYTES} bytes of event data here)"
            )
        if runs[-1] and size + event_size > MAX_BLOB_BYTES:
            runs.append([])
            size = 0
        runs[-1].append(event)
        size += event_size
    return runs

