"""Finance's file stores (sfr3_adapters/finance_files.py): the reports and evidence buckets
on S3 (moto, real HTTP) and the local folder behave alike; keys never climb out."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from sfr3_adapters import aws_clients
from sfr3_adapters.finance_files import LocalFiles, S3Files

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "local":
        yield LocalFiles(tmp_path / "files")
        return
    request.getfixturevalue("moto")
    aws_clients.reset()
    bucket = f"files-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
    yield S3Files(bucket)
    aws_clients.reset()


def test_put_get_list_and_size(store: Any) -> None:
    assert store.get("reconciliation/2026/03/01/summary.json") is None
    assert store.size("disputes/dp_1/receipt/lease.pdf") is None
    store.put("reconciliation/2026/03/01/summary.json", b"{}", "application/json")
    store.put("reconciliation/2026/03/02/report.csv", b"a,b\n", "text/csv")
    store.put("disputes/dp_1/receipt/lease.pdf", PDF, "application/pdf")
    assert store.get("reconciliation/2026/03/01/summary.json") == b"{}"
    assert store.keys("reconciliation/") == ["reconciliation/2026/03/01/summary.json",
                                            "reconciliation/2026/03/02/report.csv"]
    assert store.keys("disputes/dp_1/") == ["disputes/dp_1/receipt/lease.pdf"]
    assert store.size("disputes/dp_1/receipt/lease.pdf") == len(PDF)
    for bad in ("../x", "/etc/passwd", "disputes//x", "a/./b", ""):
        with pytest.raises(ValueError):
            store.put(bad, b"x", "text/plain")


def test_the_upload_target_takes_the_file(store: Any) -> None:
    key = "disputes/dp_2/uncategorized_file/photo.png"
    target = store.upload_target(key, "image/png", 2 * 1024 * 1024)
    assert target["maxBytes"] == 2 * 1024 * 1024
    if target["method"] == "FILE":  # the local folder: the file goes to its path
        Path(target["path"]).parent.mkdir(parents=True, exist_ok=True)
        Path(target["path"]).write_bytes(b"\x89PNG\r\n\x1a\nrest")
    else:  # S3: a presigned POST, as a browser sends it
        assert target["fields"]["Content-Type"] == "image/png"
        answer = requests.post(target["url"], data=target["fields"],
                               files={"file": ("photo.png", b"\x89PNG\r\n\x1a\nrest")},
                               timeout=10)
        assert answer.status_code in (200, 201, 204), answer.text
    assert store.get(key) == b"\x89PNG\r\n\x1a\nrest"
