"""The payments read model (issue 17): history pages newest first with a cursor, equal to
the full history, archived payments read without a replay; the index on SQLite and on
DynamoDB Local, the ledger on every backend; rebuild equals the live projection."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from sfr3_adapters.dynamodb.payments_index import DynamoDBPaymentsIndex
from sfr3_adapters.payments_index_sqlite import SQLitePaymentsIndex
from sfr3_ledger import LedgerApplication, PaymentStatus
from sfr3_ledger.errors import InvalidCommand
from sfr3_ledger.laws_fact_ids import Clock
from sfr3_ledger.mandate_acceptance import MandateAcceptance
from sfr3_ledger.read_models.payments import (
    PaymentsIndex,
    PaymentsProjection,
    Position,
    rebuild,
)
from sfr3_ledger.records import Payment

R = "res-pages"


@pytest.fixture(params=["sqlite", "dynamodb"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PaymentsIndex]:
    if request.param == "sqlite":
        sqlite = SQLitePaymentsIndex(tmp_path / "read-models.db")
        yield sqlite
        sqlite.close()
        return
    endpoint = request.getfixturevalue("dynamodb_local")
    dynamo = DynamoDBPaymentsIndex(f"rm-{uuid.uuid4().hex[:10]}", endpoint_url=endpoint,
                                   region_name="us-east-1")
    dynamo.create_table()
    yield dynamo


class World:
    def __init__(self, env: dict[str, str], index: PaymentsIndex, clock: Clock) -> None:
        self.app = LedgerApplication(env=env)
        self.index, self.clock = index, clock
        self.app.payments_index = index
        self.projection = PaymentsProjection(index, self.app.ledger)
        self.position: int | None = None

    def feed(self) -> None:
        while notes := self.app.recorder.select_notifications(
                start=self.position, limit=200, inclusive_of_start=self.position is None):
            self.projection.process([self.app.mapper.to_domain_event(n) for n in notes])
            self.position = notes[-1].id

    def months(self, n: int, methods: list[str]) -> None:
        for month in range(n):
            self.app.post_charge(R, amount=2100, charge_type="RENT",
                                 description=f"Rent {month}", actor="pm")
            self.clock.advance(days=2)
            pid = self.app.initiate_payment(R, amount=2100, actor=R,
                                            method_id=methods[month % len(methods)]
                                            ).payment.payment_id
            if month % 5 == 4:
                self.app.fail_payment(R, pid, reason="card_declined")
                pid = self.app.initiate_payment(R, amount=2100, actor=R,
                                                method_id=methods[0]).payment.payment_id
            self.app.settle_payment(R, pid, stripe_ref=f"pi_{month}")
            self.clock.advance(days=28)
            if month % 7 == 0:
                self.feed()

    def all_pages(self, **filters: Any) -> list[Payment]:
        out: list[Payment] = []
        cursor = None
        while True:
            page = self.app.payment_history_page(R, cursor=cursor, **filters)
            assert len(page.payments) <= filters.get("limit", 50)
            out += page.payments
            if page.next_cursor is None:
                return out
            cursor = page.next_cursor


@pytest.fixture
def world(ledger_env: dict[str, str], index: PaymentsIndex, clock: Clock) -> World:
    return World(ledger_env, index, clock)


def _full(world: World, **f: Any) -> list[Payment]:
    return world.app.full_history(R).payment_history(**f)


def test_pages_equal_the_full_history_with_archived_payments(world: World) -> None:
    card = world.app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD",
                                           last4="4242", actor=R).method_id
    bank = world.app.enroll_payment_method(R, provider_id="pm_2", method_type="ACH",
                                           last4="6789", actor=R).method_id
    world.months(40, [card, bank])  # ~3 years: the first ~20 months are archived
    world.feed()
    ledger = world.app.ledger(R)
    assert ledger.archived_payments > 10
    full = _full(world)
    assert len(full) == 48
    for limit in (1, 7, 50):
        assert world.all_pages(limit=limit) == full
    cut = full[20].initiated_at
    early = full[35].initiated_at
    assert world.all_pages(limit=6, start=early, end=cut) == _full(world, start=early, end=cut)
    assert world.all_pages(limit=4, method_id=bank) == _full(world, method_id=bank)
    assert world.all_pages(limit=3, method_id=bank, end=cut) == _full(
        world, method_id=bank, end=cut)
    # An archived payment, read without a replay, as the full history has it.
    old = full[-1]
    assert old.payment_id not in ledger.payments
    world.app.full_history = None  # type: ignore[assignment,method-assign]
    assert world.app.payment(R, old.payment_id) == old


def test_the_live_state_covers_what_the_projection_has_not_seen(world: World) -> None:
    card = world.app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD",
                                           last4="4242", actor=R).method_id
    world.months(3, [card])
    world.feed()
    world.app.post_charge(R, amount=5000, charge_type="RENT", description="x", actor="pm")
    fresh = world.app.initiate_payment(R, amount=5000, method_id=card, actor=R).payment
    page = world.app.payment_history_page(R, limit=2)
    assert page.payments[0].payment_id == fresh.payment_id
    assert page.payments[0].status == PaymentStatus.PENDING
    world.app.settle_payment(R, fresh.payment_id, stripe_ref="pi_new")  # not fed either
    assert world.app.payment_history_page(R, limit=1).payments[0].status == \
        PaymentStatus.SETTLED
    assert page.next_cursor is not None


def test_rebuild_equals_the_live_projection(world: World) -> None:
    card = world.app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD",
                                           last4="4242", actor=R).method_id
    world.months(30, [card])
    world.feed()
    world.feed()  # replaying nothing new changes nothing
    live = world.index.page(R, before=None, start=None, end=None, method_id=None, limit=200)
    rebuild(world.index, [R], world.app.full_history)
    rebuilt = world.index.page(R, before=None, start=None, end=None, method_id=None,
                               limit=200)
    assert rebuilt == live and len(live) == len(_full(world))
    # Fed up to the ledger's last event, a page is the index's alone: no state loaded.
    full = _full(world)

    def no_load(rid: str) -> Any:
        raise AssertionError("the ledger was loaded for a page the index holds")

    world.app.ledger = no_load  # type: ignore[method-assign]
    assert world.all_pages(limit=7) == full


def test_bad_cursors_and_limits_are_refused(world: World) -> None:
    naive = base64.urlsafe_b64encode(b"2020-01-01T00:00:00|p").decode()
    for cursor in ("x", "bm90IGEgY3Vyc29y", naive, "%%%"):
        with pytest.raises(InvalidCommand):
            world.app.payment_history_page(R, cursor=cursor)
    for limit in (0, 201, True):
        with pytest.raises(InvalidCommand):
            world.app.payment_history_page(R, limit=limit)  # type: ignore[arg-type]
    good = Position(datetime(2020, 1, 1, tzinfo=UTC) + timedelta(days=1), "pay_x")
    assert Position.decode(good.encode()) == good


def test_a_batch_behind_the_ledger_never_marks_the_resident_current(world: World) -> None:
    """The projection loads the live ledger to write the payments a batch names; events
    after the batch (not yet delivered) may have changed other payments, so the resident
    is seen only up to the batch's own events and reads stay on the live path."""
    card = world.app.enroll_payment_method(R, provider_id="pm_1", method_type="CARD",
                                           last4="4242", actor=R).method_id
    world.app.post_charge(R, amount=5000, charge_type="RENT", description="Rent", actor="pm")
    other = world.app.initiate_payment(R, amount=3000, actor=R, method_id=card).payment
    world.feed()  # `other` is indexed PENDING
    position = world.position
    named = world.app.initiate_payment(R, amount=2000, actor=R, method_id=card).payment
    batch = world.app.recorder.select_notifications(start=position, limit=100,
                                                    inclusive_of_start=False)
    world.app.settle_payment(R, other.payment_id, stripe_ref="pi_2")  # not yet delivered
    world.projection.process([world.app.mapper.to_domain_event(n) for n in batch])
    assert world.app.payment(R, other.payment_id).status == PaymentStatus.SETTLED
    world.feed()
    assert world.app.payment(R, other.payment_id).status == PaymentStatus.SETTLED
    assert world.app.payment(R, named.payment_id).status == PaymentStatus.PENDING


