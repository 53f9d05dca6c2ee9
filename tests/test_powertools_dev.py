"""`make run` runs the Lambdas in Powertools' local mode (POWERTOOLS_DEV, issue 16), without
the event handler's debug mode that POWERTOOLS_DEV would otherwise switch on (it prints
every event, bearer tokens included, and answers an exception with its traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_")}
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**base, **env},
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_sfr3_run_sets_powertools_dev() -> None:
    code = """
import os
from sfr3_dev import local_stack
def refuse(self):
    raise OSError("not starting in this test")
local_stack.LocalStack.start = refuse
assert local_stack.main(["--port", "0", "--home", os.environ["HOME_DIR"]]) == 1
print("POWERTOOLS_DEV=" + os.environ.get("POWERTOOLS_DEV", ""))
"""
    result = _python(code, HOME_DIR=str(REPO / ".sfr3" / "test-powertools-dev"))
    assert result.stdout.strip().splitlines()[-1] == "POWERTOOLS_DEV=1"


def test_resolvers_stay_out_of_debug_mode_under_powertools_dev() -> None:
    code = """
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.shared.functions import powertools_dev_is_set
assert powertools_dev_is_set()
assert APIGatewayRestResolver()._debug is True  # what Powertools alone does
from sfr3_dev.powertools_local import resolvers_never_debug
resolvers_never_debug()
resolvers_never_debug()  # idempotent
app = APIGatewayRestResolver()
assert app._debug is False
assert APIGatewayRestResolver(debug=True)._debug is True  # an explicit choice still holds

@app.get("/boom")
def boom():
    raise RuntimeError("boom")

event = {"path": "/boom", "httpMethod": "GET", "resource": "/boom", "body": None,
         "headers": {"Authorization": "Bearer secret-token"}, "requestContext": {}}
try:
    app.resolve(event, None)
except RuntimeError:
    print("RAISED")  # to the handler's own JSON 500, as on Lambda (not a traceback body)
"""
    result = _python(code, POWERTOOLS_DEV="1")
    assert "RAISED" in result.stdout
    assert "secret-token" not in result.stdout + result.stderr  # the event was not printed


def test_the_gateway_turns_debug_off_before_the_handlers_build_their_resolvers() -> None:
    code = """
from sfr3_dev.gateway import Gateway
import tempfile, pathlib
Gateway(key_home=pathlib.Path(tempfile.mkdtemp()))
from sfr3_lambdas import api, stripe_service, stripe_webhook
print("DEBUG", [m.app._debug for m in (api, stripe_service, stripe_webhook) if hasattr(m, "app")])
"""
    result = _python(code, POWERTOOLS_DEV="1", STRIPE_SERVICE_API_KEY="k")
    line = next(x for x in result.stdout.splitlines() if x.startswith("DEBUG"))
    assert "True" not in line and "False" in line, line
