"""SetupIntents and Mandates in the sandbox, after Stripe's API reference.

Why: real Stripe debits a bank account off-session only under a mandate the customer
accepted. The project creates one when a resident enrolls an ACH method in autopay (a
SetupIntent with `usage=off_session` and `mandate_data`) and names it on each autopay
PaymentIntent (`mandate=`), so the sandbox has to serve both sides faithfully:

- `POST /v1/setup_intents` (`customer`, `payment_method`, `payment_method_types`
  (default `["card"]`), `usage` (`off_session` by default), `confirm`, `mandate_data`,
  `payment_method_options`, `metadata`, `description`), `GET /v1/setup_intents[/<id>]`
  (list filters `customer`, `payment_method`), `POST /v1/setup_intents/<id>[/confirm |
  /cancel | /verify_microdeposits]`, and `GET /v1/mandates/<id>`.
- Status: `requires_payment_method` → `requires_confirmation` (a method, not confirmed) →
  on confirm `succeeded`, or `requires_action` with `next_action.verify_with_microdeposits`
  when `payment_method_options[us_bank_account][verification_method]=microdeposits` (then
  `verify_microdeposits` with `amounts=[32, 45]` or `descriptor_code=SM11AA`, Stripe's test
  values, succeeds), or back to `requires_payment_method` with `last_setup_error` when the
  method is refused (a declining test card: 402 `card_error`, `setup_intent.setup_failed`).
  `canceled` from any status but `succeeded`.
- A `us_bank_account` confirmation needs `mandate_data[customer_acceptance]` (type
  `online` with `online[ip_address]` and `online[user_agent]`, or `offline`); without it
  the answer is 400 `parameter_missing` on `mandate_data`. On success a Mandate is made
  (`multi_use` for `usage=off_session`, `single_use` for `on_session`; status `active`),
  the SetupIntent names it in `mandate`, and the method is attached to the customer.
  Cards need no mandate (`mandate: null`).
- Events: `setup_intent.created`, `.requires_action`, `.succeeded`, `.setup_failed`,
  `.canceled`, and `payment_method.attached` when the setup attaches the method.
- PaymentIntents made under a mandate (`mandate=`, `mandate_data`), and how a mandate
  goes `inactive` (revoked, or an ACH debit returned unauthorized): mandates.py.
"""

from __future__ import annotations

import copy
import secrets
from typing import TYPE_CHECKING, Any

from sfr3_dev.stripe_sandbox.base import Route, get_route, list_route
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

if TYPE_CHECKING:
    from sfr3_dev.stripe_sandbox.store import Store

MICRODEPOSIT_AMOUNTS = [32, 45]
MICRODEPOSIT_DESCRIPTOR = "SM11AA"
_NOT_CONFIRMABLE = ("succeeded", "canceled", "processing")


def routes(store: Store) -> list[Route]:
    """The routes this module serves, for `Store._routes`."""
    s = SetupIntents(store)
    return [
        ("POST", r"/v1/setup_intents", s.create),
        list_route(store, "setup_intent", "customer", "payment_method"),
        get_route(store, "setup_intent"),
        ("POST", rf"/v1/setup_intents/{ID}", s.update),
        ("POST", rf"/v1/setup_intents/{ID}/confirm", s.confirm),
        ("POST", rf"/v1/setup_intents/{ID}/cancel", s.cancel),
        ("POST", rf"/v1/setup_intents/{ID}/verify_microdeposits", s.verify_microdeposits),
        get_route(store, "mandate"),
    ]


