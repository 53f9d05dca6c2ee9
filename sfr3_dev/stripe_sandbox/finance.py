"""Where the sandbox's finance resources used to live; kept so their import paths work.

The Files API is files.py (`parse_multipart`, `FILE_PURPOSES`, …), the dispute test cards
and evidence magic are disputes.py (`DISPUTE_CARDS`, `DISPUTE_LAST4`), and the
balance-transaction fault injection is balance_transactions.py
(`set_balance_transaction_amount`). `Store` mixes each in from its own module.
"""

from sfr3_dev.stripe_sandbox.balance_transactions import set_balance_transaction_amount
from sfr3_dev.stripe_sandbox.disputes import DISPUTE_CARDS, DISPUTE_LAST4
from sfr3_dev.stripe_sandbox.files import (
    FILE_EVIDENCE,
    FILE_PURPOSES,
    MAGIC,
    MAX_EVIDENCE_BYTES,
    parse_multipart,
)

__all__ = ["DISPUTE_CARDS", "DISPUTE_LAST4", "FILE_EVIDENCE", "FILE_PURPOSES", "MAGIC",
           "MAX_EVIDENCE_BYTES", "parse_multipart", "set_balance_transaction_amount"]
