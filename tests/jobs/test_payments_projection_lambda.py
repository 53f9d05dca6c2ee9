"""The payments read model as deployed (issue 17): the ledger on DynamoDB Local, its
events stream into the payments projection the stream's second reader runs
(read_models.handle), the rows in the read models' table; then a history page is served
from the index alone, and a redelivered batch writes nothing new."""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Iterator

import pytest

from sfr3_adapters.dynamodb.payments_index import DynamoDBPaymentsIndex
from sfr3_lambdas import wiring
from sfr3_lambdas.jobs import payments_projection, read_models
from tests.backbone.support import StreamReader, log_records

pytestmark = [pytest.mark.dynamodb]
R = "res-pay-lambda"


@pytest.fixture
def deployed(dynamodb_local: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:10]
    env = {"PERSISTENCE_MODULE": "sfr3_adapters.dynamodb", "CREATE_TABLE": "y",
           "DYNAMODB_TABLE": f"pay-ledger-{suffix}", "SCHEDULE_TABLE": f"pay-rm-{suffix}",
           "PAYMENTS_INDEX_TABLE": f"pay-rm-{suffix}", "DYNAMODB_ENDPOINT_URL": dynamodb_local,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    DynamoDBPaymentsIndex(env["PAYMENTS_INDEX_TABLE"], endpoint_url=dynamodb_local,
                          region_name="us-east-1").create_table()
    wiring.reset()
    payments_projection.reset()
    yield env
    payments_projection.reset()
    wiring.reset()


def test_the_stream_feeds_the_payments_read_model(deployed: dict[str, str]) -> None:
    app = wiring.ledger()
    method = app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD",
                                       last4="4242", actor=R).method_id
    paid = []
    for month in range(4):
        app.post_charge(R, amount=2100, charge_type="RENT", description=f"Rent {month}",
                        actor="pm")
        pid = app.initiate_payment(R, amount=2100, method_id=method, actor=R).payment.payment_id
        app.settle_payment(R, pid, stripe_ref=f"pi_{month}")
        paid.append(pid)
    records = log_records(StreamReader(deployed["DYNAMODB_TABLE"]).read())
    # What the stream's second reader runs for it (beside the schedule and finance ones).
    assert "payments_projection.handle" in inspect.getsource(read_models.handle)
    assert payments_projection.handle({"Records": records})["batchItemFailures"] == []
    assert payments_projection.handle({"Records": records})["batchItemFailures"] == []
    index = wiring.payments_index()
    assert index is not None
    assert index.seen_version(R) == app.ledger(R).version
    expected = app.ledger(R).payment_history()

    def no_load(_: str) -> object:
        raise AssertionError("the page loaded the ledger although the index is current")

    app.ledger = no_load  # type: ignore[method-assign]
    page = app.payment_history_page(R, limit=3)
    assert [p.payment_id for p in page.payments] == [p.payment_id for p in expected[:3]]
    rest = app.payment_history_page(R, limit=3, cursor=page.next_cursor)
    assert [p.payment_id for p in rest.payments] == [expected[3].payment_id]
    assert rest.next_cursor is None
    assert app.payment(R, paid[0]).stripe_ref == "pi_0"
