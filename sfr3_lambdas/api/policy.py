"""Who may call which route, decided on the route the resolver will actually run.

Each route function declares its action with `@allow(...)` next to its path (see
`auth.py` for what each action lets each principal do). `select()` finds the route with
the resolver's own table and regexes (the very `route.rule.match` Powertools' `_resolve`
uses), so the policy and the router cannot read one path two ways; a middleware then
checks, after routing, that the route being run is the one that was authorised. A route
without a declared action is refused to everyone (deny by default), and a test walks
every registered route to make sure none ships without one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

import attrs
from aws_lambda_powertools.event_handler.api_gateway import APIGatewayRestResolver, Response, Route
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from sfr3_lambdas import auth

F = TypeVar("F", bound=Callable[..., Any])
ACTION_ATTRIBUTE = "__sfr3_action__"
AUTHORISED = "authorised_route"


def allow(action: auth.Action) -> Callable[[F], F]:
    """Declare the action a route performs; put it under the route decorator."""

    def mark(func: F) -> F:
        setattr(func, ACTION_ATTRIBUTE, action)
        return func

    return mark


def action_of(route: Route) -> str | None:
    action = getattr(route.func, ACTION_ATTRIBUTE, None)
    return action if isinstance(action, str) else None


@attrs.frozen
class Selected:
    route: Route
    params: dict[str, str]

    @property
    def key(self) -> str:
        """The route, independent of how the URL was spelled: `POST /residents/<id>/…`."""
        return f"{self.route.method} {self.route.path}"

    @property
    def resource(self) -> str:
        """The route's template filled with its parameters: one string per operation."""
        return re.sub(r"<(\w+)>", lambda m: self.params[m.group(1)], self.route.path)


def routes(app: APIGatewayRestResolver) -> list[Route]:
    """Every registered route, in the order the resolver tries them."""
    return list(app._static_routes + app._dynamic_routes)


def select(app: APIGatewayRestResolver, method: str, path: str) -> Selected | None:
    """The route the resolver would run for (method, path), as `_resolve` finds it."""
    method = method.upper()
    for route in routes(app):
        if route.method != method:
            continue
        match = route.rule.match(path)
        if match:
            return Selected(route=route, params=dict(match.groupdict()))
    return None


def authorize(principal: auth.Principal, selected: Selected) -> None:
    """Raise auth.Forbidden unless `principal` may run `selected` (deny by default)."""
    action = action_of(selected.route)
    if action is None:
        raise auth.Forbidden("No access rule covers this route")
    auth.authorize(principal, action, selected.params.get("residentId"))


def same_route(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    """Refuse to run any route but the one the gate authorised (belt and braces)."""
    authorised = app.context.get(AUTHORISED)
    running = app.context.get("_route")
    if isinstance(authorised, Selected):
        if running is authorised.route:
            return next_middleware(app)
    elif not any(running is route for route in routes(app)):
        return next_middleware(app)  # no route matched: the resolver's own 404
    raise auth.Forbidden("Not allowed to do this for this resident")
