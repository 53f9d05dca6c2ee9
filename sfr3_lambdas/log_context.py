"""Powertools Logger conventions for the HTTP Lambdas (API Gateway REST proxy events).

`http_logging(logger)` decorates a handler so every log line of an invocation carries the
API Gateway request id as `correlation_id` (the id API Gateway logs and returns in
`x-amzn-RequestId`, so one search finds a request across the gateway and every function it
reached) and, when there is a Lambda context, Powertools' `inject_lambda_context` fields
(function name, ARN, memory, cold start, aws request id). Tests call handlers with
`context=None`; then only the correlation id is set — never a crash for want of a context.

`function_logger(default)` is every handler module's Powertools Logger. Its service is
`POWERTOOLS_SERVICE_NAME`, which serverless.yml sets per function (the function's name, the
same name its metrics' `service` dimension carries); `default` is only for a process where
it is unset (`make run` and the tests host every function in one process). On Lambda
(`AWS_LAMBDA_FUNCTION_NAME` set), the first call of a cold start also routes the library's
stdlib loggers (`sfr3_ledger`, `sfr3_adapters`, `sfr3_lambdas`, `eventsourcing`; boto3,
botocore, urllib3, s3transfer and stripe at WARNING) to that Logger's handler with Powertools'
`copy_config_to_registered_loggers`: their lines are the same JSON, with the function's
service, correlation id and Lambda context keys. Locally they keep going to the root logger
(one process, many functions: no single service or correlation id applies to them).
"""

from __future__ import annotations

import functools
import logging
import os
import threading
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]

# The project's and eventsourcing's loggers, at the function's level (LOG_LEVEL).
LIBRARY_LOGGERS = frozenset({"sfr3_ledger", "sfr3_adapters", "sfr3_lambdas", "eventsourcing"})
# The SDKs', at WARNING whatever LOG_LEVEL says: botocore logs every request at DEBUG,
# headers included, and stripe logs every request and response body at DEBUG (customer and
# payment method ids, metadata, a bank debit's `mandate_data` with the resident's IP
# address and User-Agent).
SDK_LOGGERS = frozenset({"boto3", "botocore", "urllib3", "s3transfer", "stripe"})
_routed: list[str] = []
_routing = threading.Lock()


def service_name(default: str) -> str:
    """POWERTOOLS_SERVICE_NAME (set per function when deployed), else `default`."""
    return os.environ.get("POWERTOOLS_SERVICE_NAME") or default


def function_logger(default: str) -> Logger:
    """The handler module's Powertools Logger (see the module docstring)."""
    logger = Logger(service=service_name(default))
    if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        route_library_logs(logger)
    return logger


def route_library_logs(logger: Logger) -> bool:
    """Send the library's stdlib loggers to `logger`'s JSON output; once per process (the
    first Logger of a cold start wins). True when this call did it."""
    with _routing:
        if _routed:
            return False
        # A parent logger must exist for Powertools to configure it; its children, made
        # later by modules imported lazily, propagate to it.
        for name in LIBRARY_LOGGERS | SDK_LOGGERS:
            logging.getLogger(name)
        copy_config_to_registered_loggers(source_logger=logger, include=set(LIBRARY_LOGGERS))
        copy_config_to_registered_loggers(source_logger=logger, include=set(SDK_LOGGERS),
                                          log_level=logging.WARNING)
        _routed.append(logger.service)
        return True


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
