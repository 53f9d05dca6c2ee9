"""Session-wide harness: each real server is a plugin in tests/harness/."""

import os

from sfr3_dev import toolchain

# Never let a test reach real AWS: fake credentials unless a test opts into endpoints.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")

# Node.js (osls) and Java (DynamoDB Local) from .venv's `tools` extra, for this process and
# every child, whatever the machine has on PATH (or lacks): no system runtime is used.
toolchain.apply()

pytest_plugins = [
    "tests.harness.moto_server",
    "tests.harness.dynamodb_local",
    "tests.harness.backends",
    "tests.harness.stripe_sandbox",
    "tests.e2e.stack",
]
