"""Each function logs under its own service name (issue 16): POWERTOOLS_SERVICE_NAME is set
per function in serverless.yml to the function's name, never once for the whole service
(sfr3_lambdas/log_context.py reads it; tests/test_log_routing.py checks the reading)."""

from __future__ import annotations

from tests.deploy.conftest import Package


def test_every_function_has_its_own_service_name(package: Package) -> None:
    functions = package.state["service"]["functions"]
    assert len(functions) == len(package.functions())
    assert "POWERTOOLS_SERVICE_NAME" not in package.state["service"]["provider"]["environment"]
    by_logical = {}
    for name, function in functions.items():
        assert function["environment"]["POWERTOOLS_SERVICE_NAME"] == name
        logical = f"{name[0].upper()}{name[1:]}LambdaFunction"
        by_logical[logical] = name
    for logical, resource in package.functions().items():
        variables = resource["Properties"]["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == by_logical[logical]
        # Log level and metrics namespace stay common.
        assert variables["LOG_LEVEL"] == "DEBUG"
        assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "SFR3Payments"
