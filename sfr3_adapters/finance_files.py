"""Finance's files: reconciliation reports and dispute evidence, in S3 or a local folder.

Two buckets deployed (resources/reconciliation.yml): reports (`REPORTS_BUCKET`) and
dispute evidence (`EVIDENCE_BUCKET`). Locally each is a folder under SFR3_HOME
(`reports/`, `evidence/`). Keys are built by the callers from validated ids; a key that
could climb out of its folder (`..`, absolute) is refused here as well.

Evidence is uploaded by the browser straight to S3 through a presigned POST (size and
content type enforced by the policy, so no file passes through API Gateway's 10 MB
limit or a Lambda); locally the target is the file's path in the folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from sfr3_adapters.s3 import S3Bucket, not_found


def _safe(key: str) -> str:
    parts = key.split("/")
    if not key or key.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"unsafe key {key!r}")
    return key


class LocalFiles:
    """A folder standing in for a bucket (`make run`, tests)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def put(self, key: str, body: bytes, content_type: str) -> None:
        path = self.root / _safe(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(body)
        tmp.replace(path)

    def get(self, key: str) -> bytes | None:
        path = self.root / _safe(key)
        return path.read_bytes() if path.is_file() else None

    def keys(self, prefix: str) -> list[str]:
        base = self.root
        if not base.exists():
            return []
        found = [p.relative_to(base).as_posix() for p in base.rglob("*")
                 if p.is_file() and not p.name.endswith(".tmp")]
        return sorted(k for k in found if k.startswith(prefix))

    def url_for(self, key: str) -> str:
        return (self.root / _safe(key)).resolve().as_uri()

    def upload_target(self, key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
        """Where a client puts `key`: the file itself, in the folder (a local tool or test
        writes it there; deployed, the browser POSTs to S3)."""
        return {"method": "FILE", "url": self.url_for(key),
                "path": str((self.root / _safe(key)).resolve()),
                "headers": {"Content-Type": content_type}, "maxBytes": max_bytes}

    def size(self, key: str) -> int | None:
        path = self.root / _safe(key)
        return path.stat().st_size if path.is_file() else None


class S3Files(S3Bucket):
    def put(self, key: str, body: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=_safe(key), Body=body,
                               ContentType=content_type)

    def get(self, key: str) -> bytes | None:
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=_safe(key))
        except ClientError as exc:
            if not_found(exc):
                return None
            raise
        return bytes(answer["Body"].read())

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix):
            found += [str(o["Key"]) for o in page.get("Contents", [])]
        return sorted(found)

    def url_for(self, key: str) -> str:
        return self.presigned_get(_safe(key))

    def upload_target(self, key: str, content_type: str, max_bytes: int) -> dict[str, Any]:
        """A presigned POST: S3 itself refuses another type or a larger file."""
        post = self.client.generate_presigned_post(
            Bucket=self.bucket, Key=_safe(key),
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type},
                        ["content-length-range", 1, max_bytes]],
            ExpiresIn=self.url_seconds)
        return {"method": "POST", "url": post["url"], "fields": post["fields"],
                "maxBytes": max_bytes}

    def size(self, key: str) -> int | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=_safe(key))
        except ClientError as exc:
            if not_found(exc):
                return None
            raise
        return int(head["ContentLength"])
