"""Fixtures of the ledger tests that run under a simulated clock (years pass in a test)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sfr3_ledger import LedgerApplication
from sfr3_ledger.laws_fact_ids import Clock, simulated_clock


@pytest.fixture
def clock() -> Iterator[Clock]:
    """Every event stamped by a clock the test moves (`clock.now += timedelta(...)`)."""
    with simulated_clock() as clock:
        yield clock


@pytest.fixture
def app(ledger_env: dict[str, str], clock: Clock) -> LedgerApplication:
    """The ledger application on each backend, under the simulated clock."""
    return LedgerApplication(env=ledger_env)
