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
- `POST /v1/payment_intents` and `…/<id>/confirm` (checked here before the store
  confirms the intent):
  `mandate=<id>` needs `confirm=true` and an `active` mandate of the intent's payment
  method; `mandate_data[customer_acceptance]` (online: `ip_address`, `user_agent`) needs
  `confirm=true` too and makes a new mandate (`single_use` for the intent's amount, or
  `multi_use` with `setup_future_usage=off_session`), active at once. An on-session
  (no `off_session=true`) `us_bank_account` confirmation with neither is refused, 400
  `parameter_missing` on `mandate_data`, and nothing is created. The charge names the
  mandate in `payment_method_details.us_bank_account.mandate`.
- Not modelled: an off-session bank confirmation with neither is still accepted (autopay
  enrollments recorded before mandates existed are debited so; real Stripe would look
  for a mandate of the method's own), and a used `single_use` mandate stays `active`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from sfr3_dev.stripe_sandbox.base import Route
from sfr3_dev.stripe_sandbox.errors import ID, Obj, _bool, invalid, new_id
from sfr3_dev.stripe_sandbox.setup_intents import _customer_acceptance

if TYPE_CHECKING:
    from sfr3_dev.stripe_sandbox.store import Store

UNAUTHORIZED_RETURN = "debit_not_authorized"


def routes(store: Store) -> list[Route]:
    """Checked before every other family's (`Store._routes`): it sees intents first."""
    return [
        ("POST", r"/v1/payment_intents", lambda p: create_payment_intent(store, p)),
        ("POST", rf"/v1/payment_intents/{ID}/confirm",
         lambda p, id_: confirm_payment_intent(store, p, id_)),
    ]


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
    """`POST /v1/payment_intents`, with `mandate` / `mandate_data` checked first."""
    confirm = _bool(params.get("confirm"))
    for name in ("mandate", "mandate_data"):
        if params.get(name) and not confirm:
            raise invalid(f"The parameter `{name}` can only be used when `confirm=true`.",
                          param=name)
    if not confirm:
        return store.create_payment_intent(params)
    pm = store._resolve_pm(params["payment_method"]) if params.get("payment_method") \
        else None
    rest = {k: v for k, v in params.items() if k not in ("mandate", "mandate_data")}
    if pm is not None:  # a test token resolves to one method, used by the intent too
        rest["payment_method"] = pm["id"]
    return _confirm_under(store, params, pm,
                          lambda extra: store.create_payment_intent({**rest, **extra}))


def confirm_payment_intent(store: Store, params: Obj, id_: str) -> Obj:
    """`POST /v1/payment_intents/<id>/confirm`, with the same mandate rules."""
    pi = store._get("payment_intent", id_)
    if pi["status"] not in ("requires_confirmation", "requires_payment_method"):
        return store.confirm_payment_intent(params, id_)  # its own refusal, unchanged
    pm_id = params.get("payment_method") or pi["payment_method"]
    pm = store._resolve_pm(pm_id) if pm_id else None
    rest = {k: v for k, v in params.items() if k not in ("mandate", "mandate_data")}
    if pm is not None:
        rest["payment_method"] = pm["id"]
    return _confirm_under(store, params, pm,
                          lambda extra: store.confirm_payment_intent({**rest, **extra}, id_))


def _confirm_under(store: Store, params: Obj, pm: Obj | None,
                   confirm: Callable[[Obj], Obj]) -> Obj:
    """Confirm (`confirm(extra params)`) only under a mandate a bank debit may use."""
    mandate_id = params.get("mandate")
    if mandate_id:
        mandate = store._get("mandate", str(mandate_id), "mandate")
        if mandate["status"] != "active":
            raise invalid(f"The mandate {mandate_id} is {mandate['status']} and cannot be "
                          "used for a payment.", param="mandate", code="mandate_inactive")
        if pm is not None and pm["id"] != mandate["payment_method"]:
            raise invalid(f"The mandate {mandate_id} does not belong to the PaymentMethod "
                          f"{pm['id']}.", param="mandate")
        pi = confirm({} if pm is not None else {"payment_method": mandate["payment_method"]})
        _name_on_charge(store, pi, str(mandate_id))
        return pi
    if pm is None or pm["type"] != "us_bank_account":
        return confirm({})
    mandate_data = params.get("mandate_data")
    if not mandate_data:
        if _bool(params.get("off_session")):  # an earlier mandate of the method's, as before
            return confirm({})
        raise invalid("A mandate is required to confirm a us_bank_account PaymentIntent "
                      "on-session: provide mandate_data[customer_acceptance] (or mandate).",
                      param="mandate_data", code="parameter_missing")
    acceptance = _customer_acceptance(mandate_data, store.now())  # 400 before any write
    reusable = params.get("setup_future_usage") == "off_session"
    pi = confirm({})
    mandate = store._put({
        "id": new_id("mandate"), "object": "mandate", "customer_acceptance": acceptance,
        "livemode": False, "multi_use": {} if reusable else None, "on_behalf_of": None,
        "payment_method": pm["id"],
        "payment_method_details": {"type": "us_bank_account", "us_bank_account": {}},
        "single_use": None if reusable else {"amount": pi["amount"],
                                             "currency": pi["currency"]},
        "status": "active", "type": "multi_use" if reusable else "single_use",
    })
    _name_on_charge(store, pi, mandate["id"])
    return pi


def _name_on_charge(store: Store, pi: Obj, mandate_id: str) -> None:
    charge = store.objects.get(pi["latest_charge"]) if pi.get("latest_charge") else None
    if charge is not None:
        details = charge["payment_method_details"].get("us_bank_account")
        if isinstance(details, dict):
            details["mandate"] = mandate_id
