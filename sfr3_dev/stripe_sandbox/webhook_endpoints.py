"""Events and webhook endpoints in the sandbox.

`GET /v1/events` (filters `type` or `types[]`, with `*` and `prefix.*` wildcards),
`GET /v1/events/<id>` (only events of the last 30 days, as Stripe keeps them: an older one
is 404 `resource_missing`, like an id never issued); `POST /v1/webhook_endpoints` (answers
the `whsec_…` signing secret once, as Stripe does), `GET /v1/webhook_endpoints[/<id>]`, `POST
/v1/webhook_endpoints/<id>` (`url`, `enabled_events`, `disabled`), `DELETE …/<id>`.
Events are made by `StoreBase._emit`; `endpoints_for` tells the server where each one goes
(webhooks.py delivers it).
"""

from __future__ import annotations

import secrets

from sfr3_dev.stripe_sandbox.base import Route, StoreBase, _type_match, get_route, list_route
from sfr3_dev.stripe_sandbox.errors import DAY, ID, Obj, _bool, _str_map, invalid, missing, new_id

EVENT_RETENTION = 30 * DAY  # "Retrieves the details of an event if it was created in the
# last 30 days" (Stripe's API reference, Events)


def routes(store: WebhookEndpoints) -> list[Route]:
    return [
        ("GET", r"/v1/events", store.list_events),
        ("GET", rf"/v1/events/{ID}", store.retrieve_event),
        ("POST", r"/v1/webhook_endpoints", store.create_webhook_endpoint),
        list_route(store, "webhook_endpoint"),
        get_route(store, "webhook_endpoint"),
        ("POST", rf"/v1/webhook_endpoints/{ID}", store.update_webhook_endpoint),
        ("DELETE", rf"/v1/webhook_endpoints/{ID}", store.delete_webhook_endpoint),
    ]


class WebhookEndpoints(StoreBase):
    def list_events(self, params: Obj) -> Obj:
        rows = self._all("event")
        types = params.get("types") or ([params["type"]] if params.get("type") else None)
        if types:
            rows = [e for e in rows if any(_type_match(t, e["type"]) for t in types)]
        return self._list("event", {**params, "type": None}, (), rows)

    def retrieve_event(self, params: Obj, id_: str) -> Obj:
        event = self._get("event", id_)
        if self.now() - int(event["created"]) > EVENT_RETENTION:
            raise missing("event", id_)
        return event

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
                    for w in self._subscribed(event_type)]
