"""The schedule read model on DynamoDB: one table, `pk` (S) / `sk` (S), no indexes.

The same port and behaviour as `sfr3_adapters.read_models_sqlite` (the tests run one suite
against both). Item layout (docs/dynamodb.md, "The schedule read model"):

| item                 | pk                    | sk                              |
|----------------------|-----------------------|---------------------------------|
| lease row            | `LEASE#<residentId>`  | `LEASE`                         |
| due-day row          | `DUE#<tz>#<dd>`       | `<residentId>`                  |
| late-fee candidate   | `LATE#<tz>`           | `<assessOn>#<residentId>#<chargeId>` |
| candidate pointer    | `CAND#<residentId>`   | `<chargeId>`                    |
| autopay row          | `AUTOPAY#<residentId>` | `AUTOPAY`                      |
| autopay charge day   | `APDUE#<tz>#<dd>`     | `<residentId>` (ACTIVE enrollments only) |
| zone registry        | `ZONES`               | `<tz>` (counts: `leases`, `autopay`)  |
| job run              | `RUN#<job>`           | `<tz>`                          |

Every multi-item change is one `TransactWriteItems` (at most 1 + 28 + 28 + 2 items for a
lease, 1 + 1 + 1 + 2 for an enrollment, under the limit of 100), conditioned on what was
read just before it, and retried from the read when another writer got in between. So the
read model never holds a due-day row without its lease row, nor a charge-day row without
an ACTIVE enrollment row, nor a candidate without its pointer, nor a zone count that
disagrees with the lease and enrollment rows. A zone's registry item counts its lease rows
(`leases`) and its enrollments that are not cancelled (`autopay`; paused ones too, so a
resumed enrollment finds its zone scheduled); `time_zones()` lists the zones where either
count is above zero.

A day's job reads one partition per question: `DUE#<tz>#<dd>` for who is due on a day of
the month, `APDUE#<tz>#<dd>` for whose autopay charges on it, `LATE#<tz>` up to a date for
late-fee candidates, `RUN#<job>` for the last run.
A quiet day costs the same handful of requests whatever the portfolio size.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from sfr3_adapters.dynamodb.late_fee_candidates import MAX_ATTEMPTS, LateFeeCandidateItems
from sfr3_adapters.dynamodb.read_model_table import SK, pk_sk_table
from sfr3_adapters.dynamodb.read_model_table import key as _key
from sfr3_adapters.dynamodb.read_model_table import n as _n
from sfr3_adapters.dynamodb.read_model_table import pause as _pause
from sfr3_adapters.dynamodb.read_model_table import retryable_cancel as _retryable_cancel
from sfr3_adapters.dynamodb.read_model_table import s as _s
from sfr3_ledger.autopay import ACTIVE, CANCELLED
from sfr3_ledger.read_models.schedule import AutopayRow, LeaseRow

LEASE_SK = "LEASE"
AUTOPAY_SK = "AUTOPAY"
ZONES_PK = "ZONES"
# The counters of a zone's registry item: it is scheduled while either is above zero.
LEASES_COUNT, AUTOPAY_COUNT = "leases", "autopay"


def table_definition(table_name: str) -> dict[str, Any]:
    """`create_table` kwargs; resources/jobs.yml declares the same table (a test compares)."""
    return pk_sk_table(table_name)


def _lease_key(resident_id: str) -> dict[str, dict[str, str]]:
    return _key(f"LEASE#{resident_id}", LEASE_SK)


def _due_key(time_zone: str, day: int, resident_id: str) -> dict[str, dict[str, str]]:
    return _key(f"DUE#{time_zone}#{day:02d}", resident_id)


def _autopay_key(resident_id: str) -> dict[str, dict[str, str]]:
    return _key(f"AUTOPAY#{resident_id}", AUTOPAY_SK)


def _autopay_due_key(time_zone: str, day: int, resident_id: str) -> dict[str, dict[str, str]]:
    return _key(f"APDUE#{time_zone}#{day:02d}", resident_id)


class DynamoDBScheduleIndex(LateFeeCandidateItems):
    """`ScheduleIndex` (sfr3_ledger.read_models.schedule) on one DynamoDB table.

    Its late-fee candidates (`LATE#`/`CAND#` items) are `LateFeeCandidateItems`
    (late_fee_candidates.py); leases, autopay rows, zones and job runs are here.
    """

    def __init__(self, table_name: str, client: Any = None, *, endpoint_url: str | None = None,
                 region_name: str | None = None, page_size: int | None = None) -> None:
        super().__init__(table_name, client, endpoint_url=endpoint_url,
                         region_name=region_name)
        # Items per Query page (None: DynamoDB's 1 MB pages); tests set it to see paging.
        self.page_size = page_size

    def table_definition(self) -> dict[str, Any]:
        return table_definition(self.table_name)

    # ---- leases ------------------------------------------------------------------------

    def put_lease(self, row: LeaseRow) -> None:
        for attempt in range(MAX_ATTEMPTS):
            stored = self._get(_lease_key(row.resident_id))
            stored_version = int(stored["version"]["N"]) if stored else None
            # An equal version is the same lease state (rows derive from the aggregate),
            # so a redelivered event writes nothing.
            if stored_version is not None and stored_version >= row.version:
                return
            try:
                self._transact(self._lease_writes(row, stored))
                return
            except ClientError as exc:
                if not _retryable_cancel(exc) or attempt == MAX_ATTEMPTS - 1:
                    raise
                _pause(attempt)

    def _lease_writes(self, row: LeaseRow, stored: dict[str, Any] | None) -> list[dict[str, Any]]:
        item: dict[str, Any] = {
            **_lease_key(row.resident_id),
            "resident_id": _s(row.resident_id),
            "lease_id": _s(row.lease_id),
            "time_zone": _s(row.time_zone),
            "due_days": {"L": [_n(d) for d in sorted(row.due_days)]},
            "grace": {"L": [{"L": [_s(d.isoformat()), _n(g)]} for d, g in row.grace]},
            "start_date": _s(row.start_date.isoformat()),
            "version": _n(row.version),
        }
        if row.end_date is not None:
            item["end_date"] = _s(row.end_date.isoformat())
        put: dict[str, Any] = {"TableName": self.table_name, "Item": item}
        if stored is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :seen"
            put["ExpressionAttributeValues"] = {":seen": stored["version"]}
        writes: list[dict[str, Any]] = [{"Put": put}]

        old_zone = stored["time_zone"]["S"] if stored else None
        old_days = {int(d["N"]) for d in stored["due_days"]["L"]} if stored else set()
        kept = old_days & set(row.due_days) if old_zone == row.time_zone else set()
        for day in sorted(old_days - kept):
            assert old_zone is not None
            writes.append({"Delete": {"TableName": self.table_name,
                                      "Key": _due_key(old_zone, day, row.resident_id)}})
        for day in sorted(set(row.due_days) - kept):
            writes.append({"Put": {"TableName": self.table_name, "Item": {
                **_due_key(row.time_zone, day, row.resident_id),
                "resident_id": _s(row.resident_id)}}})
        if old_zone != row.time_zone:
            writes.append(self._zone_count(row.time_zone, +1))
            if old_zone is not None:
                writes.append(self._zone_count(old_zone, -1))
        return writes

    def _zone_count(self, time_zone: str, delta: int,
                    counter: str = LEASES_COUNT) -> dict[str, Any]:
        return {"Update": {"TableName": self.table_name, "Key": _key(ZONES_PK, time_zone),
                           "UpdateExpression": "ADD #count :delta",
                           "ExpressionAttributeNames": {"#count": counter},
                           "ExpressionAttributeValues": {":delta": _n(delta)}}}

    def lease_row(self, resident_id: str) -> LeaseRow | None:
        item = self._get(_lease_key(resident_id))
        if item is None:
            return None
        return LeaseRow(
            resident_id=item["resident_id"]["S"],
            lease_id=item["lease_id"]["S"],
            time_zone=item["time_zone"]["S"],
            due_days=frozenset(int(d["N"]) for d in item["due_days"]["L"]),
            grace=tuple((date.fromisoformat(g["L"][0]["S"]), int(g["L"][1]["N"]))
                        for g in item["grace"]["L"]),
            start_date=date.fromisoformat(item["start_date"]["S"]),
            end_date=date.fromisoformat(item["end_date"]["S"]) if "end_date" in item else None,
            version=int(item["version"]["N"]),
        )

    def residents_due(self, time_zone: str, day_of_month: int) -> list[str]:
        return [item[SK]["S"] for item in self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(f"DUE#{time_zone}#{day_of_month:02d}")},
            ProjectionExpression="sk")]

    def time_zones(self) -> list[str]:
        """Zones with a lease row or a not-cancelled enrollment (the registry's counters)."""
        return [item[SK]["S"] for item in self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(ZONES_PK)})
            if any(int(item.get(c, {}).get("N", "0")) > 0
                   for c in (LEASES_COUNT, AUTOPAY_COUNT))]

    # ---- autopay -----------------------------------------------------------------------

    def put_autopay(self, row: AutopayRow) -> None:
        """The enrollment row, its charge-day row (ACTIVE only) and the zone's enrollment
        count, in one transaction guarded by the version read just before."""
        for attempt in range(MAX_ATTEMPTS):
            stored = self._get(_autopay_key(row.resident_id))
            if stored is not None and int(stored["version"]["N"]) >= row.version:
                return  # the same state (or a newer one) is already there
            try:
                self._transact(self._autopay_writes(row, stored))
                return
            except ClientError as exc:
                if not _retryable_cancel(exc) or attempt == MAX_ATTEMPTS - 1:
                    raise
                _pause(attempt)

    def _autopay_writes(self, row: AutopayRow,
                        stored: dict[str, Any] | None) -> list[dict[str, Any]]:
        put: dict[str, Any] = {"TableName": self.table_name, "Item": {
            **_autopay_key(row.resident_id),
            "resident_id": _s(row.resident_id),
            "enrollment_id": _s(row.enrollment_id),
            "time_zone": _s(row.time_zone),
            "charge_day": _n(row.charge_day),
            "status": _s(row.status),
            "version": _n(row.version),
        }}
        if stored is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :seen"
            put["ExpressionAttributeValues"] = {":seen": stored["version"]}
        writes: list[dict[str, Any]] = [{"Put": put}]

        # The charge-day row: where an ACTIVE enrollment is found; moved, added or removed.
        old_zone: str | None = stored["time_zone"]["S"] if stored else None
        old_status: str | None = stored["status"]["S"] if stored else None
        old_due: tuple[str, int] | None = None
        if stored is not None and old_zone is not None and old_status == ACTIVE:
            old_due = (old_zone, int(stored["charge_day"]["N"]))
        new_due = (row.time_zone, row.charge_day) if row.status == ACTIVE else None
        if old_due != new_due:
            if old_due is not None:
                writes.append({"Delete": {"TableName": self.table_name,
                                          "Key": _autopay_due_key(*old_due, row.resident_id)}})
            if new_due is not None:
                writes.append({"Put": {"TableName": self.table_name, "Item": {
                    **_autopay_due_key(*new_due, row.resident_id),
                    "resident_id": _s(row.resident_id)}}})

        # The zone registry counts enrollments that are not cancelled (paused ones too: a
        # resumed enrollment must find its zone scheduled).
        old_counted = old_zone if stored and old_status != CANCELLED else None
        new_counted = row.time_zone if row.status != CANCELLED else None
        if old_counted != new_counted:
            if new_counted is not None:
                writes.append(self._zone_count(new_counted, +1, AUTOPAY_COUNT))
            if old_counted is not None:
                writes.append(self._zone_count(old_counted, -1, AUTOPAY_COUNT))
        return writes

    def autopay_due(self, time_zone: str, day_of_month: int) -> list[str]:
        return [item[SK]["S"] for item in self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(f"APDUE#{time_zone}#{day_of_month:02d}")},
            ProjectionExpression="sk")]

    # ---- job runs ----------------------------------------------------------------------

    def last_run(self, job: str, time_zone: str) -> date | None:
        item = self._get(_key(f"RUN#{job}", time_zone))
        return date.fromisoformat(item["day"]["S"]) if item and "day" in item else None

    def record_run(self, job: str, time_zone: str, day: date) -> None:
        """Never moves backwards: a re-run of an earlier day leaves the later day stored."""
        try:
            self.client.update_item(
                TableName=self.table_name, Key=_key(f"RUN#{job}", time_zone),
                UpdateExpression="SET #day = :day",
                ConditionExpression="attribute_not_exists(#day) OR #day < :day",
                ExpressionAttributeNames={"#day": "day"},
                ExpressionAttributeValues={":day": _s(day.isoformat())})
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise

    # ---- rebuild -----------------------------------------------------------------------

    def clear(self) -> None:
        """Delete every projected item: lease, due-day, autopay, charge-day, candidate,
        pointer and zone items (job runs stay, as in SQLite: they are not events')."""
        # The payments read model (PAY*#, sfr3_adapters/dynamodb/payments_index.py)
        # shares the table and is rebuilt on its own.
        self._delete_all(self._scan_keys(lambda pk: not pk.startswith(
            ("RUN#", "PAY#", "PAYM#", "PAYID#"))), what="schedule items")
