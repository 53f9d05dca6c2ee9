"""The events table's stream -> the finance read models (run by scheduleProjection's
handler, sfr3_lambdas/jobs/read_models.py: the stream's second reader feeds every read
model): settled facts by day (sfr3_ledger/read_models/settled_by_day.py) and disputes
(read_models/disputes.py). A
dispute's first projection mails finance (`FINANCE_EMAIL`); the read model's first insert is
the guard, so a redelivered record alerts no one again. (`ChargebackReceived` is counted by
the stream processor from the `dispute.opened` envelope.)
Records are applied in order; the first failure and everything after it are reported as
failed (Lambda retries from there, then the DLQ).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sfr3_lambdas import finance_wiring
from sfr3_lambdas.jobs.stream_projection import project_in_order
from sfr3_ledger.dispute_alerts import OpenedAlert
from sfr3_ledger.read_models.disputes import DisputesProjection
from sfr3_ledger.read_models.settled_by_day import SettledFactsProjection

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

_lock = threading.Lock()
_projections: list[Any] = []


def projections() -> list[Any]:
    with _lock:
        if not _projections:
            alert = OpenedAlert(finance_wiring.mailer(), finance_wiring.finance_email())
            _projections.extend([SettledFactsProjection(finance_wiring.settled_facts()),
                                 DisputesProjection(finance_wiring.disputes_index(), alert)])
        return list(_projections)


def reset() -> None:
    with _lock:
        _projections.clear()


def process(events: Sequence[Any]) -> int:
    """Both finance read models, in turn."""
    return sum(projection.process(events) for projection in projections())


def handle(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    return project_in_order(event, process, "finance")
