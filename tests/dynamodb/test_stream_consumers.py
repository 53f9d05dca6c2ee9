"""The backbone's envelopes from `ev` items equal those from `log` items.

This is what makes the consumers' switch to `aggregate_events_from_stream_record` a
one-line change (docs/dynamodb.md, "Deploying stream mode"): the ledger's money story
(tests/backbone/scenario.py) is run in each notification mode on DynamoDB Local, the
table's real stream is read, and each record is turned into integration-event envelopes
the way `sfr3_lambdas.stream_processor` does (the ledger's mapper, one resolver).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from sfr3_adapters.dynamodb.stream import (
    aggregate_events_from_stream_record,
    stored_events_from_stream_record,
)
from sfr3_ledger import LedgerApplication
from sfr3_ledger.integration_events import Envelope, ResidentResolver, envelopes_for
from tests.backbone.scenario import EXPECTED_TYPES, pay_and_refund
from tests.dynamodb.support import endpoint
from tests.dynamodb.test_stream_and_schema import as_lambda_receives, stream_records

Decoder = Callable[[dict[str, Any]], list[Any]]


def story(mode: str, resident: str) -> tuple[LedgerApplication, list[dict[str, Any]]]:
    table = f"consumers-{mode}-{uuid.uuid4().hex[:8]}"
    app = LedgerApplication(env={
        "PERSISTENCE_MODULE": "sfr3_adapters.dynamodb",
        "DYNAMODB_TABLE": table,
        "DYNAMODB_ENDPOINT_URL": endpoint(),
        "DYNAMODB_NOTIFICATIONS": mode,
    })
    pay_and_refund(app, resident)
    records: list[dict[str, Any]] = []
    seen = -1
    for _ in range(50):  # the stream is written asynchronously: read until it settles
        time.sleep(0.2)
        records = [as_lambda_receives(r) for r in stream_records(table)]
        events = sum(len(aggregate_events_from_stream_record(r)) for r in records)
        if events and events == seen:
            break
        seen = events
    return app, records


def envelopes(app: LedgerApplication, records: list[dict[str, Any]],
              decode: Decoder) -> list[Envelope]:
    resolver = ResidentResolver.for_application(app)
    out: list[Envelope] = []
    for record in records:  # record by record, as the stream processor's handler does
        out += envelopes_for([app.mapper.to_domain_event(s) for s in decode(record)], resolver)
    return out


def test_ev_items_give_the_backbone_the_same_envelopes_in_both_modes() -> None:
    resident = f"res-{uuid.uuid4().hex[:8]}"
    counter_app, counter_records = story("counter", resident)
    from_log = envelopes(counter_app, counter_records, stored_events_from_stream_record)
    from_chunks = envelopes(counter_app, counter_records, aggregate_events_from_stream_record)
    assert Counter(e["eventType"] for e in from_log) == Counter(EXPECTED_TYPES)
    assert sorted(from_chunks, key=lambda e: e["eventId"]) == sorted(
        from_log, key=lambda e: e["eventId"])

    stream_app, stream_records_ = story("stream", resident)  # same resident, same ids
    assert not [e for r in stream_records_ for e in stored_events_from_stream_record(r)]
    from_events = envelopes(stream_app, stream_records_, aggregate_events_from_stream_record)
    assert sorted((e["eventId"], e["eventType"]) for e in from_events) == sorted(
        (e["eventId"], e["eventType"]) for e in from_log)
