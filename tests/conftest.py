"""Session-wide harness: each real server is a plugin in tests/harness/."""

import os
from pathlib import Path

import pytest

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

# `make test` runs the suite on two pytest-xdist workers (`-n 2 --dist loadgroup`): each
# runs one fixed half of it, in the order a single session runs those tests. Not xdist's
# usual load balancing: there a file's neighbours change from run to run, and the session's
# long-lived servers (the e2e stack's followers poll the ledger while later files run) met
# tests they never met in one session, differently each run. A fixed split keeps every run
# the same. Half "a" is the domain's and the stores' tests, "b" everything through HTTP,
# the jobs and the deploy config (about 6 min each on 2 cores).
GROUP_A = {"ledger", "dynamodb", "backbone", "stripe", "flows", "finance", "metrics",
           "contract", "browser"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = Path(__file__).resolve().parent
    for item in items:
        top = item.path.resolve().relative_to(tests).parts[0]
        item.add_marker(pytest.mark.xdist_group("a" if top in GROUP_A else "b"))
