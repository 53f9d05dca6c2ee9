"""The sandbox's state and Stripe's rules for the resources this project uses.

One lock guards everything: requests are tiny and correctness (idempotency, refund limits)
matters more than throughput. Objects are plain dicts shaped like Stripe's published
examples (`shared/stripe/fixtures3.json`), so the official SDK parses them unchanged.
Every state change that Stripe would announce becomes an `event` handed to `on_event`.

Persistence (`Store(path=...)`): the state is written through to an embedded SQLite file
(WAL) as it changes, one transaction per request or control action, so a `kill -9` loses
nothing that was answered. Rows are JSON keyed by (space, key): every object (customers,
payment methods, intents, charges, refunds, disputes, balance transactions, events,
webhook endpoints), each method's test behaviour, pending ACH settlements, idempotency
keys, endpoint signing secrets, the clock and queued failures, and `extra` (the server's
own settings: webhook forwards and switches). The dicts record which keys a change touched
(reads included, since objects are mutated in place); at the end of the change those
whose JSON differs from what was last written are upserted. Start-up replays the rows in
insertion order and rebuilds every index. Without a path the store lives in memory only.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

from sfr3_dev.stripe_sandbox import catalog
from sfr3_dev.stripe_sandbox.finance import FinanceMixin

Obj = dict[str, Any]
DISPUTE_FEE = 1500
DAY = 86_400
EVIDENCE_FIELDS = (
    "access_activity_log", "billing_address", "cancellation_policy",
    "cancellation_policy_disclosure", "cancellation_rebuttal", "customer_communication",
    "customer_email_address", "customer_name", "customer_purchase_ip", "customer_signature",
    "duplicate_charge_documentation", "duplicate_charge_explanation", "duplicate_charge_id",
    "product_description", "receipt", "refund_policy", "refund_policy_disclosure",
    "refund_refusal_explanation", "service_date", "service_documentation", "shipping_address",
    "shipping_carrier", "shipping_date", "shipping_documentation", "shipping_tracking_number",
    "uncategorized_file", "uncategorized_text",
)


class StripeError(Exception):
    """An error answer in Stripe's shape: `{"error": {"type", "code", "message", ...}}`."""

    def __init__(self, status: int, type_: str, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: Obj = {"error": {"type": type_, "message": message,
                                    **{k: v for k, v in fields.items() if v is not None}}}
        if fields.get("code"):
            self.body["error"]["doc_url"] = f"https://stripe.com/docs/error-codes/{fields['code']}"


def invalid(message: str, *, param: str | None = None, code: str | None = None,
            status: int = 400) -> StripeError:
    return StripeError(status, "invalid_request_error", message, param=param, code=code)


def missing(kind: str, id_: str, param: str = "id") -> StripeError:
    return invalid(f"No such {kind}: '{id_}'", param=param, code="resource_missing", status=404)


def new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


def _int(params: Obj, name: str, *, required: bool = False) -> int | None:
    raw = params.get(name)
    if raw is None or raw == "":
        if required:
            raise invalid(f"Missing required param: {name}.", param=name,
                          code="parameter_missing")
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {raw}", param=name,
                      code="parameter_invalid_integer") from None


def _bool(value: Any) -> bool:
    return str(value).lower() in {"true", "1"}


def _str_map(value: Any, param: str) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise invalid(f"Invalid object: {param}", param=param)
    return {str(k): str(v) for k, v in value.items()}


