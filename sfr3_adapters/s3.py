"""S3 receipt store: `receipts/{residentId}/{paymentId}.pdf`, linked by presigned URL.

Ids are opaque strings, so each is percent-encoded into its key segment: a `/` in an id
can never climb into another resident's prefix.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from botocore.exceptions import ClientError

from sfr3_adapters.aws_clients import client as aws_client

URL_SECONDS = 15 * 60


def receipt_key(resident_id: str, payment_id: str) -> str:
    return f"receipts/{quote(resident_id, safe='')}/{quote(payment_id, safe='')}.pdf"


NOT_FOUND = frozenset({"404", "NoSuchKey", "NotFound"})


def not_found(exc: ClientError) -> bool:
    """S3's answer for a missing object (GET says NoSuchKey, HEAD only 404)."""
    return exc.response.get("Error", {}).get("Code") in NOT_FOUND


class S3Bucket:
    """One bucket, its client (built on first use unless given) and how long the presigned
    URLs handed out for its objects live. Shared by the receipts and finance's files."""

    MISSING = "a bucket name is required"

    def __init__(self, bucket: str, *, client: Any = None, url_seconds: int = URL_SECONDS) -> None:
        if not bucket:
            raise ValueError(self.MISSING)
        self.bucket = bucket
        self._client = client
        self.url_seconds = url_seconds

    @property
    def client(self) -> Any:
        return self._client or aws_client("s3")

    def presigned_get(self, key: str) -> str:
        return str(self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": key},
            ExpiresIn=self.url_seconds))


class S3ReceiptStore(S3Bucket):
    MISSING = "RECEIPTS_BUCKET must be set"

    def put(self, resident_id: str, payment_id: str, pdf: bytes) -> str:
        key = receipt_key(resident_id, payment_id)
        self.client.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=pdf,
            ContentType="application/pdf",
            ContentDisposition=f'inline; filename="receipt-{quote(payment_id, safe="")}.pdf"',
        )
        return key

    def url_for(self, resident_id: str, payment_id: str) -> str | None:
        key = receipt_key(resident_id, payment_id)
        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if not_found(exc):
                return None
            raise
        return self.presigned_get(key)
