"""Customers and PaymentMethods in the sandbox.

`POST /v1/customers`, `GET /v1/customers/<id>`, `GET /v1/customers/<id>/payment_methods`;
`POST /v1/payment_methods` (a card by test token or number, a `us_bank_account` by
Stripe's ACH test numbers: see catalog.py), `GET /v1/payment_methods/<id>`, and
`attach`/`detach`. A test token (`pm_card_visa`) named where a method is expected becomes
a fresh method, as in Stripe test mode; each method's test behaviour is kept in
`store.behaviour`.
"""

from __future__ import annotations

import copy
import secrets

from sfr3_dev.stripe_sandbox import catalog
from sfr3_dev.stripe_sandbox.base import Route, StoreBase, get_route
from sfr3_dev.stripe_sandbox.errors import ID, Obj, _str_map, invalid, new_id


def routes(store: Customers) -> list[Route]:
    return [
        ("POST", r"/v1/customers", store.create_customer),
        get_route(store, "customer"),
        ("GET", rf"/v1/customers/{ID}/payment_methods", store.customer_payment_methods),
        ("POST", r"/v1/payment_methods", store.create_payment_method),
        ("GET", rf"/v1/payment_methods/{ID}", store.retrieve_payment_method),
        ("POST", rf"/v1/payment_methods/{ID}/attach", store.attach),
        ("POST", rf"/v1/payment_methods/{ID}/detach", store.detach),
    ]


class Customers(StoreBase):
    """Customers and their payment methods."""

    # ---- customers -----------------------------------------------------------------------
    def create_customer(self, params: Obj) -> Obj:
        customer = self._put({
            "id": new_id("cus"), "object": "customer",
            "address": None, "balance": 0, "created": self.now(), "currency": None,
            "default_source": None, "delinquent": False,
            "description": params.get("description") or None, "discount": None,
            "email": params.get("email") or None,
            "invoice_prefix": secrets.token_hex(4).upper(),
            "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                                 "footer": None, "rendering_options": None},
            "livemode": False, "metadata": _str_map(params.get("metadata"), "metadata"),
            "name": params.get("name") or None, "next_invoice_sequence": 1,
            "phone": None, "preferred_locales": [], "shipping": None, "tax_exempt": "none",
            "test_clock": None,
        })
        self._emit("customer.created", customer)
        return customer

    # ---- payment methods -----------------------------------------------------------------
    def _new_payment_method(self, behaviour: catalog.TestMethod, params: Obj) -> Obj:
        billing = params.get("billing_details") if isinstance(
            params.get("billing_details"), dict) else {}
        pm = self._put({
            "id": new_id("pm"), "object": "payment_method", "allow_redirects": None,
            "allow_redisplay": "unspecified",
            "billing_details": {"address": None, "email": billing.get("email"),
                                "name": billing.get("name"), "phone": None, "tax_id": None},
            "created": self.now(), "customer": None, "livemode": False,
            "metadata": _str_map(params.get("metadata"), "metadata"),
            "type": behaviour.type, behaviour.type: copy.deepcopy(behaviour.details),
            "customer_account": None,
        })
        pm.pop("allow_redirects")
        self.behaviour[pm["id"]] = behaviour
        return pm

    def _resolve_pm(self, id_: str, param: str = "payment_method") -> Obj:
        """A stored method, or a fresh one made from a test token (as Stripe does)."""
        behaviour = catalog.token(id_)
        if behaviour is not None:
            return self._new_payment_method(behaviour, {})
        pm = self._get("payment_method", id_, param)
        if pm["id"] in self.detached:
            # Stripe: "once detached, a PaymentMethod can no longer be used for payments or
            # re-attached to a Customer".
            raise invalid(f"The PaymentMethod {pm['id']} was detached from a Customer and "
                          "may not be used again.", param=param,
                          code="payment_method_unexpected_state")
        return pm

    def create_payment_method(self, params: Obj) -> Obj:
        type_ = params.get("type")
        if type_ == "us_bank_account":
            bank = params.get("us_bank_account") or {}
            number, routing = bank.get("account_number"), bank.get("routing_number")
            if not number or not routing:
                raise invalid("Missing required param: us_bank_account[account_number].",
                              param="us_bank_account", code="parameter_missing")
            if not (params.get("billing_details") or {}).get("name"):
                raise invalid("Missing required param: billing_details[name].",
                              param="billing_details[name]", code="parameter_missing")
            behaviour = catalog.bank_account(number, routing)
            if "account_holder_type" in bank:
                behaviour.details["account_holder_type"] = bank["account_holder_type"]
        elif type_ == "card":
            card = params.get("card") or {}
            if isinstance(card, dict) and card.get("token"):
                behaviour = catalog.token(card["token"]) or catalog.CARD_TOKENS["pm_card_visa"]
            elif isinstance(card, dict) and card.get("number"):
                behaviour = catalog.card_number(str(card["number"]))
            else:
                raise invalid("Missing required param: card.", param="card",
                              code="parameter_missing")
        else:
            raise invalid("Invalid type: must be one of card, us_bank_account", param="type")
        return self._new_payment_method(behaviour, params)

    def retrieve_payment_method(self, params: Obj, id_: str) -> Obj:
        behaviour = catalog.token(id_)
        if behaviour is not None:  # Stripe serves test tokens as read-only methods
            return {**self._new_payment_method(behaviour, {}), "id": id_}
        return self._get("payment_method", id_)

    def customer_payment_methods(self, params: Obj, customer_id: str) -> Obj:
        self._get("customer", customer_id)
        rows = [pm for pm in self._all("payment_method") if pm["customer"] == customer_id
                and (not params.get("type") or pm["type"] == params["type"])]
        return self._list("payment_method", {**params, "customer": None}, (), rows)

    def attach(self, params: Obj, id_: str) -> Obj:
        customer_id = params.get("customer")
        if not customer_id:
            raise invalid("Missing required param: customer.", param="customer",
                          code="parameter_missing")
        self._get("customer", customer_id, "customer")
        pm = self._resolve_pm(id_, "payment_method")
        if pm["customer"] not in (None, customer_id):
            raise invalid("The payment method you provided has already been attached to a "
                          "customer.", code="payment_method_unexpected_state")
        if pm["customer"] is None:
            pm["customer"] = customer_id
            self._emit("payment_method.attached", pm)
        return pm

    def detach(self, params: Obj, id_: str) -> Obj:
        pm = self._get("payment_method", id_)
        if pm["customer"] is None:
            raise invalid("The payment method you provided is not attached to a customer so "
                          "detachment is impossible.", code="payment_method_unexpected_state")
        previous = {"customer": pm["customer"]}
        pm["customer"] = None
        self.detached[pm["id"]] = self.now()  # permanent, as in Stripe
        self._emit("payment_method.detached", pm, previous)
        return pm