class SetupIntents:
    def __init__(self, store: Store) -> None:
        self.store = store

    # ---- SetupIntents --------------------------------------------------------------------
    def create(self, params: Obj) -> Obj:
        st = self.store
        customer = params.get("customer") or None
        if customer:
            st._get("customer", customer, "customer")
        types = params.get("payment_method_types") or ["card"]
        if not isinstance(types, list) or not all(t in ("card", "us_bank_account")
                                                  for t in types):
            raise invalid("Invalid payment_method_types: must be card or us_bank_account",
                          param="payment_method_types")
        usage = params.get("usage") or "off_session"
        if usage not in ("off_session", "on_session"):
            raise invalid("Invalid usage: must be one of off_session, on_session",
                          param="usage")
        pm = st._resolve_pm(params["payment_method"]) if params.get("payment_method") \
            else None
        options = params.get("payment_method_options") or {}
        if not isinstance(options, dict):
            raise invalid("Invalid object", param="payment_method_options")
        bank_options = options.get("us_bank_account") or {}
        verification = bank_options.get("verification_method", "automatic") \
            if isinstance(bank_options, dict) else "automatic"
        if verification not in ("automatic", "instant", "microdeposits"):
            raise invalid("Invalid verification_method: must be one of automatic, instant, "
                          "microdeposits",
                          param="payment_method_options[us_bank_account][verification_method]")
        method_options: Obj = {}
        if "card" in types:
            method_options["card"] = {"mandate_options": None, "network": None,
                                      "request_three_d_secure": "automatic"}
        if "us_bank_account" in types:
            method_options["us_bank_account"] = {
                "financial_connections": {"permissions": ["payment_method"], "prefetch": []},
                "mandate_options": {}, "verification_method": verification}
        seti = st._put({
            "id": new_id("seti"), "object": "setup_intent", "application": None,
            "automatic_payment_methods": None, "cancellation_reason": None,
            "client_secret": "", "created": st.now(), "customer": customer,
            "description": params.get("description") or None, "flow_directions": None,
            "last_setup_error": None, "latest_attempt": None, "livemode": False,
            "mandate": None, "metadata": _str_map(params.get("metadata"), "metadata"),
            "next_action": None, "on_behalf_of": None,
            "payment_method": pm["id"] if pm else None,
            "payment_method_configuration_details": None,
            "payment_method_options": method_options, "payment_method_types": types,
            "single_use_mandate": None,
            "status": "requires_confirmation" if pm else "requires_payment_method",
            "usage": usage,
        })
        seti["client_secret"] = f"{seti['id']}_secret_{secrets.token_hex(12)}"
        st._emit("setup_intent.created", seti)
        if _bool(params.get("confirm")):
            return self._confirm(seti, params)
        return seti

    def update(self, params: Obj, id_: str) -> Obj:
        seti = self.store._get("setup_intent", id_)
        if seti["status"] in ("succeeded", "canceled"):
            raise invalid(f"You cannot update this SetupIntent because it has a status of "
                          f"{seti['status']}.", code="setup_intent_unexpected_state")
        if "metadata" in params:
            seti["metadata"].update(_str_map(params.get("metadata"), "metadata"))
        if params.get("description"):
            seti["description"] = params["description"]
        if params.get("payment_method"):
            seti["payment_method"] = self.store._resolve_pm(params["payment_method"])["id"]
            seti["status"] = "requires_confirmation"
        return seti

    def confirm(self, params: Obj, id_: str) -> Obj:
        seti = self.store._get("setup_intent", id_)
        if seti["status"] in _NOT_CONFIRMABLE or seti["status"] == "requires_action":
            raise invalid(f"You cannot confirm this SetupIntent because it has a status of "
                          f"{seti['status']}.", code="setup_intent_unexpected_state")
        if params.get("payment_method"):  # taken only once the state allows confirming
            seti["payment_method"] = self.store._resolve_pm(params["payment_method"])["id"]
        return self._confirm(seti, params)

    def cancel(self, params: Obj, id_: str) -> Obj:
        seti = self.store._get("setup_intent", id_)
        if seti["status"] in ("succeeded", "canceled"):
            raise invalid(f"You cannot cancel this SetupIntent because it has a status of "
                          f"{seti['status']}.", code="setup_intent_unexpected_state")
        reason = params.get("cancellation_reason") or None
        if reason not in (None, "abandoned", "duplicate", "requested_by_customer"):
            raise invalid("Invalid cancellation_reason", param="cancellation_reason")
        seti.update(status="canceled", cancellation_reason=reason, next_action=None)
        self.store._emit("setup_intent.canceled", seti)
        return seti

    def verify_microdeposits(self, params: Obj, id_: str) -> Obj:
        seti = self.store._get("setup_intent", id_)
        action = seti.get("next_action") or {}
        if seti["status"] != "requires_action" or \
                action.get("type") != "verify_with_microdeposits":
            raise invalid("This SetupIntent is not awaiting microdeposit verification.",
                          code="setup_intent_unexpected_state")
        amounts = params.get("amounts")
        code = params.get("descriptor_code")
        if amounts is None and code is None:
            raise invalid("Missing required param: amounts or descriptor_code.",
                          code="parameter_missing")
        good = (code == MICRODEPOSIT_DESCRIPTOR) if code is not None else (
            isinstance(amounts, list) and [int(a) for a in amounts] == MICRODEPOSIT_AMOUNTS)
        if not good:
            raise invalid("The amounts provided do not match the amounts that were sent to "
                          "the bank account." if code is None else "The descriptor code "
                          "provided does not match the one sent to the bank account.",
                          code="payment_method_microdeposit_verification_amounts_mismatch"
                          if code is None else
                          "payment_method_microdeposit_verification_descriptor_code_mismatch")
        return self._succeed(seti, self.store.objects[seti["payment_method"]])

    def _confirm(self, seti: Obj, params: Obj) -> Obj:
        st = self.store
        if seti["status"] in _NOT_CONFIRMABLE or seti["status"] == "requires_action":
            raise invalid(f"You cannot confirm this SetupIntent because it has a status of "
                          f"{seti['status']}.", code="setup_intent_unexpected_state")
        if not seti["payment_method"]:
            raise invalid("You cannot confirm this SetupIntent because it's missing a "
                          "payment method.", code="setup_intent_unexpected_state")
        pm = st.objects[seti["payment_method"]]
        if pm["type"] not in seti["payment_method_types"]:
            raise invalid(f"The PaymentMethod provided ({pm['type']}) is not allowed for this "
                          "SetupIntent.", param="payment_method")
        if pm["customer"] not in (None, seti["customer"]):
            raise invalid(f"The provided PaymentMethod {pm['id']} belongs to a different "
                          "Customer.", param="payment_method",
                          code="payment_method_unexpected_state")
        acceptance = None
        if pm["type"] == "us_bank_account":
            acceptance = _customer_acceptance(params.get("mandate_data"), st.now())
        behaviour = st.behaviour[pm["id"]]
        if pm["type"] == "card" and behaviour.outcome == "decline":
            error: Obj = {"type": "card_error", "code": behaviour.code,
                          "decline_code": behaviour.decline_code,
                          "message": behaviour.message or "Your card was declined.",
                          "payment_method": copy.deepcopy(pm),
                          "doc_url": doc_url(behaviour.code)}
            seti.update(status="requires_payment_method", last_setup_error=error,
                        payment_method=None)
            st._emit("setup_intent.setup_failed", seti)
            raise StripeError(402, "card_error", error["message"], code=behaviour.code,
                              decline_code=behaviour.decline_code,
                              setup_intent=copy.deepcopy(seti),
                              payment_method=copy.deepcopy(pm))
        if acceptance is not None:
            # The mandate exists from the confirmation on, `pending` until the account is
            # verified (at once here, or after the microdeposits).
            mandate = st._put({
                "id": new_id("mandate"), "object": "mandate",
                "customer_acceptance": acceptance, "livemode": False,
                "multi_use": {} if seti["usage"] == "off_session" else None,
                "on_behalf_of": None, "payment_method": pm["id"],
                "payment_method_details": {"type": "us_bank_account", "us_bank_account": {}},
                "single_use": None if seti["usage"] == "off_session" else {
                    "amount": 0, "currency": "usd"},
                "status": "pending",
                "type": "multi_use" if seti["usage"] == "off_session" else "single_use",
            })
            seti["mandate"] = mandate["id"]
        options = seti["payment_method_options"].get("us_bank_account") or {}
        if pm["type"] == "us_bank_account" and \
                options.get("verification_method") == "microdeposits":
            seti.update(status="requires_action", next_action={
                "type": "verify_with_microdeposits",
                "verify_with_microdeposits": {
                    "arrival_date": st.now() + 2 * 86_400,
                    "hosted_verification_url": f"https://payments.stripe.com/microdeposit/"
                                               f"{seti['id']}",
                    "microdeposit_type": "descriptor_code"}})
            st._emit("setup_intent.requires_action", seti)
            return seti
        return self._succeed(seti, pm)

    def _succeed(self, seti: Obj, pm: Obj) -> Obj:
        st = self.store
        if seti["mandate"]:
            mandate = st.objects[seti["mandate"]]
            mandate["status"] = "active"
        if seti["customer"] and pm["customer"] is None:
            pm["customer"] = seti["customer"]
            st._emit("payment_method.attached", pm)
        seti.update(status="succeeded", next_action=None, last_setup_error=None,
                    latest_attempt=new_id("setatt"))
        st._emit("setup_intent.succeeded", seti)
        return seti


