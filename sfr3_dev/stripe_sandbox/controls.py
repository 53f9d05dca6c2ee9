"""The sandbox's test controls: `/_sandbox/…`, what tests and `make run` use to drive the
parts of Stripe no API call reaches (the clock, disputes, webhook delivery, failures).

Controls (JSON bodies):
  POST /_sandbox/reset                         forget everything
  POST /_sandbox/clock/advance {"seconds": n}  move the clock; due ACH payments settle/fail
  POST /_sandbox/disputes {"charge"|"payment_intent", "reason"?}   open a dispute
  POST /_sandbox/disputes/<id>/close {"outcome": "won"|"lost"}
  POST /_sandbox/webhooks {"duplicates"?: bool, "hold"?: bool, "forward_to"?: url}
                                                answers the switches (and, with the key,
                                                `forward_secret`); forward_to needs the key
  POST /_sandbox/webhooks/release {"order": "fifo"|"reverse"|"shuffle"|"drop"}
  POST /_sandbox/webhooks/drain {"timeout"?: s}  wait for in-flight deliveries
  POST /_sandbox/events/<id>/resend             deliver an event again
  POST /_sandbox/balance_transactions/<id>/amount {"amount": n}   Stripe's books change
                                                (a reconciliation test's injected drift)
  POST /_sandbox/payment_methods/<id>/behave_as {"token": "pm_card_visa"}
                                                later charges act as that test token
  POST /_sandbox/mandates/<id>/deactivate      the customer revoked it at their bank:
                                                `inactive`, `mandate.updated` sent
  POST /_sandbox/idempotency/expire {"older_than"?: seconds (default 86400)}
                                                forget idempotency keys first used that
                                                long ago (sandbox clock), as Stripe does
                                                after 24 h: {"forgotten": n}
  POST /_sandbox/fail {"status": 429|500|401, "count": n}   next n API calls fail
  POST /_sandbox/fail {"mode": "drop_response", "count": n, "path"?: p}
                                                the next n calls (to p) run, answers lost
  GET  /_sandbox/deliveries                     every webhook POST made, in order
  GET  /_sandbox/health                         {"ok": true} once serving
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from sfr3_dev.stripe_sandbox import catalog
from sfr3_dev.stripe_sandbox.balance_transactions import set_balance_transaction_amount
from sfr3_dev.stripe_sandbox.errors import DAY, StripeError, invalid, unrecognized
from sfr3_dev.stripe_sandbox.mandates import deactivate

if TYPE_CHECKING:
    from sfr3_dev.stripe_sandbox.server import StripeSandbox

Body = dict[str, Any]
# handler(sandbox, body, authorised, *path ids) -> the answer (always 200)
Control = Callable[..., Any]

_INJECTED = {
    429: ("rate_limit_error", "Too many requests hit the API too quickly.", "rate_limit"),
    500: ("api_error", "An unknown error occurred.", None),
    401: ("invalid_request_error", "Invalid API Key provided: sk_test_****", None),
}


def control(sandbox: StripeSandbox, method: str, path: str, body: Body, *,
            authorised: bool = True) -> tuple[int, Any]:
    """Serve a `/_sandbox/…` control. `authorised`: the caller proved it holds the API
    key (HTTP callers must; in-process callers hold the sandbox object already)."""
    rest = "/".join(path.strip("/").split("/")[1:])
    for verb, pattern, handler in _CONTROLS:
        match = re.fullmatch(pattern, rest)
        if verb == method and match:
            return 200, handler(sandbox, body, authorised, *match.groups())
    raise unrecognized(method, path)


def _health(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    return {"ok": True}


def _deliveries(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    with sb.dispatcher._cond:
        return {"data": [attrs.asdict(a) for a in sb.dispatcher.attempts]}


def _reset(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    sb.store.reset()
    sb.dispatcher.reset()
    sb._save_settings()
    return {"ok": True}


def _advance(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    settled = sb.store.advance(int(body.get("seconds", 0)))
    return {"now": sb.store.now(), "settled": settled}


def _open_dispute(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    store = sb.store
    charge = body.get("charge")
    if not charge and body.get("payment_intent"):
        with store.lock:
            pi = store._get("payment_intent", body["payment_intent"], "payment_intent")
            charge = pi["latest_charge"]
    if not charge:
        raise invalid("charge or payment_intent is required")
    return store.open_dispute(charge, body.get("reason", "fraudulent"))


def _close_dispute(sb: StripeSandbox, body: Body, authorised: bool, id_: str) -> Any:
    return sb.store.close_dispute(id_, body.get("outcome", "lost"))


def _webhooks(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    dispatcher = sb.dispatcher
    if body.get("forward_to") and not authorised:
        raise _needs_key("forward_to")
    with dispatcher._cond:
        if "duplicates" in body:
            dispatcher.duplicates = bool(body["duplicates"])
        if "hold" in body:
            dispatcher.hold = bool(body["hold"])
        if body.get("forward_to"):
            forward = (str(body["forward_to"]), sb.forward_secret)
            dispatcher.forwards.append(forward)
            sb._added_forwards.append(forward)
        answer: Body = {"duplicates": dispatcher.duplicates, "hold": dispatcher.hold}
    sb._save_settings()
    if authorised:
        answer["forward_secret"] = sb.forward_secret
    return answer


def _release(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    return {"released": sb.dispatcher.release(body.get("order", "fifo"))}


def _drain(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    return {"idle": sb.dispatcher.drain(float(body.get("timeout", 30)))}


def _resend(sb: StripeSandbox, body: Body, authorised: bool, id_: str) -> Any:
    with sb.store.lock:
        event = sb.store._get("event", id_)
    sb.dispatcher.redeliver(event, sb.store.endpoints_for(event["type"]))
    return {"ok": True}


def _behave_as(sb: StripeSandbox, body: Body, authorised: bool, id_: str) -> Any:
    # The method now behaves like that test token (funds arrived, a card was reissued):
    # what a later attempt on the same method meets.
    behaviour = catalog.token(str(body.get("token", "")))
    if behaviour is None:
        raise invalid(f"No such test token: {body.get('token')!r}", param="token")
    with sb.store.transaction():
        sb.store._get("payment_method", id_)
        sb.store.behaviour[id_] = behaviour
    return {"ok": True}


def _deactivate_mandate(sb: StripeSandbox, body: Body, authorised: bool, id_: str) -> Any:
    with sb.store.transaction():
        mandate = sb.store._get("mandate", id_)
        changed = deactivate(sb.store, mandate)
        return {"mandate": dict(mandate), "changed": changed}


def _set_amount(sb: StripeSandbox, body: Body, authorised: bool, id_: str) -> Any:
    return set_balance_transaction_amount(sb.store, id_, int(body["amount"]))


def _expire_keys(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    older_than = int(body.get("older_than", DAY))
    if older_than < 0:
        raise invalid("older_than must be a number of seconds >= 0", param="older_than")
    return {"forgotten": sb.store.expire_idempotency_keys(older_than)}


def _fail(sb: StripeSandbox, body: Body, authorised: bool) -> Any:
    if body.get("mode") == "drop_response":
        with sb.store.lock:
            sb.drop_responses.extend([body.get("path")] * int(body.get("count", 1)))
        return {"queued": int(body.get("count", 1))}
    status = int(body.get("status", 500))
    type_, message, code = _INJECTED.get(status, _INJECTED[500])
    error = StripeError(status, type_, message, code=code)
    with sb.store.transaction():
        sb.store.injected.extend([(status, error.body)] * int(body.get("count", 1)))
    return {"queued": int(body.get("count", 1))}


def _needs_key(what: str) -> StripeError:
    return StripeError(401, "invalid_request_error",
                       f"This sandbox control ({what}) needs the sandbox's API key: send "
                       "`Authorization: Bearer sk_…` (the key the SDK uses) to a loopback "
                       "address.")


_SEGMENT = r"([^/]*)"
_CONTROLS: list[tuple[str, str, Control]] = [
    ("GET", r"health", _health),
    ("GET", r"deliveries", _deliveries),
    ("POST", r"reset", _reset),
    ("POST", r"clock/advance", _advance),
    ("POST", r"disputes", _open_dispute),
    ("POST", rf"disputes/{_SEGMENT}/close", _close_dispute),
    ("POST", r"webhooks", _webhooks),
    ("POST", r"webhooks/release", _release),
    ("POST", r"webhooks/drain", _drain),
    ("POST", rf"events/{_SEGMENT}/resend", _resend),
    ("POST", rf"payment_methods/{_SEGMENT}/behave_as", _behave_as),
    ("POST", rf"balance_transactions/{_SEGMENT}/amount", _set_amount),
    ("POST", rf"mandates/{_SEGMENT}/deactivate", _deactivate_mandate),
    ("POST", r"idempotency/expire", _expire_keys),
    ("POST", r"fail", _fail),
]
