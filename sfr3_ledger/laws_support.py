"""What every laws module shares: the hypothesis imports and how a state machine is run.

The laws (laws.py and every laws_*.py) need `hypothesis`, the `testing` extra, which
nothing else in sfr3_ledger imports. Importing it here, once, under `requires_extra`
gives a user without the extra one clear message ("pip install 'sfr3-payments[testing]'")
from whichever laws module they import, and `run_laws` runs the stateful laws with the
one set of settings they all use: no deadline (they run on real stores, DynamoDB Local
included), no example database (a law run leaves nothing behind), and no health check
for slow or filtered examples (real stores are slow; preconditions filter).
"""

from __future__ import annotations

from sfr3_ledger._extras import requires_extra

with requires_extra("testing"):  # hypothesis: a clear message, not a traceback
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from hypothesis.stateful import (
        RuleBasedStateMachine,
        invariant,
        precondition,
        rule,
        run_state_machine_as_test,
    )


def run_laws(machine: type[RuleBasedStateMachine], *, max_examples: int, steps: int) -> None:
    """Run a laws state machine; raises with a minimal failing history if a law breaks."""
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=max_examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            database=None,
        ),
    )


__all__ = [
    "HealthCheck", "RuleBasedStateMachine", "given", "invariant", "precondition", "rule",
    "run_laws", "settings", "st",
]
