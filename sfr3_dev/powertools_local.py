"""Powertools' current request, per thread, for the local gateway (`make run`, tests).

Powertools' resolvers keep the request being handled in class-level state
(`BaseRouter.current_event = ...`, and `lambda_context`): right for Lambda, where one
process serves one request of one function at a time. The local gateway serves the API,
the stripeService and the Stripe webhook from threads of one process, so a webhook that
the local Stripe delivers while an API request is in flight replaced that request's event:
the API then read the webhook's headers (seen: an ACH autopay enrollment refused for "no
User-Agent"), and could read its claims. `per_thread_current_event()` makes both
attributes per thread, without changing how Powertools sets or reads them: class-level
assignment goes through a metaclass property, reads from instances through a class
property, both into one `threading.local`. Local tooling only: nothing deployed imports
this module.

`resolvers_never_debug()`: `make run` sets POWERTOOLS_DEV (readable JSON logs, no EMF
metrics blobs on stdout), which would also put every resolver built without `debug=` in
debug mode: it prints each incoming event to stdout (bearer tokens and API keys included)
and answers a handler's exception with its traceback as a text/plain 500 body instead of
raising it to our handlers' JSON 500, unlike Lambda. Locally a
resolver is in debug mode only when it is built with `debug=True`.
"""

from __future__ import annotations

import threading
from abc import ABCMeta
from typing import Any

from aws_lambda_powertools.event_handler import api_gateway

_ATTRIBUTES = ("current_event", "lambda_context")
_state = threading.local()
_lock = threading.Lock()


def _read(name: str) -> Any:
    try:
        return getattr(_state, name)
    except AttributeError:
        raise AttributeError(name) from None


def _on_class(name: str) -> property:
    return property(lambda cls: _read(name), lambda cls, value: setattr(_state, name, value))


def _on_instance(name: str) -> property:
    return property(lambda self: _read(name))


class _PerThreadRouterMeta(ABCMeta):
    current_event = _on_class("current_event")
    lambda_context = _on_class("lambda_context")


def per_thread_current_event() -> None:
    """Make `BaseRouter.current_event` / `lambda_context` per thread (idempotent)."""
    base = api_gateway.BaseRouter
    with _lock:
        if type(base) is _PerThreadRouterMeta:
            return
        for name in _ATTRIBUTES:
            type.__setattr__(base, name, _on_instance(name))
        base.__class__ = _PerThreadRouterMeta


def _explicit_debug_only(debug: bool | None = None) -> bool:
    return bool(debug)


def resolvers_never_debug() -> None:
    """POWERTOOLS_DEV no longer implies the event handler's debug mode (idempotent; call it
    before the handler modules build their resolvers)."""
    api_gateway.ApiGatewayResolver._has_debug = staticmethod(  # type: ignore[method-assign]
        _explicit_debug_only)


__all__ = ["per_thread_current_event", "resolvers_never_debug"]
