"""Powertools Logger conventions for the HTTP Lambdas (API Gateway REST proxy events).

`http_logging(logger)` decorates a handler so every log line of an invocation carries the
API Gateway request id as `correlation_id` (the id API Gateway logs and returns in
`x-amzn-RequestId`, so one search finds a request across the gateway and every function it
reached) and, when there is a Lambda context, Powertools' `inject_lambda_context` fields
(function name, ARN, memory, cold start, aws request id). Tests call handlers with
`context=None`; then only the correlation id is set — never a crash for want of a context.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def request_id(event: dict[str, Any]) -> str | None:
    context = event.get("requestContext")
    value = context.get("requestId") if isinstance(context, dict) else None
    return str(value) if value else None


def http_logging(logger: Logger) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        injected = logger.inject_lambda_context(
            correlation_id_path=correlation_paths.API_GATEWAY_REST)(handler)

        @functools.wraps(handler)
        def run(event: dict[str, Any], context: Any) -> dict[str, Any]:
            if context is not None:
                return injected(event, context)
            logger.set_correlation_id(request_id(event))
            return handler(event, context)

        return run

    return decorate
