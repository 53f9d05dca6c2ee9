"""The events stream into the payments read model (issue 17), one of the projections the
stream's second reader runs (sfr3_lambdas/jobs/read_models.py).

Each record's stored events are decoded with the ledger application's mapper and applied
by `PaymentsProjection` (sfr3_ledger/read_models/payments.py): the payments they name are
rewritten from the resident's current ledger, guarded by version, and the resident's seen
version is advanced. Idempotent, so a redelivered record writes nothing new. Without
`PAYMENTS_INDEX_TABLE` (no read model deployed) it applies nothing. As the other
projections: the first failing record and everything after it are reported failed.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from sfr3_lambdas import wiring
from sfr3_lambdas.jobs.stream_projection import project_in_order
from sfr3_ledger.read_models.payments import PaymentsProjection

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

_lock = threading.Lock()
_projection: PaymentsProjection | None = None


def projection() -> PaymentsProjection | None:
    global _projection
    with _lock:
        index = wiring.payments_index()
        if _projection is None and index is not None:
            app = wiring.ledger()
            _projection = PaymentsProjection(index, app.ledger, app.full_history)
        return _projection


def reset() -> None:
    global _projection
    with _lock:
        _projection = None


def handle(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    project = projection()
    if project is None:
        return {"batchItemFailures": []}
    return project_in_order(event, project.process, "payments")
