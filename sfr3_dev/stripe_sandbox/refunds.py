"""Refunds in the sandbox.

`POST /v1/refunds` (`payment_intent` or `charge`, optional `amount`, `reason`,
`metadata`), `GET /v1/refunds` (filters `charge`, `payment_intent`), `GET
/v1/refunds/<id>`. Stripe's rules: only a succeeded, undisputed charge; never more than
is left unrefunded (`amount_too_large`); a full refund marks the charge `refunded`. Each
refund books a negative balance transaction and announces `refund.created` and
`charge.refunded`.
"""

from __future__ import annotations

from sfr3_dev.stripe_sandbox.balance_transactions import BalanceTransactions
from sfr3_dev.stripe_sandbox.base import Route, get_route, list_route
from sfr3_dev.stripe_sandbox.errors import Obj, _int, _str_map, invalid, new_id


def routes(store: Refunds) -> list[Route]:
    return [
        ("POST", r"/v1/refunds", store.create_refund),
        list_route(store, "refund", "charge", "payment_intent"),
        get_route(store, "refund"),
    ]


class Refunds(BalanceTransactions):
    def create_refund(self, params: Obj) -> Obj:
        if params.get("payment_intent"):
            pi = self._get("payment_intent", params["payment_intent"], "payment_intent")
            if pi["status"] != "succeeded" or not pi["latest_charge"]:
                raise invalid(f"This PaymentIntent ({pi['id']}) does not have a successful "
                              "charge to refund.", param="payment_intent",
                              code="charge_not_refundable")
            charge = self.objects[pi["latest_charge"]]
        elif params.get("charge"):
            charge = self._get("charge", params["charge"], "charge")
        else:
            raise invalid("One of the following params should be provided for this request: "
                          "payment_intent or charge.", code="parameter_missing")
        if charge["status"] != "succeeded":
            raise invalid(f"Charge {charge['id']} has not succeeded and cannot be refunded.",
                          code="charge_not_refundable")
        if charge["disputed"]:
            raise invalid(f"Charge {charge['id']} has been charged back; cannot issue a "
                          "refund.", code="charge_disputed")
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise invalid(f"Charge {charge['id']} has already been refunded.",
                          code="charge_already_refunded")
        amount = _int(params, "amount")
        if amount is None:
            amount = remaining
        if amount <= 0:
            raise invalid("Invalid positive integer", param="amount",
                          code="parameter_invalid_integer")
        if amount > remaining:
            raise invalid(f"Refund amount (${amount / 100:.2f}) is greater than unrefunded "
                          f"amount on charge (${remaining / 100:.2f})", param="amount",
                          code="amount_too_large")
        refund = self._put({
            "id": new_id("re"), "object": "refund", "amount": amount,
            "balance_transaction": None, "charge": charge["id"], "created": self.now(),
            "currency": charge["currency"],
            "destination_details": {"card": {"reference_status": "pending",
                                             "reference_type": "acquirer_reference_number",
                                             "type": "refund"}, "type": "card"},
            "metadata": _str_map(params.get("metadata"), "metadata"),
            "payment_intent": charge["payment_intent"], "reason": params.get("reason") or None,
            "receipt_number": None, "source_transfer_reversal": None, "status": "succeeded",
            "transfer_reversal": None, "payment_method": charge["payment_method"],
        })
        txn = self._balance_txn("refund", -amount, 0, refund["id"], "refund", "REFUND")
        refund["balance_transaction"] = txn["id"]
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": False}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        self._emit("refund.created", refund)
        self._emit("charge.refunded", charge, previous)
        return refund
