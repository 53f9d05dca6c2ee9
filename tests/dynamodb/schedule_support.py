"""Shared helpers for the schedule read model's suites (test_schedule_*.py).

The suites run one behaviour spec on SQLite and on DynamoDB Local (the `index` fixture in
this directory's conftest.py); these builders keep the rows they write short to read.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import boto3

from sfr3_adapters.dynamodb.client import RETRY_CONFIG
from sfr3_ledger.read_models.schedule import AutopayRow, LateFeeCandidate, LeaseRow

NY = "America/New_York"
LA = "America/Los_Angeles"


def client(endpoint: str) -> Any:
    """A DynamoDB client on the local endpoint, with the production retry settings."""
    return boto3.session.Session().client(
        "dynamodb", endpoint_url=endpoint, region_name="us-east-1", config=RETRY_CONFIG)


def row(resident: str = "r1", *, days: set[int] | frozenset[int] = frozenset({1}),
        zone: str = NY, version: int = 1, grace: int = 5,
        end: date | None = None) -> LeaseRow:
    return LeaseRow(resident_id=resident, lease_id=f"lease-{resident}", time_zone=zone,
                    due_days=frozenset(days), grace=((date(2025, 1, 1), grace),),
                    start_date=date(2025, 1, 1), end_date=end, version=version)


def cand(resident: str, charge: str, on: date, zone: str = NY) -> LateFeeCandidate:
    return LateFeeCandidate(time_zone=zone, assess_on=on, resident_id=resident,
                            charge_id=charge)


def ap(resident: str = "r1", *, day: int = 1, zone: str = NY, status: str = "ACTIVE",
       version: int = 1) -> AutopayRow:
    return AutopayRow(resident_id=resident, enrollment_id=f"apay-{resident}", time_zone=zone,
                      charge_day=day, status=status, version=version)
