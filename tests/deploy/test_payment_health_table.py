"""The payment-health read model's table is deployed as the adapter creates it, written by
the stream processor and read by the API, both told its name."""

from __future__ import annotations

from sfr3_adapters.dynamodb.payment_health import table_definition
from tests.deploy.conftest import STAGE, Package


def test_the_table_matches_the_adapter(package: Package) -> None:
    props = package.resources["PaymentHealthTable"]["Properties"]
    wanted = table_definition(f"sfr3-{STAGE}-payment-health")
    for key in ("TableName", "KeySchema", "AttributeDefinitions", "BillingMode"):
        assert props[key] == wanted[key], key
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True


def test_writer_and_reader_know_the_table_and_the_threshold(package: Package) -> None:
    functions = package.functions()
    for name in ("StreamProcessorLambdaFunction", "ApiLambdaFunction"):
        env = functions[name]["Properties"]["Environment"]["Variables"]
        assert env["PAYMENT_HEALTH_TABLE"] == f"sfr3-{STAGE}-payment-health"
    api_env = functions["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    threshold = package.resources["PaymentFailureRateAlarm"]["Properties"]["Threshold"]
    assert float(api_env["PAYMENT_FAILURE_RATE_THRESHOLD"]) == float(threshold)