def _customer_acceptance(mandate_data: Any, now: int) -> Obj:
    """`mandate_data[customer_acceptance]` as the Mandate records it (400 when absent)."""
    param = "mandate_data[customer_acceptance]"
    if not isinstance(mandate_data, dict) or not isinstance(
            mandate_data.get("customer_acceptance"), dict):
        raise invalid("A mandate is required to set up a us_bank_account PaymentMethod for "
                      "future payments: provide mandate_data[customer_acceptance].",
                      param="mandate_data", code="parameter_missing")
    given = mandate_data["customer_acceptance"]
    kind = given.get("type")
    accepted_at = _int(given, "accepted_at") or now
    if kind == "online":
        online = given.get("online")
        if not isinstance(online, dict) or not online.get("ip_address") \
                or not online.get("user_agent"):
            raise invalid(f"Missing required param: {param}[online][ip_address] and "
                          f"{param}[online][user_agent].", param=f"{param}[online]",
                          code="parameter_missing")
        return {"accepted_at": accepted_at, "online": {
            "ip_address": str(online["ip_address"]),
            "user_agent": str(online["user_agent"])}, "type": "online"}
    if kind == "offline":
        return {"accepted_at": accepted_at, "offline": {}, "type": "offline"}
    raise invalid("Invalid customer_acceptance type: must be one of online, offline",
                  param=f"{param}[type]")