class _Tracked(dict):  # type: ignore[type-arg]
    """A dict that notes every key read or written into `dirty` (shared, ordered)."""

    __slots__ = ("_dirty", "_space")

    def __init__(self, space: str, dirty: dict[tuple[str, str], None]) -> None:
        super().__init__()
        self._space, self._dirty = space, dirty

    def __getitem__(self, key: str) -> Any:
        self._dirty[(self._space, key)] = None
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self._dirty[(self._space, key)] = None
        return super().get(key, default)

    def __setitem__(self, key: str, value: Any) -> None:
        self._dirty[(self._space, key)] = None
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._dirty[(self._space, key)] = None
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        self._dirty[(self._space, key)] = None
        return super().pop(key, *default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._dirty[(self._space, key)] = None
        return super().setdefault(key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def popitem(self) -> tuple[str, Any]:
        key, value = super().popitem()
        self._dirty[(self._space, key)] = None
        return key, value

    def clear(self) -> None:
        for key in list(self):
            self._dirty[(self._space, key)] = None
        super().clear()


# space -> (encode, decode) of one value; "object" rows are Stripe objects as they are
_CODECS: dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]] = {
    "object": (lambda v: v, lambda v: v),
    "behaviour": (attrs.asdict, lambda v: catalog.TestMethod(**v)),
    "pending_ach": (lambda v: v, int),
    "idempotency": (list, tuple),
    "webhook_secret": (lambda v: v, str),
    "extra": (lambda v: v, lambda v: v),
}
_SCHEMA_VERSION = 1


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


