"""Local stand-ins for the lake, the mailer and the receipts bucket, under `${SFR3_HOME}`.

Layout (docs/events.md):
* `lake/year=YYYY/month=MM/day=DD/part-<first timestamp>-<first eventId>.parquet`: one
  row per envelope, Parquet with Snappy and the Glue table's columns
  (sfr3_adapters.lake_schema), partitioned by the envelope's own UTC day, as the Firehose
  prefix and its record format conversion do;
* `mail/<digest>.eml`: one RFC 5322 message per email;
* `receipts/<residentId>/<paymentId>.pdf`.

Every write is atomic (temp file + rename) and idempotent, which is what lets the local
backbone promise "never twice" without a transaction spanning files and its tracking
record: a batch re-run from the same position rewrites the same part files (a superset
of what a crash left), the same mail files and the same receipts.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sfr3_ledger.integration_events import Envelope, lake_partition


def atomic_write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _compact(stamp: str) -> str:
    return "".join(ch for ch in stamp if ch.isdigit())


def parquet_bytes(envelopes: Sequence[Envelope]) -> bytes:
    """One Parquet file (Snappy) of `envelopes` in the lake's columns. pyarrow is imported
    here, not at module level: the Lambda bundle imports this module's receipt store and
    carries no pyarrow."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sfr3_adapters.lake_schema import table

    sink = pa.BufferOutputStream()
    pq.write_table(table(envelopes), sink, compression="snappy")
    return bytes(sink.getvalue().to_pybytes())


class LocalLake:
    PATTERN = "year=*/month=*/day=*/*.parquet"

    def __init__(self, home: Path) -> None:
        self.root = Path(home) / "lake"

    def write(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        parts: dict[str, list[Envelope]] = {}
        for envelope in envelopes:
            parts.setdefault(lake_partition(envelope), []).append(envelope)
        for partition, group in parts.items():
            first = group[0]
            name = f"part-{_compact(str(first['timestamp']))}-{first['eventId']}.parquet"
            atomic_write(self.root / partition / name, parquet_bytes(group))
        return []

    def files(self) -> list[Path]:
        return sorted(self.root.glob(self.PATTERN))

    def rows(self) -> list[dict[str, Any]]:
        """Every row of every part file, in file order (repeats included), as envelopes
        with every `data` field (null where the envelope had none)."""
        import pyarrow.parquet as pq

        out: list[dict[str, Any]] = []
        for path in self.files():
            out += pq.read_table(path).to_pylist()
        for row in out:
            counts = row["data"].get("counts")
            if counts is not None:
                row["data"]["counts"] = dict(counts)
        return out


class LocalMailer:
    def __init__(self, home: Path, from_email: str = "payments@localhost") -> None:
        self.root = Path(home) / "mail"
        self.from_email = from_email

    def send(self, *, to: str, subject: str, text: str, html: str) -> str:
        digest = hashlib.sha256("\0".join((to, subject, text, html)).encode()).hexdigest()[:32]
        message = EmailMessage()
        message["From"] = self.from_email
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = f"<{digest}@sfr3.local>"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        atomic_write(self.root / f"{digest}.eml", bytes(message))
        return digest


class LocalReceiptStore:
    def __init__(self, home: Path) -> None:
        self.root = Path(home) / "receipts"

    def path(self, resident_id: str, payment_id: str) -> Path:
        return self.root / quote(resident_id, safe="") / f"{quote(payment_id, safe='')}.pdf"

    def put(self, resident_id: str, payment_id: str, pdf: bytes) -> str:
        path = self.path(resident_id, payment_id)
        atomic_write(path, pdf)
        return str(path.relative_to(self.root.parent))

    def url_for(self, resident_id: str, payment_id: str) -> str | None:
        path = self.path(resident_id, payment_id)
        return path.resolve().as_uri() if path.exists() else None
