"""What the finance routes and jobs build once per cold start (like `wiring.py`).

Environment:
  FINANCE_TABLE                  the finance read models' DynamoDB table (deployed), or
  SFR3_FINANCE_READ_MODELS_PATH  their SQLite file (local runs)
  FINANCE_EMAIL                  where dispute alerts and reminders go
  REPORTS_BUCKET | SFR3_REPORTS_DIR     reconciliation reports: S3 deployed, a folder locally
  EVIDENCE_BUCKET | SFR3_EVIDENCE_DIR   dispute evidence: S3 deployed, a folder locally
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sfr3_lambdas.wiring import _once
from sfr3_ledger.finance_ports import EvidenceStore, ReportStore


def _files(bucket_var: str, dir_var: str) -> Any:
    bucket = os.environ.get(bucket_var)
    if bucket:
        from sfr3_adapters.finance_files import S3Files

        return S3Files(bucket)
    folder = os.environ.get(dir_var)
    if folder:
        from sfr3_adapters.finance_files import LocalFiles

        return LocalFiles(Path(folder))
    raise RuntimeError(f"set {bucket_var} or {dir_var}")


def reports_store() -> ReportStore:
    return _once("finance:reports",  # type: ignore[no-any-return]
                 lambda: _files("REPORTS_BUCKET", "SFR3_REPORTS_DIR"))


def evidence_store() -> EvidenceStore:
    return _once("finance:evidence",  # type: ignore[no-any-return]
                 lambda: _files("EVIDENCE_BUCKET", "SFR3_EVIDENCE_DIR"))


def _path() -> str:
    path = os.environ.get("SFR3_FINANCE_READ_MODELS_PATH")
    if not path:
        raise RuntimeError("SFR3_FINANCE_READ_MODELS_PATH is not set")
    return path


def _dynamodb(kind: str) -> Any:
    from sfr3_adapters.dynamodb import finance_tables

    return getattr(finance_tables, kind)(
        os.environ["FINANCE_TABLE"],
        endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
        region_name=os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"))


def _store(dynamodb_kind: str, sqlite_kind: str) -> Any:
    if os.environ.get("FINANCE_TABLE"):
        return _dynamodb(dynamodb_kind)
    from sfr3_adapters import finance_read_models_sqlite

    return getattr(finance_read_models_sqlite, sqlite_kind)(_path())


def disputes_index() -> Any:
    return _once("finance:disputes", lambda: _store("DynamoDBDisputes", "SQLiteDisputes"))


def settled_facts() -> Any:
    return _once("finance:settled",
                 lambda: _store("DynamoDBSettledFacts", "SQLiteSettledFacts"))


def alert_log() -> Any:
    return _once("finance:alerts", lambda: _store("DynamoDBAlertLog", "SQLiteAlertLog"))


def mailer() -> Any:
    """SES deployed (from FROM_EMAIL); locally the mail folder under SFR3_HOME."""

    def build() -> Any:
        home = os.environ.get("SFR3_HOME")
        if not os.environ.get("FINANCE_TABLE") and home:
            from sfr3_adapters.local_sinks import LocalMailer

            return LocalMailer(Path(home), os.environ.get("FROM_EMAIL") or "payments@localhost")
        from sfr3_adapters.ses import SesMailer

        return SesMailer(os.environ.get("FROM_EMAIL", ""))

    return _once("finance:mailer", build)


def finance_email() -> str | None:
    return os.environ.get("FINANCE_EMAIL") or None
