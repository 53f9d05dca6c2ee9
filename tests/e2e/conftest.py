"""Every end-to-end test runs on the SQLite ledger and, once, on DynamoDB Local."""

from __future__ import annotations

import pytest

BACKENDS = ["sqlite", "dynamodb"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "stack" in metafunc.fixturenames:
        metafunc.parametrize("stack", BACKENDS, indirect=True, scope="session")
