"""The payment-health read model's store, built once per cold start (like `wiring.py`).

Environment:
  PAYMENT_HEALTH_TABLE            the read model's DynamoDB table (deployed; the stream
                                  processor writes it)
  PAYMENT_HEALTH_SQLITE_PATH      the read model's SQLite file (`make run`: written by its
                                  follower of the log, `${SFR3_HOME}/payment-health.db`)
  PAYMENT_FAILURE_RATE_THRESHOLD  the failure-rate alert threshold in percent (default 15;
                                  deployed: custom.alerting.failureRateThresholdPercent,
                                  the same value the alarm uses)
"""

from __future__ import annotations

import os

from sfr3_lambdas.wiring import _once
from sfr3_ledger.read_models.payment_health import PaymentHealthStore

DEFAULT_THRESHOLD = 15.0


def payment_health_store() -> PaymentHealthStore:
    table = os.environ.get("PAYMENT_HEALTH_TABLE")
    if table:
        def build_table() -> PaymentHealthStore:
            from sfr3_adapters.dynamodb.payment_health import DynamoDBPaymentHealthStore

            return DynamoDBPaymentHealthStore(
                table, endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
                region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))

        return _once(f"payment_health:table:{table}", build_table)  # type: ignore[no-any-return]
    path = os.environ.get("PAYMENT_HEALTH_SQLITE_PATH")
    if not path:
        raise RuntimeError("no payment-health read model: set PAYMENT_HEALTH_TABLE or "
                           "PAYMENT_HEALTH_SQLITE_PATH")

    def build() -> PaymentHealthStore:
        from sfr3_adapters.payment_health_sqlite import SQLitePaymentHealthStore

        return SQLitePaymentHealthStore(path)

    return _once(f"payment_health:{path}", build)  # type: ignore[no-any-return]


def failure_rate_threshold() -> float:
    try:
        return float(os.environ.get("PAYMENT_FAILURE_RATE_THRESHOLD") or DEFAULT_THRESHOLD)
    except ValueError:
        return DEFAULT_THRESHOLD
