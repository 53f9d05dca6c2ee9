"""The library's own recorder, factory and application test cases, against DynamoDB Local.

Nothing is skipped or overridden to assert less; the only additions are the library's
optional subscription test (which its Postgres tests also run) and the same recorder
cases on the snapshots recorder. Stream notification mode (no counter, no pull log) runs
every case that does not need notification ids: the aggregate cases on its aggregate
and application recorders, and the tracking cases. The library's modules are imported
as modules so that pytest does not collect their base classes as tests of their own.
"""

from __future__ import annotations

import os
import uuid

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    ProcessRecorder,
    TrackingRecorder,
)
from eventsourcing.tests import application as library_application
from eventsourcing.tests import persistence as library
from eventsourcing.utils import Environment

from sfr3_adapters.dynamodb.factory import Factory
from sfr3_adapters.dynamodb.recorders import (
    STREAM,
    DynamoDBAggregateRecorder,
    DynamoDBApplicationRecorder,
    DynamoDBProcessRecorder,
    DynamoDBTrackingRecorder,
)
from tests.dynamodb.support import endpoint, fresh_datastore


class TestAggregateRecorder(library.AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return DynamoDBAggregateRecorder(fresh_datastore())


class TestSnapshotsRecorder(library.AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return DynamoDBAggregateRecorder(fresh_datastore(), purpose="snapshots")


class TestApplicationRecorder(library.ApplicationRecorderTestCase):
    def create_recorder(self) -> ApplicationRecorder:
        return DynamoDBApplicationRecorder(fresh_datastore())

    def test_insert_subscribe(self) -> None:
        self.optional_test_insert_subscribe()


class TestTrackingRecorder(library.TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        return DynamoDBTrackingRecorder(fresh_datastore())


class TestProcessRecorder(library.ProcessRecorderTestCase):
    def create_recorder(self) -> ProcessRecorder:
        return DynamoDBProcessRecorder(fresh_datastore())


class TestNonInterleavingNotificationIDs(library.NonInterleavingNotificationIDsBaseCase):
    def create_recorder(self) -> ApplicationRecorder:
        return DynamoDBApplicationRecorder(fresh_datastore())


class TestStreamModeAggregateRecorder(library.AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return DynamoDBAggregateRecorder(fresh_datastore(notifications=STREAM))


class TestStreamModeApplicationRecorderStoresAggregates(library.AggregateRecorderTestCase):
    """What an Application writes through in stream mode: its events, and no ids."""

    def create_recorder(self) -> AggregateRecorder:
        return DynamoDBApplicationRecorder(fresh_datastore(notifications=STREAM))


class TestStreamModeSnapshotsRecorder(library.AggregateRecorderTestCase):
    def create_recorder(self) -> AggregateRecorder:
        return DynamoDBAggregateRecorder(fresh_datastore(notifications=STREAM), "snapshots")


class TestStreamModeTrackingRecorder(library.TrackingRecorderTestCase):
    def create_recorder(self) -> TrackingRecorder:
        return DynamoDBTrackingRecorder(fresh_datastore(notifications=STREAM))


class _TrackingRecorderSubclass(DynamoDBTrackingRecorder):
    pass


class TestFactory(library.InfrastructureFactoryTestCase[Factory]):
    def setUp(self) -> None:
        self.env = Environment("TestCase")
        self.env[Factory.PERSISTENCE_MODULE] = "sfr3_adapters.dynamodb"
        self.env[Factory.DYNAMODB_TABLE] = f"factory-{uuid.uuid4().hex[:8]}"
        self.env[Factory.DYNAMODB_ENDPOINT_URL] = endpoint()
        super().setUp()

    def expected_factory_class(self) -> type[Factory]:
        return Factory

    def expected_aggregate_recorder_class(self) -> type[AggregateRecorder]:
        return DynamoDBAggregateRecorder

    def expected_application_recorder_class(self) -> type[ApplicationRecorder]:
        return DynamoDBApplicationRecorder

    def expected_tracking_recorder_class(self) -> type[TrackingRecorder]:
        return DynamoDBTrackingRecorder

    def tracking_recorder_subclass(self) -> type[TrackingRecorder]:
        return _TrackingRecorderSubclass

    def expected_process_recorder_class(self) -> type[ProcessRecorder]:
        return DynamoDBProcessRecorder


class TestExampleApplication(library_application.ExampleApplicationTestCase):
    expected_factory_topic = "sfr3_adapters.dynamodb.factory:Factory"

    def setUp(self) -> None:
        super().setUp()
        self._saved = {k: os.environ.get(k) for k in self._env()}
        os.environ.update(self._env())

    def tearDown(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        super().tearDown()

    def _env(self) -> dict[str, str]:
        if not hasattr(self, "_table"):
            self._table = f"example-{uuid.uuid4().hex[:8]}"
        return {
            "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
            "DYNAMODB_TABLE": self._table,
            "DYNAMODB_ENDPOINT_URL": endpoint(),
        }
