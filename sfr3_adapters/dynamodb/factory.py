"""The eventsourcing infrastructure factory for DynamoDB.

Environment (each may be prefixed with the application name, as the library does):
DYNAMODB_TABLE (base table name, required), DYNAMODB_ENDPOINT_URL (optional),
AWS_REGION / AWS_DEFAULT_REGION, CREATE_TABLE (default yes, the library's convention;
deployed Lambdas set it to no: the tables come from CloudFormation), DYNAMODB_NOTIFICATIONS
(`counter`, the default: a pull-based notification log with contiguous ids; `stream`:
commits carry no global counter and consumers follow the table's stream; see
docs/dynamodb.md, "Notification modes").
"""

from __future__ import annotations

from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    InfrastructureFactory,
    ProcessRecorder,
)
from eventsourcing.utils import Environment, EnvType, resolve_topic, strtobool

from sfr3_adapters.dynamodb.base import COUNTER
from sfr3_adapters.dynamodb.client import dynamodb_client
from sfr3_adapters.dynamodb.recorders import (
    DynamoDBAggregateRecorder,
    DynamoDBApplicationRecorder,
    DynamoDBDatastore,
    DynamoDBProcessRecorder,
    DynamoDBTrackingRecorder,
)


class Factory(InfrastructureFactory[DynamoDBTrackingRecorder]):
    DYNAMODB_TABLE = "DYNAMODB_TABLE"
    DYNAMODB_ENDPOINT_URL = "DYNAMODB_ENDPOINT_URL"
    CREATE_TABLE = "CREATE_TABLE"
    DYNAMODB_NOTIFICATIONS = "DYNAMODB_NOTIFICATIONS"

    aggregate_recorder_class = DynamoDBAggregateRecorder
    application_recorder_class = DynamoDBApplicationRecorder
    tracking_recorder_class = DynamoDBTrackingRecorder
    process_recorder_class = DynamoDBProcessRecorder

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        table = self.env.get(self.DYNAMODB_TABLE)
        if not table:
            keys = ", ".join(self.env.create_keys(self.DYNAMODB_TABLE))
            msg = f"DynamoDB table name not found in environment with keys: {keys}"
            raise OSError(msg)
        region = self.env.get("AWS_REGION") or self.env.get("AWS_DEFAULT_REGION")
        client = dynamodb_client(self.env.get(self.DYNAMODB_ENDPOINT_URL) or None, region)
        self.datastore = DynamoDBDatastore(
            client=client,
            base_table=table,
            # Like the library's Postgres module: one namespace per application, so
            # applications sharing a table keep separate aggregates and sequences.
            namespace=self.env.name.lower() or "stored",
            notifications=(self.env.get(self.DYNAMODB_NOTIFICATIONS) or COUNTER).lower(),
        )

    def env_create_table(self) -> bool:
        return bool(strtobool(self.env.get(self.CREATE_TABLE, "yes") or "yes"))

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        recorder = self.aggregate_recorder_class(self.datastore, purpose)
        if self.env_create_table():
            recorder.create_table()
        return recorder

    def application_recorder(self) -> ApplicationRecorder:
        topic = self.env.get(self.APPLICATION_RECORDER_TOPIC)
        cls: type[DynamoDBApplicationRecorder] = (
            resolve_topic(topic) if topic else self.application_recorder_class
        )
        assert issubclass(cls, DynamoDBApplicationRecorder)
        recorder = cls(self.datastore)
        if self.env_create_table():
            recorder.create_table()
        return recorder

    def tracking_recorder(
        self, tracking_recorder_class: type[DynamoDBTrackingRecorder] | None = None
    ) -> DynamoDBTrackingRecorder:
        if tracking_recorder_class is None:
            topic = self.env.get(self.TRACKING_RECORDER_TOPIC)
            tracking_recorder_class = (
                resolve_topic(topic) if topic else self.tracking_recorder_class
            )
        assert tracking_recorder_class is not None
        assert issubclass(tracking_recorder_class, DynamoDBTrackingRecorder)
        recorder = tracking_recorder_class(self.datastore)
        if self.env_create_table():
            recorder.create_table()
        return recorder

    def process_recorder(self) -> ProcessRecorder:
        topic = self.env.get(self.PROCESS_RECORDER_TOPIC)
        cls: type[DynamoDBProcessRecorder] = (
            resolve_topic(topic) if topic else self.process_recorder_class
        )
        assert issubclass(cls, DynamoDBProcessRecorder)
        recorder = cls(self.datastore)
        if self.env_create_table():
            recorder.create_table()
        return recorder
