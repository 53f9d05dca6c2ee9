"""docs/openapi.json is generated from the routes; this fails when it is stale."""

from __future__ import annotations

import json

from sfr3_dev import openapi


def test_openapi_document_is_current():
    assert openapi.DOC.read_text() == openapi.render(), (
        "docs/openapi.json is stale: run `.venv/bin/python -m sfr3_dev.openapi`")


def test_openapi_lists_every_route_of_the_brief():
    doc = json.loads(openapi.DOC.read_text())
    routes = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert routes == {
        ("POST", "/residents/{residentId}/payment-methods"),
        ("GET", "/residents/{residentId}/payment-methods"),
        ("DELETE", "/residents/{residentId}/payment-methods/{methodId}"),
        ("POST", "/residents/{residentId}/charges"),
        ("POST", "/residents/{residentId}/payments"),
        ("GET", "/residents/{residentId}/payments"),
        ("GET", "/residents/{residentId}/balance"),
        ("POST", "/residents/{residentId}/payments/{paymentId}/refund"),
        ("GET", "/residents/{residentId}/charges"),
        ("POST", "/residents/{residentId}/lease"),
        ("GET", "/residents/{residentId}/lease"),
        ("PATCH", "/residents/{residentId}/lease"),
        ("POST", "/residents/{residentId}/lease/end"),
        ("POST", "/residents/{residentId}/autopay"),
        ("GET", "/residents/{residentId}/autopay"),
        ("PATCH", "/residents/{residentId}/autopay"),
        ("POST", "/residents/{residentId}/autopay/pause"),
        ("POST", "/residents/{residentId}/autopay/resume"),
        ("POST", "/residents/{residentId}/autopay/cancel"),
        # Issue 14: disputes and reconciliation reports (finance).
        ("GET", "/disputes"),
        ("GET", "/disputes/{disputeId}"),
        ("POST", "/disputes/{disputeId}/evidence"),
        ("POST", "/disputes/{disputeId}/submit"),
        ("GET", "/reports/reconciliation"),
        ("GET", "/reports/reconciliation/{day}"),
        # Issue 15: payment health (staff).
        ("GET", "/analytics/payment-health"),
    }


def _operations(doc: dict) -> list[tuple[str, str, dict]]:
    return [(m.upper(), p, op) for p, ops in doc["paths"].items() for m, op in ops.items()]


def test_every_operation_documents_its_success_body_and_its_errors():
    """No `{"type": "string"}` success, Powertools' 422 HTTPValidationError gone, every
    error status with the one error body, the bearer scheme."""
    doc = json.loads(openapi.DOC.read_text())
    schemas = doc["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert doc["components"]["securitySchemes"] == {
        "cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
    assert doc["security"] == [{"cognito": []}]
    for method, path, op in _operations(doc):
        statuses = {int(s) for s in op["responses"]}
        [success] = [s for s in statuses if s < 400]
        body = op["responses"][str(success)]["content"]["application/json"]["schema"]
        assert "$ref" in body, (method, path, body)
        assert {400, 401, 403, 415, 500} <= statuses, (method, path)
        for status in statuses - {success}:
            schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
            refs = [schema.get("$ref")] + [s.get("$ref") for s in schema.get("anyOf", [])]
            assert "#/components/schemas/ErrorBody" in refs, (method, path, status)
    assert set(schemas["ErrorBody"]["required"]) == {"error", "code"}


def test_the_idempotency_key_is_documented_exactly_where_it_is_honoured():
    """A route that runs through `requests.once` is marked `@idempotent` (and only such a
    route), so the document lists the header (and 422) exactly where the API honours it."""
    from sfr3_lambdas.api import app, contract, policy

    routes = policy.routes(app)
    honoured = {(r.method, r.openapi_path) for r in routes if "once" in r.func.__code__.co_names}
    marked = {(r.method, r.openapi_path) for r in routes
              if getattr(r.func, contract.IDEMPOTENT_ATTRIBUTE, False)}
    assert honoured == marked and honoured
    doc = json.loads(openapi.DOC.read_text())
    for method, path, op in _operations(doc):
        headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
        listed = (method, path) in honoured
        assert (headers == ["Idempotency-Key"]) is listed, (method, path, headers)
        assert ("422" in op["responses"]) is listed, (method, path)
