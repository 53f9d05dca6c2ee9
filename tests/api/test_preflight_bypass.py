"""The CORS preflight skips the identity check (browsers send no token with it): it must
only ever reach Powertools' own empty 204, never a route handler or any data.

CORS is read once at import (`SFR3_CORS_ORIGINS`), so each check imports the API in a
fresh interpreter with CORS on.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.harness.procs import ROOT

ORIGIN = "https://app.example.com"

EVERY_ROUTE = """
import json, os, re
from sfr3_lambdas import api
seen = []
for route in api.app._static_routes + api.app._dynamic_routes:
    path = re.sub(r"\\{[^}]+\\}", "x-1", route.path)
    answer = api.handler({"httpMethod": "OPTIONS", "path": path, "resource": route.path,
                          "headers": {"Origin": os.environ["SFR3_CORS_ORIGINS"],
                                      "Access-Control-Request-Method": route.method},
                          "requestContext": {"requestId": "r"}}, None)
    seen.append([route.method, route.path, answer["statusCode"], answer["body"]])
print(json.dumps(seen))
"""

OPTIONS_ROUTE = """
import json, os
from sfr3_lambdas import api
ran = []

@api.app.route("/residents/<residentId>/balance", method="OPTIONS")
def leak(residentId: str) -> dict:
    ran.append(residentId)
    return {"secret": residentId}

answer = api.handler({"httpMethod": "OPTIONS", "path": "/residents/res-1/balance",
                      "resource": "/residents/{residentId}/balance",
                      "headers": {"Origin": os.environ["SFR3_CORS_ORIGINS"]},
                      "requestContext": {"requestId": "r"}}, None)
print(json.dumps({"ran": ran, "status": answer["statusCode"], "body": answer["body"]}))
"""


def _run(script: str) -> object:
    env = {**os.environ, "SFR3_CORS_ORIGINS": ORIGIN}
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_preflight_on_every_route_is_the_empty_204() -> None:
    seen = _run(EVERY_ROUTE)
    assert isinstance(seen, list) and len(seen) > 10
    assert [s for s in seen if s[2:] != [204, ""]] == []
    assert not [s for s in seen if s[0] == "OPTIONS"], "an OPTIONS route would skip auth"


def test_an_options_route_never_runs_without_a_token() -> None:
    """Belt and braces: were an OPTIONS route added, the policy middleware refuses it."""
    found = _run(OPTIONS_ROUTE)
    assert isinstance(found, dict)
    assert found["ran"] == []
    assert found["status"] == 403
    assert "res-1" not in found["body"] and "secret" not in found["body"]
    assert re.search(r'"code":\s*"forbidden"', found["body"])