class Store(FinanceMixin):
    """All sandbox state; `call` is the whole Stripe API surface we serve.

    `path`: a SQLite file the state is written through to and restored from (created if
    absent); None keeps everything in memory.
    """

    def __init__(self, *, ach_settle_seconds: int = 4 * DAY,
                 path: str | os.PathLike[str] | None = None) -> None:
        self.lock = threading.RLock()
        self.ach_settle_seconds = ach_settle_seconds
        self.on_event: Callable[[Obj], None] | None = None
        self.path = Path(path) if path is not None else None
        self._db: sqlite3.Connection | None = None
        self._dirty: dict[tuple[str, str], None] = {}  # (space, key) touched, in order
        self._saved: dict[tuple[str, str], str] = {}  # (space, key) -> JSON last written
        self._depth = 0
        # JSON-able state owned by whoever runs the store (the server's forwards and
        # switches); persisted like the rest, kept across `reset`
        self.extra: dict[str, Any] = self._dict("extra")
        self._clear()
        if self.path is not None:
            self._open(self.path)

    def _dict(self, space: str) -> dict[str, Any]:
        return _Tracked(space, self._dirty) if self.path is not None else {}

    def _clear(self) -> None:
        self.clock_offset = 0
        self.objects: dict[str, Obj] = self._dict("object")  # every object by id, in order
        self.by_kind: dict[str, dict[str, Obj]] = {}  # the same, grouped by `object`
        self.behaviour: dict[str, catalog.TestMethod] = self._dict("behaviour")  # pm id ->
        self.pending_ach: dict[str, int] = self._dict("pending_ach")  # pi id -> settles at
        self.idempotency: dict[str, tuple[str, int, Obj]] = self._dict("idempotency")
        self.injected: list[tuple[int, Obj]] = []  # queued failure answers
        self.webhook_secrets: dict[str, str] = self._dict("webhook_secret")

    def reset(self) -> None:
        with self.transaction():
            self._clear()
            self._dirty.clear()
            if self._db is not None:
                with self._db:
                    self._db.execute("DELETE FROM state WHERE space != 'extra'")
                self._saved = {k: v for k, v in self._saved.items() if k[0] == "extra"}

    # ---- persistence ---------------------------------------------------------------------
    def _spaces(self) -> dict[str, dict[str, Any]]:
        return {"object": self.objects, "behaviour": self.behaviour,
                "pending_ach": self.pending_ach, "idempotency": self.idempotency,
                "webhook_secret": self.webhook_secrets, "extra": self.extra}

    def _open(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False)  # every use holds self.lock
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")  # WAL: a process crash loses no commit
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, _SCHEMA_VERSION):
            db.close()
            raise RuntimeError(f"{path}: sandbox state schema {version}, expected "
                               f"{_SCHEMA_VERSION}")
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS state (space TEXT NOT NULL, key TEXT NOT "
                       "NULL, body TEXT NOT NULL, PRIMARY KEY (space, key))")
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        self._db = db
        self._load()

    def _load(self) -> None:
        assert self._db is not None
        spaces = self._spaces()
        with self.lock:
            for space, key, body in self._db.execute(
                    "SELECT space, key, body FROM state ORDER BY rowid"):
                value = json.loads(body)
                self._saved[(space, key)] = body
                if space == "meta":
                    self.clock_offset = int(value["clock_offset"])
                    self.injected = [(int(s), b) for s, b in value["injected"]]
                elif space in spaces:
                    dict.__setitem__(spaces[space], key, _CODECS[space][1](value))
                    if space == "object":
                        self.by_kind.setdefault(value["object"], {})[key] = value
            self._dirty.clear()

    def close(self) -> None:
        """Write what is pending and close the state file (a no-op without one)."""
        with self.lock:
            if self._db is not None:
                self._flush()
                self._db.close()
                self._db = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock; when the outermost block ends, its changes are written in one
        SQLite transaction. Every mutating entry point runs inside one."""
        with self.lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0 and self._db is not None:
                    self._flush()

    def _flush(self) -> None:
        assert self._db is not None
        spaces = self._spaces()
        touched = list(self._dirty)
        upserts: list[tuple[str, str, str]] = []
        deletes: list[tuple[str, str]] = []
        for space, key in touched:
            source = spaces[space]
            if dict.__contains__(source, key):
                body = _dumps(_CODECS[space][0](dict.__getitem__(source, key)))
                if self._saved.get((space, key)) != body:
                    upserts.append((space, key, body))
            elif (space, key) in self._saved:
                deletes.append((space, key))
        meta = _dumps({"clock_offset": self.clock_offset,
                       "injected": [list(i) for i in self.injected]})
        if self._saved.get(("meta", "store")) != meta:
            upserts.append(("meta", "store", meta))
        if upserts or deletes:
            with self._db:  # one transaction; on error nothing is marked written
                self._db.executemany(
                    "INSERT INTO state (space, key, body) VALUES (?, ?, ?) "
                    "ON CONFLICT (space, key) DO UPDATE SET body = excluded.body", upserts)
                self._db.executemany("DELETE FROM state WHERE space = ? AND key = ?",
                                     deletes)
            for space, key, body in upserts:
                self._saved[(space, key)] = body
            for gone in deletes:
                del self._saved[gone]
        self._dirty.clear()

    # ---- clock ---------------------------------------------------------------------------
    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    def advance(self, seconds: int) -> list[str]:
        """Move the sandbox clock; ACH payments due by then settle or fail, in due order."""
        with self.transaction():
            self.clock_offset += seconds
            due = sorted((at, pi) for pi, at in self.pending_ach.items() if at <= self.now())
            for _, pi_id in due:
                del self.pending_ach[pi_id]
                self._settle_ach(self.objects[pi_id])
            return [pi for _, pi in due]

    # ---- plumbing ------------------------------------------------------------------------
    def _put(self, obj: Obj) -> Obj:
        self.objects[obj["id"]] = obj
        self.by_kind.setdefault(obj["object"], {})[obj["id"]] = obj
        return obj

    def _get(self, kind: str, id_: str, param: str = "id") -> Obj:
        obj = self.objects.get(id_)
        if obj is None or obj.get("object") != kind:
            raise missing(kind, id_, param)
        return obj

    def _emit(self, type_: str, obj: Obj, previous: Obj | None = None,
              request: tuple[str | None, str | None] = (None, None)) -> Obj:
        data: Obj = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = previous
        event = self._put({
            "id": new_id("evt"), "object": "event", "api_version": "2024-06-20",
            "created": self.now(), "data": data, "livemode": False,
            "pending_webhooks": sum(
                1 for w in self._all("webhook_endpoint")
                if w["status"] == "enabled" and _enabled(w, type_)
            ),
            "request": {"id": request[0], "idempotency_key": request[1]}, "type": type_,
        })
        if self.on_event is not None:
            self.on_event(event)
        return event

    def _all(self, kind: str) -> list[Obj]:
        return list(self.by_kind.get(kind, {}).values())

    # ---- entry point ---------------------------------------------------------------------
    def call(self, method: str, path: str, params: Obj,
             idempotency_key: str | None = None) -> tuple[int, Obj, bool]:
        """Serve one API request: (status, body, replayed)."""
        with self.transaction():
            if self.injected:
                status, body = self.injected.pop(0)
                return status, body, False
            if method == "POST" and idempotency_key:
                fingerprint = hashlib.sha256(
                    json.dumps([path, params], sort_keys=True).encode()
                ).hexdigest()
                seen = self.idempotency.get(idempotency_key)
                if seen is not None:
                    if seen[0] != fingerprint:
                        err = StripeError(
                            400, "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other "
                            f"than '{idempotency_key}' if you meant to execute a different "
                            "request.",
                        )
                        return err.status, err.body, False
                    return seen[1], copy.deepcopy(seen[2]), True
            status, body = self._dispatch(method, path, params, idempotency_key)
            if method == "POST" and idempotency_key and status < 500:
                self.idempotency[idempotency_key] = (fingerprint, status, copy.deepcopy(body))
            return status, body, False

    def _dispatch(self, method: str, path: str, params: Obj,
                  idem: str | None) -> tuple[int, Obj]:
        for verb, pattern, handler in self._routes():
            if verb != method:
                continue
            match = re.fullmatch(pattern, path)
            if match:
                try:
                    body = handler(params, *match.groups())
                    return 200, self._expand(body, params.get("expand") or [])
                except StripeError as err:
                    return err.status, err.body
        err = invalid(f"Unrecognized request URL ({method}: {path}).", status=404)
        return err.status, err.body

    def _routes(self) -> list[tuple[str, str, Callable[..., Obj]]]:
        from sfr3_dev.stripe_sandbox import setup_intents  # imports this module

        i = r"([A-Za-z0-9_]+)"
        return [
            *setup_intents.routes(self),  # first: it also checks `mandate` on intents
            ("POST", r"/v1/customers", self.create_customer),
            ("GET", rf"/v1/customers/{i}", lambda p, id_: self._get("customer", id_)),
            ("GET", rf"/v1/customers/{i}/payment_methods", self.customer_payment_methods),
            ("POST", r"/v1/payment_methods", self.create_payment_method),
            ("GET", rf"/v1/payment_methods/{i}", self.retrieve_payment_method),
            ("POST", rf"/v1/payment_methods/{i}/attach", self.attach),
            ("POST", rf"/v1/payment_methods/{i}/detach", self.detach),
            ("POST", r"/v1/payment_intents", self.create_payment_intent),
            ("GET", r"/v1/payment_intents", lambda p: self._list("payment_intent", p,
                                                                  ("customer",))),
            ("GET", rf"/v1/payment_intents/{i}", lambda p, id_: self._get("payment_intent",
                                                                            id_)),
            ("POST", rf"/v1/payment_intents/{i}/confirm", self.confirm_payment_intent),
            ("POST", rf"/v1/payment_intents/{i}/cancel", self.cancel_payment_intent),
            ("GET", rf"/v1/charges/{i}", lambda p, id_: self._get("charge", id_)),
            ("GET", r"/v1/charges", lambda p: self._list("charge", p,
                                                          ("customer", "payment_intent"))),
            ("POST", r"/v1/refunds", self.create_refund),
            ("GET", r"/v1/refunds", lambda p: self._list("refund", p,
                                                          ("charge", "payment_intent"))),
            ("GET", rf"/v1/refunds/{i}", lambda p, id_: self._get("refund", id_)),
            ("GET", r"/v1/disputes", lambda p: self._list("dispute", p,
                                                           ("charge", "payment_intent"))),
            ("GET", rf"/v1/disputes/{i}", lambda p, id_: self._get("dispute", id_)),
            ("POST", rf"/v1/disputes/{i}", self.update_dispute),
            ("POST", rf"/v1/disputes/{i}/close", lambda p, id_: self.close_dispute(id_,
                                                                                  "lost")),
            ("GET", r"/v1/balance_transactions", lambda p: self._list(
                "balance_transaction", p, ("type", "source"))),
            ("GET", rf"/v1/balance_transactions/{i}",
             lambda p, id_: self._get("balance_transaction", id_)),
            ("GET", r"/v1/events", self.list_events),
            ("GET", rf"/v1/events/{i}", lambda p, id_: self._get("event", id_)),
            ("POST", r"/v1/webhook_endpoints", self.create_webhook_endpoint),
            ("GET", r"/v1/webhook_endpoints", lambda p: self._list("webhook_endpoint", p, ())),
            ("GET", rf"/v1/webhook_endpoints/{i}",
             lambda p, id_: self._get("webhook_endpoint", id_)),
            ("POST", rf"/v1/webhook_endpoints/{i}", self.update_webhook_endpoint),
            ("DELETE", rf"/v1/webhook_endpoints/{i}", self.delete_webhook_endpoint),
            *self._finance_routes(),
        ]

    # ---- lists and expansion -------------------------------------------------------------
    def _list(self, kind: str, params: Obj, filters: tuple[str, ...],
              items: list[Obj] | None = None) -> Obj:
        rows = list(reversed(items if items is not None else self._all(kind)))
        for name in filters:
            if params.get(name):
                rows = [r for r in rows if _ref(r.get(name)) == params[name]]
        created = params.get("created")
        if isinstance(created, dict):
            ops = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
            for op, bound in created.items():
                if op not in ops:
                    raise invalid(f"Received unknown parameter: created[{op}]",
                                  param=f"created[{op}]")
                rows = [r for r in rows if ops[op](r["created"], int(bound))]
        elif created not in (None, ""):
            rows = [r for r in rows if r["created"] == int(created)]
        rows.sort(key=lambda r: r["created"], reverse=True)  # stable: newest insert first
        limit = _int(params, "limit") or 10
        if not 1 <= limit <= 100:
            raise invalid("Invalid limit: must be between 1 and 100", param="limit")
        if params.get("starting_after"):
            ids = [r["id"] for r in rows]
            start = ids.index(params["starting_after"]) + 1 if params["starting_after"] in ids \
                else len(rows)
            rows = rows[start:]
            page = rows[:limit]
        elif params.get("ending_before"):
            ids = [r["id"] for r in rows]
            end = ids.index(params["ending_before"]) if params["ending_before"] in ids else 0
            page = rows[max(0, end - limit):end]
            rows = rows[max(0, end - limit):]
        else:
            page = rows[:limit]
        path = {"payment_intent": "payment_intents", "balance_transaction":
                "balance_transactions", "webhook_endpoint": "webhook_endpoints"}.get(
            kind, f"{kind}s")
        return {"object": "list", "data": page, "has_more": len(rows) > len(page),
                "url": f"/v1/{path}"}

    def _expand(self, body: Obj, expand: list[str] | str) -> Obj:
        paths = [expand] if isinstance(expand, str) else list(expand)
        if not paths:
            return body
        body = copy.deepcopy(body)
        for p in paths:
            self._expand_path(body, p.split("."))
        return body

    def _expand_path(self, node: Any, parts: list[str]) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and node.get("object") == "list":
            for item in node["data"]:
                self._expand_path(item, rest)
            return
        value = node.get(head)
        if isinstance(value, str) and value in self.objects:
            node[head] = copy.deepcopy(self.objects[value])
        self._expand_path(node.get(head), rest)

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
        return self._get("payment_method", id_, param)

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
        self._emit("payment_method.detached", pm, previous)
        return pm

    # ---- payment intents -----------------------------------------------------------------
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
        if params.get("payment_method"):
            pi["payment_method"] = self._resolve_pm(params["payment_method"])["id"]
        if pi["status"] not in ("requires_confirmation", "requires_payment_method"):
            raise invalid(f"This PaymentIntent's status is {pi['status']}, so it cannot be "
                          "confirmed.", code="payment_intent_unexpected_state")
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
        self._succeed(pi, charge)
        self.after_success(charge, behaviour)
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

    def _succeed(self, pi: Obj, charge: Obj) -> None:
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
                      "doc_url": f"https://stripe.com/docs/error-codes/{behaviour.code}"}
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
            return
        self._succeed(pi, charge)
        self.after_success(charge, behaviour)

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

    # ---- refunds -------------------------------------------------------------------------
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

    # ---- disputes ------------------------------------------------------------------------
    def open_dispute(self, charge_id: str, reason: str = "fraudulent", *,
                     inquiry: bool = False) -> Obj:
        with self.transaction():
            charge = self._get("charge", charge_id, "charge")
            if charge["status"] != "succeeded" or charge["disputed"]:
                raise invalid(f"Charge {charge_id} cannot be disputed.")
            now = self.now()
            dispute = self._put({
                "id": new_id("dp"), "object": "dispute", "amount": charge["amount"],
                "balance_transactions": [], "charge": charge_id, "created": now,
                "currency": charge["currency"],
                "evidence": {**dict.fromkeys(EVIDENCE_FIELDS), "enhanced_evidence": {}},
                "evidence_details": {"due_by": now + 7 * DAY, "has_evidence": False,
                                     "past_due": False, "submission_count": 0,
                                     "enhanced_eligibility": {}},
                "is_charge_refundable": False, "livemode": False, "metadata": {},
                "payment_intent": charge["payment_intent"],
                "payment_method_details": {
                    "card": {"brand": "visa", "case_type": "chargeback",
                             "network_reason_code": "10.4"}, "type": "card"}
                if charge["payment_method_details"]["type"] == "card" else {
                    "type": "us_bank_account", "us_bank_account": {}},
                "reason": reason,
                "status": "warning_needs_response" if inquiry else "needs_response",
                "enhanced_eligibility_types": [],
            })
            charge["disputed"] = True
            if inquiry:  # an inquiry withdraws nothing
                self._emit("charge.dispute.created", dispute)
                return dispute
            txn = self._balance_txn("adjustment", -dispute["amount"], DISPUTE_FEE,
                                    dispute["id"], "dispute",
                                    f"Chargeback withdrawal for {charge_id}")
            dispute["balance_transactions"].append(copy.deepcopy(txn))
            self._emit("charge.dispute.created", dispute)
            self._emit("charge.dispute.funds_withdrawn", dispute)
            return dispute

    def update_dispute(self, params: Obj, id_: str) -> Obj:
        dispute = self._get("dispute", id_)
        if dispute["status"] in ("won", "lost", "warning_closed"):
            raise invalid("This dispute is already closed", code="dispute_already_closed")
        evidence = params.get("evidence") or {}
        if not isinstance(evidence, dict):
            raise invalid("Invalid object", param="evidence")
        for key in evidence:
            if key not in EVIDENCE_FIELDS:
                raise invalid(f"Received unknown parameter: evidence[{key}]",
                              param=f"evidence[{key}]")
        self.check_evidence_files(evidence)
        previous = {"status": dispute["status"]}
        dispute["evidence"].update({k: str(v) for k, v in evidence.items()})
        dispute["metadata"].update(_str_map(params.get("metadata"), "metadata"))
        if evidence:
            dispute["evidence_details"]["has_evidence"] = True
        submit = _bool(params["submit"]) if "submit" in params else True
        if submit:
            dispute["evidence_details"]["submission_count"] += 1
            dispute["status"] = "warning_under_review" if dispute["status"].startswith(
                "warning_") else "under_review"
        self._emit("charge.dispute.updated", dispute, previous)
        text = dispute["evidence"].get("uncategorized_text")
        if submit and text in ("winning_evidence", "losing_evidence"):  # Stripe test-mode magic
            self.close_dispute(id_, "won" if text == "winning_evidence" else "lost")
        return dispute

    def close_dispute(self, id_: str, outcome: str) -> Obj:
        """Close as won (funds reinstated) or lost (chargeback stands)."""
        with self.transaction():
            dispute = self._get("dispute", id_)
            if outcome not in ("won", "lost"):
                raise invalid("outcome must be won or lost", param="outcome")
            if dispute["status"] in ("won", "lost", "warning_closed"):
                raise invalid("This dispute is already closed", code="dispute_already_closed")
            previous = {"status": dispute["status"]}
            if dispute["status"].startswith("warning_"):  # an inquiry closes, moving nothing
                dispute["status"] = "warning_closed"
                self._emit("charge.dispute.closed", dispute, previous)
                return dispute
            dispute["status"] = outcome
            if outcome == "won":
                txn = self._balance_txn("adjustment", dispute["amount"], 0, dispute["id"],
                                        "dispute_reversal",
                                        f"Chargeback reversal for {dispute['charge']}")
                dispute["balance_transactions"].append(copy.deepcopy(txn))
                self._emit("charge.dispute.funds_reinstated", dispute)
            self._emit("charge.dispute.closed", dispute, previous)
            self.after_close(dispute)
            return dispute

    # ---- events and webhook endpoints ----------------------------------------------------
    def list_events(self, params: Obj) -> Obj:
        rows = self._all("event")
        types = params.get("types") or ([params["type"]] if params.get("type") else None)
        if types:
            rows = [e for e in rows if any(_type_match(t, e["type"]) for t in types)]
        return self._list("event", {**params, "type": None}, (), rows)

    def create_webhook_endpoint(self, params: Obj) -> Obj:
        url = params.get("url")
        events = params.get("enabled_events")
        if not url or not str(url).startswith(("http://", "https://")):
            raise invalid("Missing required param: url.", param="url",
                          code="parameter_missing")
        if not events or not isinstance(events, list):
            raise invalid("Missing required param: enabled_events.", param="enabled_events",
                          code="parameter_missing")
        endpoint = self._put({
            "id": new_id("we"), "object": "webhook_endpoint", "api_version": None,
            "application": None, "created": self.now(),
            "description": params.get("description") or None, "enabled_events": events,
            "livemode": False, "metadata": _str_map(params.get("metadata"), "metadata"),
            "status": "enabled", "url": url,
        })
        secret = f"whsec_{secrets.token_hex(16)}"
        self.webhook_secrets[endpoint["id"]] = secret
        return {**endpoint, "secret": secret}

    def update_webhook_endpoint(self, params: Obj, id_: str) -> Obj:
        endpoint = self._get("webhook_endpoint", id_)
        if params.get("url"):
            endpoint["url"] = params["url"]
        if params.get("enabled_events"):
            endpoint["enabled_events"] = params["enabled_events"]
        if "disabled" in params:
            endpoint["status"] = "disabled" if _bool(params["disabled"]) else "enabled"
        return endpoint

    def delete_webhook_endpoint(self, params: Obj, id_: str) -> Obj:
        self._get("webhook_endpoint", id_)
        del self.objects[id_]
        del self.by_kind["webhook_endpoint"][id_]
        self.webhook_secrets.pop(id_, None)
        return {"id": id_, "object": "webhook_endpoint", "deleted": True}

    def endpoints_for(self, event_type: str) -> list[tuple[str, str, str]]:
        """(endpoint id, url, signing secret) of each enabled endpoint wanting this type."""
        with self.lock:
            return [(w["id"], w["url"], self.webhook_secrets[w["id"]])
                    for w in self._all("webhook_endpoint")
                    if w["status"] == "enabled" and _enabled(w, event_type)]


def _ref(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _type_match(pattern: str, type_: str) -> bool:
    return pattern == "*" or pattern == type_ or (
        pattern.endswith(".*") and type_.startswith(pattern[:-1]))


def _enabled(endpoint: Obj, type_: str) -> bool:
    return any(_type_match(p, type_) for p in endpoint["enabled_events"])
