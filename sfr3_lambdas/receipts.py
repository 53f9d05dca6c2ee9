"""receipts: a PDF receipt in the receipts bucket for each payment.settled event.

Key `receipts/{residentId}/{paymentId}.pdf`; the API links it from the payment history
with a presigned URL. The PDF is deterministic, so a redelivered event rewrites the same
bytes. Environment: RECEIPTS_BUCKET and the ledger's (it reads the payment and the
payment method's last4); with PAYMENTS_INDEX_TABLE the payment comes from the payments
read model (sfr3_ledger/read_models/payments.py), so an archived one costs no replay.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from sfr3_adapters.reactions import ReceiptWriter
from sfr3_adapters.s3 import S3ReceiptStore
from sfr3_lambdas import wiring
from sfr3_lambdas.log_context import function_logger
from sfr3_ledger import LedgerApplication

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("receipts")
_lock = threading.Lock()
_writer: ReceiptWriter | None = None


def writer() -> ReceiptWriter:
    global _writer
    with _lock:
        if _writer is None:
            app = LedgerApplication(env=dict(os.environ))
            # The payment is read from the payments read model when one is configured
            # (PAYMENTS_INDEX_TABLE): a backlog of old receipts never replays a history.
            app.payments_index = wiring.payments_index()
            _writer = ReceiptWriter(app, S3ReceiptStore(os.environ.get("RECEIPTS_BUCKET", "")))
        return _writer


def reset() -> None:
    global _writer
    with _lock:
        if _writer is not None:
            _writer.app.close()
        _writer = None


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    envelope = event["detail"]
    key = writer().handle(envelope)
    logger.info("receipt", extra={"eventId": envelope.get("eventId"), "key": key})
    return {"eventId": envelope.get("eventId"), "key": key}
