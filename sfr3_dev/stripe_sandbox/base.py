"""What every resource module of the sandbox builds on: `StoreBase`, the state (from
`persistence.py`) plus the clock, object storage, events, lists and `expand`.

Each Stripe resource family is a mixin over `StoreBase` in its own module (customers.py,
payment_intents.py, refunds.py, disputes.py, balance_transactions.py,
webhook_endpoints.py, files.py) with a `routes(store)` function; `store.Store` combines
them and serves their routes. Objects are plain dicts shaped like Stripe's published
examples (`shared/stripe/fixtures3.json`), so the official SDK parses them unchanged.
Every state change that Stripe would announce becomes an `event` handed to `on_event`.
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Callable
from typing import Any

from sfr3_dev.stripe_sandbox.errors import DAY, ID, Obj, _int, invalid, missing, new_id
from sfr3_dev.stripe_sandbox.persistence import PersistentState

Route = tuple[str, str, Callable[..., Obj]]  # (verb, path pattern, handler(params, *ids))


class StoreBase(PersistentState):
    """State plus the plumbing every resource mixin uses."""

    def __init__(self, *, ach_settle_seconds: int = 4 * DAY,
                 path: str | os.PathLike[str] | None = None) -> None:
        self.ach_settle_seconds = ach_settle_seconds
        self.on_event: Callable[[Obj], None] | None = None
        super().__init__(path)

    # ---- clock ---------------------------------------------------------------------------
    def now(self) -> int:
        return int(time.time()) + self.clock_offset

    # ---- objects and events --------------------------------------------------------------
    def _put(self, obj: Obj) -> Obj:
        self.objects[obj["id"]] = obj
        self.by_kind.setdefault(obj["object"], {})[obj["id"]] = obj
        return obj

    def _get(self, kind: str, id_: str, param: str = "id") -> Obj:
        obj = self.objects.get(id_)
        if obj is None or obj.get("object") != kind:
            raise missing(kind, id_, param)
        return obj

    def _all(self, kind: str) -> list[Obj]:
        return list(self.by_kind.get(kind, {}).values())

    def _subscribed(self, event_type: str) -> list[Obj]:
        """The enabled webhook endpoints that want events of this type."""
        return [w for w in self._all("webhook_endpoint")
                if w["status"] == "enabled" and _enabled(w, event_type)]

    def _emit(self, type_: str, obj: Obj, previous: Obj | None = None,
              request: tuple[str | None, str | None] = (None, None)) -> Obj:
        data: Obj = {"object": copy.deepcopy(obj)}
        if previous:
            data["previous_attributes"] = previous
        event = self._put({
            "id": new_id("evt"), "object": "event", "api_version": "2024-06-20",
            "created": self.now(), "data": data, "livemode": False,
            "pending_webhooks": len(self._subscribed(type_)),
            "request": {"id": request[0], "idempotency_key": request[1]}, "type": type_,
        })
        if self.on_event is not None:
            self.on_event(event)
        return event

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
        limit = _int(params, "limit")
        limit = 10 if limit is None else limit
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
        return {"object": "list", "data": page, "has_more": len(rows) > len(page),
                "url": f"/v1/{kind}s"}

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


# ---- routes every family has: `GET /v1/<kind>s` and `GET /v1/<kind>s/<id>` ---------------
def list_route(store: StoreBase, kind: str, *filters: str) -> Route:
    """`GET /v1/<kind>s`, filtered by the named params (ids or expanded objects)."""
    return ("GET", rf"/v1/{kind}s", lambda p: store._list(kind, p, filters))


def get_route(store: StoreBase, kind: str) -> Route:
    """`GET /v1/<kind>s/<id>`: 404 `resource_missing` unless it is an object of that kind."""
    return ("GET", rf"/v1/{kind}s/{ID}", lambda p, id_: store._get(kind, id_))


def _ref(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _type_match(pattern: str, type_: str) -> bool:
    return pattern == "*" or pattern == type_ or (
        pattern.endswith(".*") and type_.startswith(pattern[:-1]))


def _enabled(endpoint: Obj, type_: str) -> bool:
    return any(_type_match(p, type_) for p in endpoint["enabled_events"])
