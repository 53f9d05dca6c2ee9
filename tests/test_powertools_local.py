"""The local gateway runs several Lambdas' Powertools resolvers in one process: each
request thread must see its own event (Powertools keeps it in class-level state)."""

from __future__ import annotations

import threading
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver

from sfr3_dev.powertools_local import per_thread_current_event


def _event(path: str, agent: str) -> dict[str, Any]:
    return {"path": path, "httpMethod": "GET", "resource": path, "body": None,
            "headers": {"User-Agent": agent}, "multiValueHeaders": {"User-Agent": [agent]},
            "requestContext": {"stage": "local"}}


def test_a_request_in_flight_keeps_its_event_while_another_resolver_serves() -> None:
    per_thread_current_event()
    per_thread_current_event()  # idempotent
    api, webhook = APIGatewayRestResolver(), APIGatewayRestResolver()
    inside, other_done = threading.Event(), threading.Event()

    @api.get("/api")
    def slow() -> dict[str, Any]:
        inside.set()
        assert other_done.wait(10)  # the webhook is served meanwhile, on another thread
        return {"agent": api.current_event.headers.get("User-Agent")}

    @webhook.get("/hook")
    def hook() -> dict[str, Any]:
        return {"agent": webhook.current_event.headers.get("User-Agent")}

    answers: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: answers.setdefault(
        "api", api.resolve(_event("/api", "resident-browser"), None)))
    thread.start()
    assert inside.wait(10)
    answers["hook"] = webhook.resolve(_event("/hook", "Stripe/1.0"), None)
    other_done.set()
    thread.join(10)
    assert answers["api"]["body"] == '{"agent":"resident-browser"}'
    assert answers["hook"]["body"] == '{"agent":"Stripe/1.0"}'
