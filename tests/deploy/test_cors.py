"""CORS deployed (issue 16): API Gateway answers the preflight of every API route, its own
errors carry Access-Control-Allow-Origin, and the api function gets the same origins.

The function's side (Powertools' CORSConfig from SFR3_CORS_ORIGINS) is tested with the API;
here: the deploy configuration agrees with it (origins, headers, max age)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import CORSConfig

from sfr3_lambdas import config
from sfr3_lambdas.api import cors
from sfr3_lambdas.api.errors import GatewayError
from tests.deploy.conftest import Package
from tests.deploy.test_routes import ROUTES, _paths

DEV_ORIGINS = "http://localhost:3000,http://localhost:5173"


def _preflights(package: Package) -> dict[str, dict[str, Any]]:
    paths = _paths(package.resources)
    return {paths[r["Properties"]["ResourceId"]["Ref"]]: r["Properties"]
            for r in package.resources.values()
            if r["Type"] == "AWS::ApiGateway::Method"
            and r["Properties"]["HttpMethod"] == "OPTIONS"}


def _api_paths() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for (method, path), (_, function) in ROUTES.items():
        if function == "ApiLambdaFunction":
            out.setdefault(path, set()).add(method)
    return out


def test_every_api_route_has_a_preflight_without_token_or_lambda(package: Package) -> None:
    preflights = _preflights(package)
    assert set(preflights) == set(_api_paths())  # not /webhooks/stripe, not /internal/stripe
    for path, props in preflights.items():
        assert props["AuthorizationType"] == "NONE", path
        assert not props.get("ApiKeyRequired"), path
        assert props["Integration"]["Type"] == "MOCK", path
        (answer,) = props["Integration"]["IntegrationResponses"]
        headers = {k.removeprefix("method.response.header."): v.strip("'")
                   for k, v in answer["ResponseParameters"].items()}
        assert set(headers["Access-Control-Allow-Methods"].split(",")) == \
            _api_paths()[path] | {"OPTIONS"}, path
        assert int(headers["Access-Control-Max-Age"]) == cors.MAX_AGE_SECONDS
        assert "Access-Control-Allow-Credentials" not in headers
        # What the function itself allows (Powertools' required headers + ours).
        allowed = set(headers["Access-Control-Allow-Headers"].split(","))
        assert set(CORSConfig._REQUIRED_HEADERS) | set(cors.ALLOW_HEADERS) <= allowed
        # Several origins: the caller's origin is echoed when it is one of them.
        template = answer["ResponseTemplates"]["application/json"]
        first, *others = DEV_ORIGINS.split(",")
        assert headers["Access-Control-Allow-Origin"] == first
        for origin in others:
            assert f'$origin.matches("{origin.replace(".", "[.]")}")' in template
        assert "responseOverride.header.Access-Control-Allow-Origin = $origin" in template


def test_the_api_function_allows_the_same_origins(package: Package) -> None:
    functions = package.functions()
    variables = functions["ApiLambdaFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["SFR3_CORS_ORIGINS"] == DEV_ORIGINS
    assert config.cors_origins(variables["SFR3_CORS_ORIGINS"]) == DEV_ORIGINS.split(",")
    others = [k for k, f in functions.items() if k != "ApiLambdaFunction"
              and "SFR3_CORS_ORIGINS" in f["Properties"]["Environment"]["Variables"]]
    assert not others


def test_the_gateways_own_errors_carry_the_cors_headers(package: Package) -> None:
    responses = {r["Properties"]["ResponseType"]: r["Properties"]
                 for r in package.resources.values()
                 if r["Type"] == "AWS::ApiGateway::GatewayResponse"}
    assert {"DEFAULT_4XX", "DEFAULT_5XX"} <= set(responses)
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        props = responses[kind]
        assert props["RestApiId"] == {"Ref": "ApiGatewayRestApi"}
        params = props["ResponseParameters"]
        assert params["gatewayresponse.header.Access-Control-Allow-Origin"] == \
            "method.request.header.origin"
        assert params["gatewayresponse.header.Vary"] == "'Origin'"
        # The body the API's document gives the gateway's own errors (GatewayError).
        template = props["ResponseTemplates"]["application/json"]
        rendered = template.replace("$context.error.messageString", json.dumps("Unauthorized"))
        assert GatewayError.model_validate_json(rendered).message == "Unauthorized"


def test_every_stage_gets_valid_origins(prod_config: dict[str, Any]) -> None:
    """A stage without corsOrigins gets its example front end; every value must be what
    the function accepts (it refuses to start on a malformed SFR3_CORS_ORIGINS)."""
    origins = prod_config["custom"]["corsOrigins"]
    assert origins == "https://app-prod.example.com"
    assert config.cors_origins(origins) == [origins]
    api = prod_config["functions"]["api"]
    assert api["environment"]["SFR3_CORS_ORIGINS"] == origins
    assert all(e["http"]["cors"]["origin"] == origins for e in api["events"])
