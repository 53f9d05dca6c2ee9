"""Mandates in the sandbox: how they end, and the PaymentIntents made under one.

Why: a bank debit is legal only under a mandate the customer accepted, and Stripe
enforces both ends of that; the project relies on it (autopay pauses when its mandate
goes inactive; a manual ACH payment sends its own acceptance), so the sandbox does too,
after Stripe's API reference (the Mandate object, `mandate.updated`):

- A mandate's `status` is `pending`, `active` or `inactive` ("rejected, revoked, or
  previously used, and may not be used to initiate future payments"). It goes
  `inactive` when the customer revokes it at their bank (the test control
  `POST /_sandbox/mandates/<id>/deactivate`), or when an ACH debit comes back
  unauthorized (`debit_not_authorized`: R05, R07, R10, R29): the debit's own mandate,
  or every active mandate of its payment method when the debit named none. Each change
  is announced as `mandate.updated` with `previous_attributes: {"status": ...}`.
- `POST /v1/payment_intents` (checked here before the store creates the intent):
  `mandate=<id>` needs `confirm=true` and an `active` mandate of the intent's payment
  method; `mandate_data[customer_acceptance]` (online: `ip_address`, `user_agent`) needs
  `confirm=true` too and makes a new mandate (`single_use` for the intent's amount, or
  `multi_use` with `setup_future_usage=off_session`), active at once. An on-session
  (no `off_session=true`) `us_bank_account` confirmation with neither is refused, 400
  `parameter_missing` on `mandate_data`, and nothing is created. The charge names the
  mandate in `payment_method_details.us_bank_account.mandate`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sfr3_dev.stripe_sandbox.base import Route
from sfr3_dev.stripe_sandbox.errors import Obj, _bool, _int, invalid, new_id

if TYPE_CHECKING:
    from sfr3_dev.stripe_sandbox.store import Store

UNAUTHORIZED_RETURN = "debit_not_authorized"


def routes(store: Store) -> list[Route]:
    """Checked before every other family's (`Store._routes`): it sees intents first."""
    return [("POST", r"/v1/payment_intents", lambda p: create_payment_intent(store, p))]


def deactivate(store: Store, mandate: Obj) -> bool:
    """Mark a mandate `inactive` and announce it (`mandate.updated`); False if it was."""
    if mandate["status"] == "inactive":
        return False
    previous = mandate["status"]
    mandate["status"] = "inactive"
    store._emit("mandate.updated", mandate, previous={"status": previous})
    return True


def after_ach_failure(store: Store, charge: Obj, code: str | None) -> None:
    """An ACH debit returned unauthorized ends the authority it was made under."""
    if code != UNAUTHORIZED_RETURN:
        return
    details = charge["payment_method_details"].get("us_bank_account") or {}
    named = details.get("mandate") if isinstance(details, dict) else None
    if named and named in store.objects:
        deactivate(store, store.objects[named])
        return
    for mandate in store._all("mandate"):
        if mandate["payment_method"] == charge["payment_method"] and \
                mandate["status"] == "active":
            deactivate(store, mandate)


def create_payment_intent(store: Store, params: Obj) -> Obj:
    mandate_id = params.get("mandate")
    mandate_data = params.get("mandate_data")
    confirm = _bool(params.get("confirm"))
    if mandate_id and not confirm:
        raise invalid("The parameter `mandate` can only be used when `confirm=true`.",
                      param="mandate")
    if mandate_data and not confirm:
        raise invalid("The parameter `mandate_data` can only be used when `confirm=true`.",
                      param="mandate_data")
    if mandate_id:
        return _under_mandate(store, params, str(mandate_id))
    pm = store._resolve_pm(params["payment_method"]) if params.get("payment_method") \
        else None
    if pm is None or pm["type"] != "us_bank_account" or not confirm:
        return store.create_payment_intent(params)
    if not mandate_data:
        if _bool(params.get("off_session")):  # an earlier mandate of the method's, as before
            return store.create_payment_intent(params)
        raise invalid("A mandate is required to confirm a us_bank_account PaymentIntent "
                      "on-session: provide mandate_data[customer_acceptance] (or mandate).",
                      param="mandate_data", code="parameter_missing")
    from sfr3_dev.stripe_sandbox.setup_intents import _customer_acceptance

    acceptance = _customer_acceptance(mandate_data, store.now())  # 400 before any write
    amount = _int(params, "amount", required=True)
    reusable = params.get("setup_future_usage") == "off_session"
    pi = store.create_payment_intent({k: v for k, v in params.items()
                                      if k != "mandate_data"})
    mandate = store._put({
        "id": new_id("mandate"), "object": "mandate", "customer_acceptance": acceptance,
        "livemode": False, "multi_use": {} if reusable else None, "on_behalf_of": None,
        "payment_method": pm["id"],
        "payment_method_details": {"type": "us_bank_account", "us_bank_account": {}},
        "single_use": None if reusable else {
            "amount": amount, "currency": str(params.get("currency") or "").lower()},
        "status": "active", "type": "multi_use" if reusable else "single_use",
    })
    _name_on_charge(store, pi, mandate["id"])
    return pi


def _under_mandate(store: Store, params: Obj, mandate_id: str) -> Obj:
    mandate = store._get("mandate", mandate_id, "mandate")
    if mandate["status"] != "active":
        raise invalid(f"The mandate {mandate_id} is {mandate['status']} and cannot be used "
                      "for a payment.", param="mandate", code="mandate_inactive")
    pm_param = params.get("payment_method")
    if pm_param and pm_param != mandate["payment_method"]:
        raise invalid(f"The mandate {mandate_id} does not belong to the PaymentMethod "
                      f"{pm_param}.", param="mandate")
    pi = store.create_payment_intent({**params, "payment_method": mandate["payment_method"]}
                                     if not pm_param else params)
    _name_on_charge(store, pi, mandate_id)
    return pi


def _name_on_charge(store: Store, pi: Obj, mandate_id: str) -> None:
    charge = store.objects.get(pi["latest_charge"]) if pi.get("latest_charge") else None
    if charge is not None:
        details = charge["payment_method_details"].get("us_bank_account")
        if isinstance(details, dict):
            details["mandate"] = mandate_id
