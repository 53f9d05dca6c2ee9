"""Every route's operationId is its handler's name from registration on, so nothing
Powertools derives from it (a multi-parameter body's model name) depends on whether the
OpenAPI document was generated before the first request."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.harness.procs import ROOT

SCRIPT = """
import json
from sfr3_lambdas import api
print(json.dumps([[r.operation_id, r.func.__name__]
                  for r in api.app._static_routes + api.app._dynamic_routes]))
"""


def test_operation_ids_are_the_handlers_names_before_any_document() -> None:
    # A fresh interpreter: nothing has asked for the document yet.
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    pairs = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(pairs) > 10
    assert [p for p in pairs if p[0] != p[1]] == []
