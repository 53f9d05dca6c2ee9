"""Every HTTP route of SPEC §3 and issues 11-12 exists, on the intended function and guard."""

from __future__ import annotations

from typing import Any

from tests.deploy.conftest import STAGE, Package

COGNITO = "cognito"
NONE = "none"
API_KEY = "api-key"

# SPEC §3 and issues 11-12, verbatim paths: (method, path) -> (guard, function logical id).
ROUTES: dict[tuple[str, str], tuple[str, str]] = {
    ("POST", "/residents/{residentId}/payment-methods"): (COGNITO, "ApiLambdaFunction"),
    ("GET", "/residents/{residentId}/payment-methods"): (COGNITO, "ApiLambdaFunction"),
    ("DELETE", "/residents/{residentId}/payment-methods/{methodId}"): (
        COGNITO,
        "ApiLambdaFunction",
    ),
    ("POST", "/residents/{residentId}/charges"): (COGNITO, "ApiLambdaFunction"),
    ("POST", "/residents/{residentId}/payments"): (COGNITO, "ApiLambdaFunction"),
    ("GET", "/residents/{residentId}/balance"): (COGNITO, "ApiLambdaFunction"),
    ("GET", "/residents/{residentId}/payments"): (COGNITO, "ApiLambdaFunction"),
    ("POST", "/residents/{residentId}/payments/{paymentId}/refund"): (
        COGNITO,
        "ApiLambdaFunction",
    ),
    # Issue 11: the statement and leases.
    ("GET", "/residents/{residentId}/charges"): (COGNITO, "ApiLambdaFunction"),
    ("POST", "/residents/{residentId}/lease"): (COGNITO, "ApiLambdaFunction"),
    ("GET", "/residents/{residentId}/lease"): (COGNITO, "ApiLambdaFunction"),
    ("PATCH", "/residents/{residentId}/lease"): (COGNITO, "ApiLambdaFunction"),
    ("POST", "/residents/{residentId}/lease/end"): (COGNITO, "ApiLambdaFunction"),
    # Issue 12: autopay.
    ("POST", "/residents/{residentId}/autopay"): (COGNITO, "ApiLambdaFunction"),
    ("GET", "/residents/{residentId}/autopay"): (COGNITO, "ApiLambdaFunction"),
    ("PATCH", "/residents/{residentId}/autopay"): (COGNITO, "ApiLambdaFunction"),
    ("POST", "/residents/{residentId}/autopay/pause"): (COGNITO, "ApiLambdaFunction"),
    ("POST", "/residents/{residentId}/autopay/resume"): (COGNITO, "ApiLambdaFunction"),
    ("POST", "/residents/{residentId}/autopay/cancel"): (COGNITO, "ApiLambdaFunction"),
    ("POST", "/webhooks/stripe"): (NONE, "StripeWebhookLambdaFunction"),
    ("POST", "/internal/stripe"): (API_KEY, "StripeServiceLambdaFunction"),
}

# Issue 15: payment health for staff, on the API function.
ROUTES[("GET", "/analytics/payment-health")] = (COGNITO, "ApiLambdaFunction")

# Issue 14: finance's disputes and reconciliation reports, on the API function.
ROUTES.update({(method, path): (COGNITO, "ApiLambdaFunction") for method, path in [
    ("GET", "/disputes"), ("GET", "/disputes/{disputeId}"),
    ("POST", "/disputes/{disputeId}/evidence"), ("POST", "/disputes/{disputeId}/submit"),
    ("GET", "/reports/reconciliation"), ("GET", "/reports/reconciliation/{day}")]})


def _paths(resources: dict[str, Any]) -> dict[str, str]:
    """ApiGateway::Resource logical id -> full path."""
    parts = {
        k: (v["Properties"]["ParentId"], v["Properties"]["PathPart"])
        for k, v in resources.items()
        if v["Type"] == "AWS::ApiGateway::Resource"
    }

    def full(logical: str) -> str:
        parent, part = parts[logical]
        prefix = full(parent["Ref"]) if "Ref" in parent else ""
        return f"{prefix}/{part}"

    return {k: full(k) for k in parts}


