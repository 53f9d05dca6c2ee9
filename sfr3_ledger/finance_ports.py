"""Finance's file ports: where reconciliation reports and dispute evidence are kept.

Implemented by `sfr3_adapters.finance_files` (S3 deployed, a folder under SFR3_HOME
locally). Keys are built by the callers from validated ids (`reconciliation/YYYY/MM/DD/…`,
`disputes/<disputeId>/<category>/<file>`).
"""

from __future__ import annotations

from typing import Any, Protocol


class ReportStore(Protocol):
    """The reports bucket: the job writes, finance reads through the API."""

    def put(self, key: str, body: bytes, content_type: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def keys(self, prefix: str) -> list[str]:
        """Every stored key under `prefix`, sorted."""
        ...


class EvidenceStore(ReportStore, Protocol):
    """The evidence bucket: files are uploaded straight to it, never through the API."""

    def upload_target(self, key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
        """Where a client uploads `key` (a presigned POST deployed)."""
        ...

    def size(self, key: str) -> int | None: ...
