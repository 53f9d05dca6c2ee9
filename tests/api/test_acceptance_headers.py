"""The mandate acceptance reads `User-Agent` whatever case the client spelled it in
(HTTP header names are case-insensitive; API Gateway passes them as sent)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from sfr3_lambdas.api.acceptance import USER_AGENT_MAX, request_acceptance


def _app(headers: dict[str, str], ip: str | None = "203.0.113.7") -> Any:
    event = APIGatewayProxyEvent({"httpMethod": "POST", "path": "/", "headers": headers,
                                  "requestContext": {"identity": {"sourceIp": ip}}})
    return SimpleNamespace(current_event=event)


@pytest.mark.parametrize("name", ["User-Agent", "user-agent", "USER-AGENT", "user-Agent"])
def test_user_agent_in_any_case(name: str) -> None:
    found = request_acceptance(_app({name: "Mozilla/5.0"}))
    assert found is not None
    assert (found.ip_address, found.user_agent) == ("203.0.113.7", "Mozilla/5.0")


def test_no_acceptance_without_user_agent_or_ip() -> None:
    assert request_acceptance(_app({})) is None
    assert request_acceptance(_app({"User-Agent": ""})) is None
    assert request_acceptance(_app({"User-Agent": "x"}, ip=None)) is None


def test_a_long_user_agent_is_cut() -> None:
    found = request_acceptance(_app({"user-agent": "a" * (USER_AGENT_MAX + 50)}))
    assert found is not None and len(found.user_agent) == USER_AGENT_MAX
