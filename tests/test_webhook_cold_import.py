"""The webhook Lambda's cold start (issue 17): a webhook request never uses Powertools'
batch utility (it imports asyncio and the event data classes, ~36 ms), so importing the
handler does not import it; the retry queue's consumer, in the same module, imports it
with its first batch. Checked in a fresh interpreter (this one has imported everything)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import json, sys
import sfr3_lambdas.stripe_webhook as webhook
before = sorted(m for m in sys.modules
                if m.startswith("aws_lambda_powertools.utilities.batch") or m == "asyncio")
processor = webhook.queue_processor()
print(json.dumps({"before": before, "same": processor is webhook.queue_processor(),
                  "after": "aws_lambda_powertools.utilities.batch" in sys.modules}))
"""


def test_the_webhook_handler_imports_no_batch_utility_until_a_batch() -> None:
    env = {**os.environ, "PERSISTENCE_MODULE": "eventsourcing.popo",
           "STRIPE_SERVICE_URL": "http://127.0.0.1:9/dev/internal/stripe",
           "STRIPE_SERVICE_API_KEY": "cold-import-key", "AWS_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {"before": [], "same": True, "after": True}