def _stored_text(index: PaymentsIndex) -> str:
    """Everything the read model's table holds, as text (whatever the backend)."""
    if isinstance(index, SQLitePaymentsIndex):
        rows = index._db.execute("SELECT * FROM payments").fetchall()
        return repr(rows)
    assert isinstance(index, DynamoDBPaymentsIndex)
    items = index.client.scan(TableName=index.table_name)["Items"]
    assert items
    return repr(items)


def test_rows_never_hold_the_residents_ip_address_or_user_agent(world: World) -> None:
    """A manual ACH payment's acceptance (IP address, User-Agent) is kept as proof in the
    ledger's own event, which the live aggregate reads for every re-send; the read
    model's rows (history pages, receipts) need none of it, so none is stored there."""
    bank = world.app.enroll_payment_method(R, provider_id="pm_2", method_type="ACH",
                                           last4="6789", actor=R).method_id
    world.app.post_charge(R, amount=5000, charge_type="RENT", description="Rent", actor="pm")
    acceptance = MandateAcceptance(ip_address="203.0.113.77", user_agent="Secret-Agent/9.1",
                                   accepted_at=datetime(2026, 11, 1, tzinfo=UTC))
    pid = world.app.initiate_payment(R, amount=5000, method_id=bank, actor=R,
                                     mandate_acceptance=acceptance,
                                     on_session=True).payment.payment_id
    world.feed()
    assert world.app.ledger(R).get_payment(pid).mandate_acceptance == acceptance
    row = world.index.get(R, pid)
    assert row is not None and row.mandate_acceptance is None
    assert row.amount == 5000 and row.status == PaymentStatus.PENDING
    text = _stored_text(world.index)
    assert pid in text
    assert "203.0.113.77" not in text and "Secret-Agent" not in text
    # The payment a reader gets by id (from the row once the index is current) is the same
    # payment, less the acceptance.
    assert world.app.payment(R, pid).mandate_acceptance is None
