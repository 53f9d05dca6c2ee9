"""Tracking records and the process recorder.

Tracking `<ns>#trk#<upstream application>` / 0: `n` = the last processed notification id,
moved only forwards (condition `n < new id`), in the same transaction as the events a
process application records for it.
"""

from __future__ import annotations

from eventsourcing.persistence import ProcessRecorder, Tracking, TrackingRecorder

from sfr3_adapters.dynamodb.application import DynamoDBApplicationRecorder
from sfr3_adapters.dynamodb.base import DynamoDBDatastore, DynamoDBRecorder


class DynamoDBTrackingRecorder(DynamoDBRecorder, TrackingRecorder):
    """One item per upstream application holding the last processed notification id."""

    def __init__(self, datastore: DynamoDBDatastore, purpose: str = "events") -> None:
        super().__init__(datastore, purpose)

    def insert_tracking(self, tracking: Tracking) -> None:
        self._transact([self._tracking_item(tracking)])

    def max_tracking_id(self, application_name: str) -> int | None:
        return self._get_number(self._tracking_pk(application_name), "n")


class DynamoDBProcessRecorder(
    DynamoDBTrackingRecorder, DynamoDBApplicationRecorder, ProcessRecorder
):
    """Events, notification log and tracking, written in one transaction."""
