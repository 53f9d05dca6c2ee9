"""The HTTP Lambdas log with Powertools conventions: the API Gateway request id as
correlation id on every line, and the Lambda context fields when there is a context."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from sfr3_dev.gateway import LocalContext
from sfr3_lambdas import stripe_service, stripe_webhook
from sfr3_lambdas.log_context import request_id
from tests.harness.stripe_sandbox import apigw_event


@contextlib.contextmanager
def json_lines() -> Iterator[list[dict[str, Any]]]:
    """Every JSON line stripeService's Powertools logger writes, as its formatter writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(stripe_service.logger.registered_formatter)
    stdlib = stripe_service.logger._logger
    stdlib.addHandler(handler)
    out: list[dict[str, Any]] = []
    try:
        yield out
    finally:
        stdlib.removeHandler(handler)
        out.extend(json.loads(line) for line in stream.getvalue().splitlines())


def _forbidden_call(context: Any) -> tuple[str, int]:
    event = apigw_event("POST", "/internal/stripe",
                        {"Content-Type": "application/json", "X-Api-Key": "wrong"},
                        json.dumps({"action": "create_customer", "params": {}}).encode())
    status = stripe_service.handler(event, context)["statusCode"]
    return str(request_id(event)), status


@pytest.mark.parametrize("with_context", [True, False])
def test_the_request_id_is_the_correlation_id(
    monkeypatch: pytest.MonkeyPatch, with_context: bool,
) -> None:
    monkeypatch.setenv("STRIPE_SERVICE_API_KEY", "the-right-key")
    with json_lines() as first:
        rid, status = _forbidden_call(LocalContext() if with_context else None)
    assert status == 403
    [line] = [x for x in first if x["message"] == "rejected caller: wrong API key"]
    assert line["correlation_id"] == rid
    assert line["service"] == "stripeService"
    if with_context:  # inject_lambda_context's fields
        assert line["function_name"] == "sfr3-local"
        assert "cold_start" in line and line["function_request_id"]
    # The next request gets its own id, not the previous one's.
    with json_lines() as second:
        rid2, _ = _forbidden_call(None)
    assert rid2 != rid
    assert [x["correlation_id"] for x in second if x["message"].startswith("rejected")] == [rid2]


def test_every_http_handler_is_wrapped() -> None:
    from sfr3_lambdas import api

    for module in (api, stripe_service, stripe_webhook):
        assert module.handler.__wrapped__ is not None, module.__name__
