"""What a Lambda builds once per cold start, from its environment, on first use.

Nothing is built at import time: importing a handler must not open a database or read a
secret (tests and the OpenAPI generator import them freely). The first request builds
the ledger application, the payment-provider client and the idempotency store; later
requests in the same execution environment reuse them. `reset()` forgets them (tests and
the local stack call it after changing the environment).

Environment:
  PERSISTENCE_MODULE, SQLITE_DBNAME | DYNAMODB_TABLE, ...   the ledger (see sfr3_ledger)
  STRIPE_SERVICE_URL, STRIPE_SERVICE_API_KEY                the stripeService client
  IDEMPOTENCY_TABLE          Powertools' DynamoDB idempotency store (deployed)
  IDEMPOTENCY_SQLITE_PATH    the SQLite idempotency store (`make run`); with neither, an
                             in-memory SQLite store (one process only) and a warning
  IDEMPOTENCY_TTL_SECONDS    how long a key is remembered (default 86400)
  RECEIPTS_BUCKET            S3 bucket of PDF receipts (deployed), or
  SFR3_FILES_DIR             local directory standing in for the receipts bucket
  SCHEDULE_TABLE             the schedule read model's DynamoDB table (deployed), or
  SFR3_READ_MODELS_PATH      its SQLite file (local runs)
  JOBS_QUEUE_URL             the jobs' SQS work queue (deployed)
  JOBS_PAYMENTS_QUEUE_URL    the queue of the jobs that pay through Stripe (autopay sweep)
  STRIPE_RATE_LIMIT_PER_SECOND, JOBS_PAYMENTS_CONCURRENCY
                             the jobs worker's share of Stripe's rate limit
                             (sfr3_adapters.rate_limit)
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sfr3_ledger import LedgerApplication

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.base import (
        BasePersistenceLayer,
    )

    from sfr3_ledger.autopay_runs import AutopaySweeps
    from sfr3_ledger.jobs import WorkQueue
    from sfr3_ledger.payment_provider import PaymentProvider
    from sfr3_ledger.payment_service import PaymentService
    from sfr3_ledger.ports import ReceiptStore
    from sfr3_ledger.read_models.payments import PaymentsIndex
    from sfr3_ledger.read_models.schedule import ScheduleIndex

T = TypeVar("T")
log = logging.getLogger(__name__)
_lock = threading.RLock()
_built: dict[str, Any] = {}


def _once(name: str, build: Any) -> Any:
    with _lock:
        if name not in _built:
            _built[name] = build()
        return _built[name]


def forget(prefix: str) -> None:
    """Forget what was built under names starting with `prefix` (one handler module's
    builders, e.g. `payment_jobs:`), leaving the rest (the ledger) built."""
    with _lock:
        for name in [n for n in _built if n.startswith(prefix)]:
            del _built[name]


def reset() -> None:
    """Forget everything built (the next call rebuilds from the current environment)."""
    with _lock:
        ledger = _built.pop("ledger", None)
        _built.clear()
    if ledger is not None:
        ledger.close()


def ledger() -> LedgerApplication:
    def build() -> LedgerApplication:
        from sfr3_lambdas import config

        config.validate()  # cold start: a malformed variable is named now, not mid-request
        app = LedgerApplication(env=dict(os.environ))
        # History pages and archived payments read the payments read model, if any.
        app.payments_index = payments_index()
        return app

    return _once("ledger", build)  # type: ignore[no-any-return]


def payments_index() -> PaymentsIndex | None:
    """The payments read model (issue 17): DynamoDB (`PAYMENTS_INDEX_TABLE`, the read
    models' table) deployed, SQLite (`SFR3_PAYMENTS_INDEX_PATH`) locally; None without
    either (the ledger then replays an archived resident's history)."""

    def build() -> PaymentsIndex | None:
        table = os.environ.get("PAYMENTS_INDEX_TABLE")
        if table:
            from sfr3_adapters.dynamodb.payments_index import DynamoDBPaymentsIndex

            return DynamoDBPaymentsIndex(
                table, endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
                region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))
        path = os.environ.get("SFR3_PAYMENTS_INDEX_PATH")
        if path:
            from sfr3_adapters.payments_index_sqlite import SQLitePaymentsIndex

            return SQLitePaymentsIndex(path)
        return None

    return _once("payments_index", build)  # type: ignore[no-any-return]


def provider() -> PaymentProvider:
    def build() -> PaymentProvider:
        from sfr3_adapters.stripe_service_client import StripeServiceClient
        from sfr3_lambdas import config

        config.validate_for("provider")  # names a missing STRIPE_SERVICE_URL / _API_KEY
        return StripeServiceClient.from_env()

    return _once("provider", build)  # type: ignore[no-any-return]


def payment_service() -> PaymentService:
    """Imported on first use: the API's reads (a balance, a lease) never need the payment
    flows' modules (payment_service, payment_provider, recovery, ...)."""

    def build() -> PaymentService:
        from sfr3_ledger.payment_service import PaymentService

        return PaymentService(ledger(), provider())

    return _once("service", build)  # type: ignore[no-any-return]


def _store_client() -> Any:
    """A DynamoDB client for one Powertools idempotency store, from the process's boto3
    session: a session of its own would load DynamoDB's model again in the first request
    (sfr3_adapters/aws_clients.py). A client of its own, since Powertools registers its
    user-agent feature on the client it is given."""
    from sfr3_adapters.aws_clients import RETRIES, new_client

    return new_client("dynamodb", config=RETRIES)


def idempotency_store(purpose: str) -> BasePersistenceLayer:
    """One store per purpose: Powertools binds a store to the first config it is used with."""

    def build() -> BasePersistenceLayer:
        table = os.environ.get("IDEMPOTENCY_TABLE")
        if table:
            from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

            return DynamoDBPersistenceLayer(table_name=table, boto3_client=_store_client())
        from sfr3_adapters.idempotency_sqlite import SQLitePersistenceLayer

        path = os.environ.get("IDEMPOTENCY_SQLITE_PATH")
        if not path:
            log.warning("no IDEMPOTENCY_TABLE or IDEMPOTENCY_SQLITE_PATH: keys kept in memory")
        return SQLitePersistenceLayer(path or ":memory:")

    return _once(f"idempotency:{purpose}", build)  # type: ignore[no-any-return]


BACKBONE_DEDUP_SECONDS = 7 * 24 * 3600


def once_per_event(react: Callable[..., T]) -> tuple[Callable[..., T], IdempotencyConfig | None]:
    """`react(envelope=...)` made idempotent on the envelope's `eventId` when
    `BACKBONE_DEDUP_TABLE` is set (Powertools idempotency, remembered 7 days): EventBridge
    delivers at least once, and a redelivery then does nothing. Without the table, `react`
    itself and no config. The config is returned so a handler can register its Lambda
    context (Powertools then stops short of the function's timeout)."""
    table = os.environ.get("BACKBONE_DEDUP_TABLE")
    if not table:
        return react, None
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    config = IdempotencyConfig(event_key_jmespath="eventId",
                               expires_after_seconds=BACKBONE_DEDUP_SECONDS)
    once = idempotent_function(data_keyword_argument="envelope",
                               persistence_store=DynamoDBPersistenceLayer(
                                   table_name=table, boto3_client=_store_client()),
                               config=config)(react)
    return once, config


def idempotency_ttl() -> int:
    return int(os.environ.get("IDEMPOTENCY_TTL_SECONDS", "86400"))


def receipt_store() -> ReceiptStore | None:
    """The store the receipts worker writes to: S3 deployed, a folder locally, else none."""

    def build() -> ReceiptStore | None:
        bucket = os.environ.get("RECEIPTS_BUCKET")
        if bucket:
            from sfr3_adapters.s3 import S3ReceiptStore

            return S3ReceiptStore(bucket)
        files = os.environ.get("SFR3_FILES_DIR")
        if files:
            from sfr3_adapters.local_sinks import LocalReceiptStore

            return LocalReceiptStore(Path(files))
        return None

    return _once("receipts", build)  # type: ignore[no-any-return]


def receipt_url(resident_id: str, payment_id: str) -> str | None:
    """A link to the payment's receipt if one exists (presigned S3 GET deployed, file://
    locally); None when not written yet or on any error."""
    store = receipt_store()
    if store is None:
        return None
    try:
        return store.url_for(resident_id, payment_id)
    except Exception:  # a receipt link is a convenience: never fail the history for it
        log.warning("receipt link unavailable for %s", payment_id, exc_info=True)
        return None


def schedule_index() -> ScheduleIndex:
    """The schedule read model: DynamoDB (`SCHEDULE_TABLE`) deployed, SQLite
    (`SFR3_READ_MODELS_PATH`) locally."""

    def build() -> ScheduleIndex:
        table = os.environ.get("SCHEDULE_TABLE")
        if table:
            from sfr3_adapters.dynamodb.read_models import DynamoDBScheduleIndex

            return DynamoDBScheduleIndex(
                table,
                endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
                region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
            )
        path = os.environ.get("SFR3_READ_MODELS_PATH")
        if path:
            from sfr3_adapters.read_models_sqlite import SQLiteScheduleIndex

            return SQLiteScheduleIndex(path)
        raise RuntimeError("no schedule read model: set SCHEDULE_TABLE or SFR3_READ_MODELS_PATH")

    return _once("schedule_index", build)  # type: ignore[no-any-return]


def autopay_sweeps() -> AutopaySweeps:
    """The autopay sweep's run tally (autopay.sweep.completed): items in the jobs table
    (`SCHEDULE_TABLE`) deployed, the read models' SQLite file locally."""

    def build() -> AutopaySweeps:
        from sfr3_ledger.autopay_runs import AutopaySweeps

        table = os.environ.get("SCHEDULE_TABLE")
        if table:
            from sfr3_adapters.dynamodb.autopay_runs import DynamoDBSweepTally

            return AutopaySweeps(ledger(), DynamoDBSweepTally(
                table, endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
                region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")))
        path = os.environ.get("SFR3_READ_MODELS_PATH")
        if not path:
            raise RuntimeError("no sweep tally: set SCHEDULE_TABLE or SFR3_READ_MODELS_PATH")
        from sfr3_adapters.autopay_runs_sqlite import SQLiteSweepTally

        return AutopaySweeps(ledger(), SQLiteSweepTally(path))

    return _once("autopay_sweeps", build)  # type: ignore[no-any-return]


def work_queue() -> WorkQueue:
    """The jobs' SQS queue (`JOBS_QUEUE_URL`); local runs use an in-process queue instead."""

    def build() -> WorkQueue:
        url = os.environ.get("JOBS_QUEUE_URL")
        if not url:
            raise RuntimeError("JOBS_QUEUE_URL is not set")
        from sfr3_adapters.sqs import SQSWorkQueue

        return SQSWorkQueue(url)

    return _once("work_queue", build)  # type: ignore[no-any-return]


def jobs_payment_service() -> PaymentService:
    """PaymentService for the jobs worker: the same flows as the API's, its provider behind
    this process's share of Stripe's rate limit (sfr3_adapters.rate_limit)."""

    def build() -> PaymentService:
        from sfr3_adapters.rate_limit import RateLimitedProvider
        from sfr3_ledger.payment_service import PaymentService

        return PaymentService(ledger(), RateLimitedProvider.from_env(provider()))

    return _once("jobs_service", build)  # type: ignore[no-any-return]


def payments_queue() -> WorkQueue:
    """The queue of the jobs that pay (`JOBS_PAYMENTS_QUEUE_URL`): its event source's
    maximum concurrency is what the worker's Stripe rate limit is split by."""

    def build() -> WorkQueue:
        url = os.environ.get("JOBS_PAYMENTS_QUEUE_URL")
        if not url:
            raise RuntimeError("JOBS_PAYMENTS_QUEUE_URL is not set")
        from sfr3_adapters.sqs import SQSWorkQueue

        return SQSWorkQueue(url)

    return _once("payments_queue", build)  # type: ignore[no-any-return]
