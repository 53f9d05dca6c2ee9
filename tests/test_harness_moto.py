"""The moto server answers boto3 over real HTTP, with endpoints from the environment."""

import boto3
import pytest


@pytest.mark.moto
def test_boto3_reaches_moto_server_through_environment(moto: str) -> None:
    s3 = boto3.client("s3")
    assert s3.meta.endpoint_url == moto
    s3.create_bucket(Bucket="harness-check")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["harness-check"]