def _methods(package: Package) -> dict[tuple[str, str], dict[str, Any]]:
    resources = package.resources
    paths = _paths(resources)
    methods: dict[tuple[str, str], dict[str, Any]] = {}
    for method in resources.values():
        if method["Type"] != "AWS::ApiGateway::Method":
            continue
        props = method["Properties"]
        if props["HttpMethod"] == "OPTIONS":  # CORS preflights: tests/deploy/test_cors.py
            continue
        path = paths[props["ResourceId"]["Ref"]]
        methods[(props["HttpMethod"], path)] = props
    return methods


def _guard(props: dict[str, Any]) -> str:
    if props["AuthorizationType"] == "COGNITO_USER_POOLS":
        assert props["AuthorizerId"] == {"Ref": "CognitoAuthorizer"}
        assert not props.get("ApiKeyRequired")
        return COGNITO
    assert props["AuthorizationType"] == "NONE", props
    return API_KEY if props.get("ApiKeyRequired") else NONE


def _target(props: dict[str, Any]) -> str:
    parts = props["Integration"]["Uri"]["Fn::Join"][1]
    (function,) = [p["Fn::GetAtt"][0] for p in parts if isinstance(p, dict) and "Fn::GetAtt" in p]
    assert props["Integration"]["Type"] == "AWS_PROXY"
    return str(function)


def test_the_routes_are_exactly_spec_section_3(package: Package) -> None:
    assert set(_methods(package)) == set(ROUTES)


def test_each_route_has_its_guard_and_function(package: Package) -> None:
    actual = {key: (_guard(p), _target(p)) for key, p in _methods(package).items()}
    assert actual == ROUTES


def test_the_authorizer_is_the_user_pool(package: Package) -> None:
    authorizer = package.resources["CognitoAuthorizer"]["Properties"]
    assert authorizer["Type"] == "COGNITO_USER_POOLS"
    assert authorizer["ProviderARNs"] == [{"Fn::GetAtt": ["UserPool", "Arn"]}]
    assert authorizer["IdentitySource"] == "method.request.header.Authorization"
    groups = {
        r["Properties"]["GroupName"]
        for r in package.resources.values()
        if r["Type"] == "AWS::Cognito::UserPoolGroup"
    }
    assert groups == {"property-managers", "finance"}
    schema = package.resources["UserPool"]["Properties"]["Schema"]
    assert any(a["Name"] == "residentId" for a in schema)
    client = package.resources["UserPoolClient"]["Properties"]
    # Only an administrator may bind a user to a resident.
    assert "custom:residentId" not in client["WriteAttributes"]
    assert "custom:residentId" in client["ReadAttributes"]


def test_the_api_key_is_a_reference_and_in_a_throttled_usage_plan(package: Package) -> None:
    resources = package.resources
    (key,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::ApiKey"]
    assert key["Properties"]["Value"] == f"{{{{resolve:ssm:/sfr3/{STAGE}/STRIPE_SERVICE_API_KEY}}}}"
    (plan,) = [r for r in resources.values() if r["Type"] == "AWS::ApiGateway::UsagePlan"]
    assert plan["Properties"]["ApiStages"][0]["Stage"] == STAGE
    assert set(plan["Properties"]["Throttle"]) == {"BurstLimit", "RateLimit"}


def test_the_stage_is_throttled(package: Package) -> None:
    (deployment,) = [
        r for r in package.resources.values() if r["Type"] == "AWS::ApiGateway::Deployment"
    ]
    stage = deployment["Properties"]["StageDescription"]
    assert stage["ThrottlingRateLimit"] > 0
    assert stage["ThrottlingBurstLimit"] >= stage["ThrottlingRateLimit"]
