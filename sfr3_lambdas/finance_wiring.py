"""What the finance routes and jobs build once per cold start (like `wiring.py`).

Environment:
  SFR3_FINANCE_READ_MODELS_PATH  the finance read models' SQLite file (local runs); the
                                 deployed DynamoDB tables are not built yet (docs/reconciliation.md)
  REPORTS_BUCKET | SFR3_REPORTS_DIR     reconciliation reports: S3 deployed, a folder locally
  EVIDENCE_BUCKET | SFR3_EVIDENCE_DIR   dispute evidence: S3 deployed, a folder locally
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sfr3_lambdas.wiring import _once


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


def reports_store() -> Any:
    return _once("finance:reports", lambda: _files("REPORTS_BUCKET", "SFR3_REPORTS_DIR"))


def evidence_store() -> Any:
    return _once("finance:evidence", lambda: _files("EVIDENCE_BUCKET", "SFR3_EVIDENCE_DIR"))


def _path() -> str:
    path = os.environ.get("SFR3_FINANCE_READ_MODELS_PATH")
    if not path:
        raise RuntimeError("SFR3_FINANCE_READ_MODELS_PATH is not set")
    return path


def disputes_index() -> Any:
    from sfr3_adapters.finance_read_models_sqlite import SQLiteDisputes

    return _once("finance:disputes", lambda: SQLiteDisputes(_path()))


def settled_facts() -> Any:
    from sfr3_adapters.finance_read_models_sqlite import SQLiteSettledFacts

    return _once("finance:settled", lambda: SQLiteSettledFacts(_path()))
