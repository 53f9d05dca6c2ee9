"""Logging conventions of the Lambdas (issue 16): the Powertools Logger's service comes from
POWERTOOLS_SERVICE_NAME, and on Lambda the library's stdlib loggers (sfr3_ledger,
eventsourcing, ...) write the same JSON, with the function's service and correlation id.

Each case runs in a fresh interpreter: routing happens once per cold start, and the pytest
process hosts every function (as `make run` does), where it must not happen.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]

# A request through a real handler module's Logger: http_logging sets the correlation id,
# then library loggers (made the way their modules make them) log during the request.
REQUEST = """
import logging, json
from sfr3_lambdas import stripe_service
from sfr3_lambdas.log_context import http_logging

@http_logging(stripe_service.logger)
def handler(event, context):
    logging.getLogger("sfr3_ledger.payment_service").warning("ledger says %s", "hello")
    logging.getLogger("eventsourcing.application").warning("eventsourcing says hi")
    logging.getLogger("sfr3_adapters.reactions").info("adapter info")
    logging.getLogger("botocore.endpoint").info("botocore chatter")
    logging.getLogger("botocore.retryhandler").warning("botocore retry warning")
    return {"statusCode": 200}

handler({"requestContext": {"requestId": "req-123"}}, None)
print("ROUTED", json.dumps(sorted(
    name for name in ("sfr3_ledger", "eventsourcing", "botocore")
    if not logging.getLogger(name).propagate)))
"""


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "POWERTOOLS_")) and k != "LOG_LEVEL"}
    base.update({"AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
                 "STRIPE_SERVICE_API_KEY": "test-key", **env})
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=base,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def _json_lines(text: str) -> list[dict[str, Any]]:
    out = []
    for line in text.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def test_library_logs_are_the_functions_json_on_lambda() -> None:
    result = _run(REQUEST, AWS_LAMBDA_FUNCTION_NAME="sfr3-dev-stripeService",
                  POWERTOOLS_SERVICE_NAME="stripeService-from-env", LOG_LEVEL="INFO")
    lines = _json_lines(result.stdout)
    by_message = {line["message"]: line for line in lines}
    for message, name in [("ledger says hello", "sfr3_ledger.payment_service"),
                          ("eventsourcing says hi", "eventsourcing.application"),
                          ("adapter info", "sfr3_adapters.reactions"),
                          ("botocore retry warning", "botocore.retryhandler")]:
        line = by_message[message]
        assert line["service"] == "stripeService-from-env", line
        assert line["correlation_id"] == "req-123", line
        assert line["name"] == name, line
        assert line["level"] in {"INFO", "WARNING"}
    # botocore below WARNING stays out, whatever LOG_LEVEL says.
    assert "botocore chatter" not in result.stdout + result.stderr
    # Nothing went to the root logger's plain-text output on stderr as well.
    assert "ledger says hello" not in result.stderr
    routed = next(line for line in result.stdout.splitlines() if line.startswith("ROUTED"))
    assert json.loads(routed.split(" ", 1)[1]) == ["botocore", "eventsourcing", "sfr3_ledger"]


def test_locally_the_library_loggers_are_left_to_the_root() -> None:
    """No AWS_LAMBDA_FUNCTION_NAME: one process hosts every function (make run, tests)."""
    result = _run(REQUEST, LOG_LEVEL="INFO")
    assert not any(line.get("message") == "ledger says hello"
                   for line in _json_lines(result.stdout))
    assert "ledger says hello" in result.stderr  # the root's last-resort handler
    assert result.stdout.strip().splitlines()[-1] == "ROUTED []"


def test_service_names_come_from_the_environment() -> None:
    code = """
import json
from sfr3_lambdas import notifications, receipts, stripe_service
print(json.dumps([m.logger.service for m in (notifications, receipts, stripe_service)]))
"""
    unset = _run(code)
    assert json.loads(unset.stdout.splitlines()[-1]) == [
        "notifications", "receipts", "stripeService"]
    deployed = _run(code, POWERTOOLS_SERVICE_NAME="receipts-fn")
    assert json.loads(deployed.stdout.splitlines()[-1]) == ["receipts-fn"] * 3


def test_every_handler_module_logs_through_function_logger() -> None:
    """A Logger made elsewhere would hard-code its service or miss the routing."""
    offenders = [str(path.relative_to(REPO)) for path in (REPO / "sfr3_lambdas").rglob("*.py")
                 if path.name != "log_context.py" and re.search(r"\bLogger\(", path.read_text())]
    assert not offenders, offenders


STRIPE_DEBUG = """
import logging
# A root logger at DEBUG (a runtime's or a debugging engineer's): the stripe logger must
# not inherit it.
logging.basicConfig(level=logging.DEBUG)
from sfr3_lambdas import stripe_service
from sfr3_lambdas.log_context import http_logging

@http_logging(stripe_service.logger)
def handler(event, context):
    # What stripe's own requestor logs (stripe._util.log_debug / the SDK's logger).
    logging.getLogger("stripe").debug(
        "API response body body=mandate_data ip_address=203.0.113.9 user_agent=Agent/1")
    logging.getLogger("stripe").warning("stripe retrying request")
    return {"statusCode": 200}

handler({"requestContext": {"requestId": "req-9"}}, None)
"""


def test_stripe_request_bodies_never_reach_the_logs_even_at_debug() -> None:
    """stripeService at LOG_LEVEL=DEBUG still keeps the Stripe SDK's DEBUG lines (every
    request and response body: ids, metadata, an ACH debit's IP address and User-Agent)
    out of its logs; the SDK's warnings are the function's JSON."""
    result = _run(STRIPE_DEBUG, AWS_LAMBDA_FUNCTION_NAME="sfr3-dev-stripeService",
                  POWERTOOLS_SERVICE_NAME="stripeService", LOG_LEVEL="DEBUG")
    assert "203.0.113.9" not in result.stdout + result.stderr
    warning = next(line for line in _json_lines(result.stdout)
                   if line.get("message") == "stripe retrying request")
    assert warning["service"] == "stripeService" and warning["correlation_id"] == "req-9"
