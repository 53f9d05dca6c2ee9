"""Balance transactions: Stripe's books of what each charge, refund and dispute moved.

`GET /v1/balance_transactions` (filters `type`, `source`) and `GET
/v1/balance_transactions/<id>`. Made by the resources that move money (`_balance_txn`):
a charge (with its processing fee), a refund, a dispute's withdrawal
(plus the $15 fee) and reinstatement.

Fault injection (`set_balance_transaction_amount`, control
`POST /_sandbox/balance_transactions/<id>/amount {"amount": n}`): changes what Stripe's
books say a transaction was, the "amount changed on Stripe's side" of a reconciliation
test. Not a Stripe behaviour: a test hook, like `/_sandbox/fail`.
"""

from __future__ import annotations

import copy

from sfr3_dev.stripe_sandbox.base import Route, StoreBase, get_route, list_route
from sfr3_dev.stripe_sandbox.errors import DAY, Obj, new_id


def routes(store: BalanceTransactions) -> list[Route]:
    return [list_route(store, "balance_transaction", "type", "source"),
            get_route(store, "balance_transaction")]


class BalanceTransactions(StoreBase):
    def _balance_txn(self, type_: str, amount: int, fee: int, source: str,
                     category: str, description: str) -> Obj:
        now = self.now()
        return self._put({
            "id": new_id("txn"), "object": "balance_transaction", "amount": amount,
            "available_on": now + 2 * DAY, "created": now, "currency": "usd",
            "description": description, "exchange_rate": None, "fee": fee,
            "fee_details": [{"amount": fee, "application": None, "currency": "usd",
                             "description": "Stripe processing fees", "type": "stripe_fee"}]
            if fee else [],
            "net": amount - fee, "reporting_category": category, "source": source,
            "status": "pending", "type": type_, "balance_type": "payments",
        })


def set_balance_transaction_amount(store: StoreBase, txn_id: str, amount: int) -> Obj:
    """Test hook: Stripe's books now say `txn_id` moved `amount` (fee kept, net follows)."""
    with store.transaction():
        txn = store._get("balance_transaction", txn_id)
        txn["amount"] = int(amount)
        txn["net"] = txn["amount"] - txn["fee"]
        return copy.deepcopy(txn)
