"""PaymentIntents and Charges in the sandbox.

`POST /v1/payment_intents` (`confirm=true` to pay at once), `GET /v1/payment_intents`
(filters `customer` and `created[gt|gte|lt|lte]`, newest first, `limit` with
`starting_after`/`ending_before` as Stripe pages: base.py's `_list`),
`GET /v1/payment_intents/<id>`, `POST …/confirm`, `POST …/cancel`;
`GET /v1/charges` (filters `customer`, `payment_intent`), `GET /v1/charges/<id>`.

Confirming makes a charge and acts out the method's test behaviour (catalog.py): a card
succeeds (or declines with 402 `card_error`) at once; a bank account stays `processing`
until the sandbox clock passes `ach_settle_seconds` (`Store.advance`), then succeeds or
fails. A success books a balance transaction with Stripe's fee, and a dispute test card
then opens its dispute (disputes.py).
"""

from __future__ import annotations

import copy
import secrets

from sfr3_dev.stripe_sandbox import catalog, mandates
from sfr3_dev.stripe_sandbox.base import Route, get_route, list_route
from sfr3_dev.stripe_sandbox.customers import Customers
from sfr3_dev.stripe_sandbox.disputes import Disputes
from sfr3_dev.stripe_sandbox.errors import (
    ID,
    Obj,
    StripeError,
    _bool,
    _int,
    _str_map,
    doc_url,
    invalid,
    new_id,
)


def routes(store: PaymentIntents) -> list[Route]:
    return [
        ("POST", r"/v1/payment_intents", store.create_payment_intent),
        list_route(store, "payment_intent", "customer"),
        get_route(store, "payment_intent"),
        ("POST", rf"/v1/payment_intents/{ID}/confirm", store.confirm_payment_intent),
        ("POST", rf"/v1/payment_intents/{ID}/cancel", store.cancel_payment_intent),
        get_route(store, "charge"),
        list_route(store, "charge", "customer", "payment_intent"),
    ]


