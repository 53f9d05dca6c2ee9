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
