"""Session-wide harness: each real server is a plugin in tests/harness/."""

import os

# Never let a test reach real AWS: fake credentials unless a test opts into endpoints.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("AWS_REGION", "us-east-1")

pytest_plugins = [
    "tests.harness.moto_server",
    "tests.harness.dynamodb_local",
    "tests.harness.backends",
    "tests.harness.stripe_sandbox",
    "tests.e2e.stack",
]