class PaymentIntents(Customers, Disputes):
    """Intents, their charges, and how each test method's charge turns out."""

    def create_payment_intent(self, params: Obj) -> Obj:
        amount = _int(params, "amount", required=True)
        assert amount is not None
        if amount < 50:
            raise invalid("Amount must be at least $0.50 usd", param="amount",
                          code="amount_too_small")
        currency = str(params.get("currency") or "").lower()
        if not currency:
            raise invalid("Missing required param: currency.", param="currency",
                          code="parameter_missing")
        customer = params.get("customer") or None
        if customer:
            self._get("customer", customer, "customer")
        pm = self._resolve_pm(params["payment_method"]) if params.get("payment_method") \
            else None
        if pm is not None and pm["customer"] not in (None, customer):
            raise invalid(f"The provided PaymentMethod {pm['id']} belongs to a different "
                          "Customer.", param="payment_method")
        types = params.get("payment_method_types") or (
            [pm["type"]] if pm is not None else ["card", "us_bank_account"])
        if pm is not None and pm["type"] not in types:
            raise invalid(f"The PaymentMethod provided ({pm['type']}) is not allowed for this "
                          "PaymentIntent.", param="payment_method")
        now = self.now()
        pi = self._put({
            "id": new_id("pi"), "object": "payment_intent", "amount": amount,
            "amount_capturable": 0, "amount_details": {"tip": {}}, "amount_received": 0,
            "application": None, "application_fee_amount": None,
            "automatic_payment_methods": (
                {"allow_redirects": (params["automatic_payment_methods"] or {}).get(
                    "allow_redirects", "always"), "enabled": True}
                if isinstance(params.get("automatic_payment_methods"), dict) else None),
            "canceled_at": None, "cancellation_reason": None, "capture_method": "automatic",
            "client_secret": "", "confirmation_method": "automatic", "created": now,
            "currency": currency, "customer": customer,
            "description": params.get("description") or None, "last_payment_error": None,
            "latest_charge": None, "livemode": False,
            "metadata": _str_map(params.get("metadata"), "metadata"), "next_action": None,
            "on_behalf_of": None, "payment_method": pm["id"] if pm else None,
            "payment_method_configuration_details": None, "payment_method_options": {},
            "payment_method_types": types, "processing": None,
            "receipt_email": params.get("receipt_email") or None, "review": None,
            "setup_future_usage": None, "shipping": None, "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "status": "requires_confirmation" if pm else "requires_payment_method",
            "transfer_data": None, "transfer_group": None,
        })
        pi["client_secret"] = f"{pi['id']}_secret_{secrets.token_hex(8)}"
        self._emit("payment_intent.created", pi)
        if _bool(params.get("confirm")):
            return self._confirm(pi)
        return pi

    def confirm_payment_intent(self, params: Obj, id_: str) -> Obj:
        pi = self._get("payment_intent", id_)
        # Refused requests change nothing: check the state before taking the method.
        if pi["status"] not in ("requires_confirmation", "requires_payment_method"):
            raise invalid(f"This PaymentIntent's status is {pi['status']}, so it cannot be "
                          "confirmed.", code="payment_intent_unexpected_state")
        if params.get("payment_method"):
            pi["payment_method"] = self._resolve_pm(params["payment_method"])["id"]
        if not pi["payment_method"]:
            raise invalid("You cannot confirm this PaymentIntent because it's missing a "
                          "payment method.", code="payment_intent_unexpected_state")
        return self._confirm(pi)

    def cancel_payment_intent(self, params: Obj, id_: str) -> Obj:
        pi = self._get("payment_intent", id_)
        if pi["status"] in ("succeeded", "canceled", "processing"):
            raise invalid(f"You cannot cancel this PaymentIntent because it has a status of "
                          f"{pi['status']}.", code="payment_intent_unexpected_state")
        pi.update(status="canceled", canceled_at=self.now(),
                  cancellation_reason=params.get("cancellation_reason") or None)
        self._emit("payment_intent.canceled", pi)
        return pi

    def _confirm(self, pi: Obj) -> Obj:
        pm = self.objects[pi["payment_method"]]
        behaviour = self.behaviour[pm["id"]]
        charge = self._new_charge(pi, pm)
        pi["latest_charge"] = charge["id"]
        if behaviour.outcome == "decline":
            self._fail(pi, charge, behaviour)
            assert behaviour.code is not None
            raise StripeError(
                402, "card_error", behaviour.message or "Your card was declined.",
                code=behaviour.code, decline_code=behaviour.decline_code,
                charge=charge["id"], payment_intent=copy.deepcopy(pi),
                payment_method=copy.deepcopy(pm),
            )
        if pm["type"] == "us_bank_account":
            pi.update(status="processing", processing=None)
            self._emit("payment_intent.processing", pi)
            self._emit("charge.pending", charge)
            if behaviour.outcome != "hold":
                self.pending_ach[pi["id"]] = self.now() + self.ach_settle_seconds
            return pi
        self._succeed(pi, charge, behaviour)
        return pi

    def _new_charge(self, pi: Obj, pm: Obj) -> Obj:
        pending = pm["type"] == "us_bank_account"
        return self._put({
            "id": new_id("py" if pending else "ch"), "object": "charge",
            "amount": pi["amount"], "amount_captured": 0, "amount_refunded": 0,
            "application": None, "application_fee": None, "application_fee_amount": None,
            "balance_transaction": None,
            "billing_details": copy.deepcopy(pm["billing_details"]),
            "calculated_statement_descriptor": "SFR3 RENT", "captured": False,
            "created": self.now(), "currency": pi["currency"], "customer": pi["customer"],
            "description": pi["description"], "disputed": False,
            "failure_balance_transaction": None, "failure_code": None,
            "failure_message": None, "fraud_details": {}, "livemode": False,
            "metadata": dict(pi["metadata"]), "on_behalf_of": None,
            "outcome": None, "paid": False, "payment_intent": pi["id"],
            "payment_method": pm["id"],
            "payment_method_details": {pm["type"]: copy.deepcopy(pm[pm["type"]]),
                                       "type": pm["type"]},
            "receipt_email": None, "receipt_number": None, "receipt_url": None,
            "refunded": False, "review": None, "shipping": None, "source_transfer": None,
            "statement_descriptor": None, "statement_descriptor_suffix": None,
            "status": "pending", "transfer_data": None, "transfer_group": None,
        })

    def _succeed(self, pi: Obj, charge: Obj, behaviour: catalog.TestMethod) -> None:
        """The charge succeeded; then whatever its test method does next (a dispute)."""
        card = charge["payment_method_details"]["type"] == "card"
        fee = round(charge["amount"] * 0.029) + 30 if card else min(
            500, round(charge["amount"] * 0.008))
        txn = self._balance_txn("charge", charge["amount"], fee, charge["id"], "charge",
                                "Payment")
        charge.update(status="succeeded", paid=True, captured=True,
                      amount_captured=charge["amount"], balance_transaction=txn["id"],
                      outcome={"network_status": "approved_by_network", "reason": None,
                               "risk_level": "normal", "seller_message": "Payment complete.",
                               "type": "authorized"})
        pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None)
        self._emit("charge.succeeded", charge)
        self._emit("payment_intent.succeeded", pi)
        self.after_success(charge, behaviour)

    def _fail(self, pi: Obj, charge: Obj, behaviour: catalog.TestMethod) -> None:
        card = charge["payment_method_details"]["type"] == "card"
        charge.update(status="failed", failure_code=behaviour.code,
                      failure_message=behaviour.message,
                      outcome={"network_status": "declined_by_network",
                               "reason": behaviour.decline_code, "risk_level": "normal",
                               "seller_message": "The bank did not return any further details "
                               "with this decline.", "type": "issuer_declined"})
        error: Obj = {"type": "card_error" if card else "invalid_request_error",
                      "code": behaviour.code, "message": behaviour.message,
                      "charge": charge["id"],
                      "payment_method": copy.deepcopy(self.objects[charge["payment_method"]]),
                      "doc_url": doc_url(behaviour.code)}
        if behaviour.decline_code:
            error["decline_code"] = behaviour.decline_code
        pi.update(status="requires_payment_method", last_payment_error=error,
                  payment_method=None)
        self._emit("charge.failed", charge)
        self._emit("payment_intent.payment_failed", pi)

    def _settle_ach(self, pi: Obj) -> None:
        charge = self.objects[pi["latest_charge"]]
        behaviour = self.behaviour[charge["payment_method"]]
        if behaviour.outcome == "fail":
            self._fail(pi, charge, behaviour)
            # An unauthorized return (R05/R07/R10/R29) ends the mandate, as in Stripe.
            mandates.after_ach_failure(self, charge, behaviour.code)  # type: ignore[arg-type]
            return
        self._succeed(pi, charge, behaviour)
