"""The retry and recovery use cases of LedgerApplication (a mixin, like refund_commands.py).

Each runs one ResidentLedger command on fresh state through the application's retrying
`_ledger_update`; the rules are in `attempts.py` and the policy in `retries.py`. The
policy is read once per application from its environment (`SFR3_RETRY_MAX_ATTEMPTS`,
`SFR3_RETRY_DELAYS`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from sfr3_ledger.attempts import RETRY_ACTOR
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.records import Payment
from sfr3_ledger.retries import RetryPolicy

T = TypeVar("T")


class RetryCommands:
    if TYPE_CHECKING:  # provided by LedgerApplication (retrying, on fresh state)
        env: Any

        def _ledger_update(
            self, resident_id: str, command: Callable[[ResidentLedger], T]
        ) -> T: ...

    @cached_property
    def retry_policy(self) -> RetryPolicy:
        env = self.env
        return RetryPolicy.from_env({
            key: value for key in ("SFR3_RETRY_MAX_ATTEMPTS", "SFR3_RETRY_DELAYS")
            if (value := env.get(key))
        })

    def start_retry(self, resident_id: str, payment_id: str, *, now: datetime,
                    actor: str = RETRY_ACTOR) -> Payment:
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.start_retry(payment_id=payment_id, now=now, actor=actor))

    def cancel_retry(self, resident_id: str, payment_id: str, *, reason: str,
                     actor: str = RETRY_ACTOR) -> Payment:
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.cancel_retry(payment_id=payment_id, reason=reason,
                                               actor=actor))

    def record_recovery(self, resident_id: str, payment_id: str, *, action: str,
                        outcome: str) -> Payment:
        return self._ledger_update(
            resident_id,
            lambda ledger: ledger.record_recovery(payment_id=payment_id, action=action,
                                                  outcome=outcome))
