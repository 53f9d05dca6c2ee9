"""Schemathesis, bounded: requests generated from docs/openapi.json (valid and invalid ones)
against the local stack. Every answer conforms to the document — a status code the
operation lists, a content type it lists for that status, a body that validates against
that status's schema (the success models, `ErrorBody`), the headers it declares — no answer
is a 5xx, and a refused request changes no stored event.

Bounded on purpose (a few examples per operation and mode) so it stays a CI test; the
path's residentId is pinned to the token's resident so requests reach the handlers
instead of stopping at the 403.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from tests.api.support import footprint
from tests.e2e.stack import Client, charge, enroll

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
SCHEMA = schemathesis.openapi.from_path(str(DOC))
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
STAFF_ONLY = {("POST", "/residents/{residentId}/charges"),
              ("POST", "/residents/{residentId}/payments/{paymentId}/refund")}
EXAMPLES = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=["valid", "invalid"])
@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_answers_conform_and_refusals_change_nothing(stack, rid, operation, mode):
    resident_token = stack.token(resident=rid)
    staff_token = stack.token(staff="fuzz", groups=("finance",))
    resident, staff = Client(stack, resident_token), Client(stack, staff_token)
    enroll(resident, rid)
    charge(staff, rid, 5000)
    token = staff_token if (operation.method.upper(), operation.path) in STAFF_ONLY \
        else resident_token
    seen: list[int] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        if case.path_parameters and "residentId" in case.path_parameters:
            case.path_parameters["residentId"] = rid
        before = footprint(stack, rid)
        headers = {"Authorization": f"Bearer {token}"}
        response = case.call(base_url=stack.url, timeout=30, headers=headers)
        seen.append(response.status_code)
        assert response.status_code < 500, (case.as_curl_command(), response.text)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if response.status_code >= 400:
            body = response.json()
            # 401 from the gateway is API Gateway's own `{"message": "Unauthorized"}`.
            message = body.get("error") or (body.get("message") if response.status_code == 401
                                            else None)
            assert isinstance(message, str) and message, response.text
            assert footprint(stack, rid) == before, case.as_curl_command()

    check()
    assert seen


def test_the_conformance_checks_catch_a_body_the_document_does_not_describe(stack, rid):
    """The checks above can fail: the same answer against a document whose `Balance` says
    `balance` is a string (and requires a field the API never sends) is refused."""
    import copy
    import json

    doc = json.loads(DOC.read_text())
    token = stack.token(resident=rid)
    headers = {"Authorization": f"Bearer {token}"}

    def validate(document: dict) -> None:
        operation = schemathesis.openapi.from_dict(document)[
            "/residents/{residentId}/balance"]["GET"]
        case = operation.Case(path_parameters={"residentId": rid})
        response = case.call(base_url=stack.url, timeout=30, headers=headers)
        assert response.status_code == 200, response.text
        case.validate_response(response, checks=CHECKS, headers=headers)

    validate(doc)
    wrong = copy.deepcopy(doc)
    balance = wrong["components"]["schemas"]["Balance"]
    balance["properties"]["balance"] = {"type": "string"}
    with pytest.raises(FailureGroup, match="violates schema"):
        validate(wrong)
    extra = copy.deepcopy(doc)
    extra["components"]["schemas"]["Balance"]["required"].append("overdue")
    with pytest.raises(FailureGroup, match="violates schema"):
        validate(extra)
