"""The resident/staff API: one Lambda for every `/residents/{residentId}/...` route.

Powertools' APIGatewayRestResolver routes and validates (`enable_validation=True`,
pydantic request models in strict mode: `"2100"` and `21.5` are not cents, unknown
fields are refused); one Router per resource (`payment_methods`, `charges`, `payments`,
`leases`, `autopay`) holds its routes, each declaring its access rule with `@allow(...)`
(`policy.py`). The ledger library and the PaymentService decide. Every refusal is a JSON body
`{"error": ..., "code": ...}` with a 4xx status (`errors.py`), raised before anything is
written.

Order of checks for each request (`_gate`, then the resolver):
1. identity (401);
2. the path is canonical (400 `invalid_path`, `sfr3_lambdas/http_input.py`);
3. authorisation of the route the resolver will select, with its path parameters (403;
   deny by default; a route with no rule is refused to everyone);
4. the body is one JSON object with unique keys, not too deep or large (400), and JSON
   (415 for another content type);
5. request validation (400), then the business rules (400/402/404/409).
So a caller learns nothing about another resident's data, not even whether their request
would have been well-formed. Idempotency-Key handling is in `requests.py`.

The OpenAPI document (`docs/openapi.json`) is generated from these routes: each declares
its answers (`contract.answers`, the success model and every error status), and
`contract.Resolver` corrects what Powertools would otherwise claim (see `contract.py`).
CORS (`cors.py`, `SFR3_CORS_ORIGINS`): a preflight `OPTIONS` is answered before the
identity check (a browser sends no token with it; there is no OPTIONS route, so it can
only ever be the resolver's preflight answer; were one added, `policy.same_route`
refuses it: the gate authorised nothing), and the gate's refusals carry the CORS headers
too.

Each resource's router is imported and included by the first request for it (issue 17's
cold start: a Lambda answering balances never builds the lease or dispute routes, their
models, or the domain modules behind them): `router_module` names the resource's module
from the path, before the gate selects the route. A path that names no resource, and a
CORS preflight (its Allow-Methods lists every route's methods), include every router.
`app` read from outside this module (the OpenAPI document, the tests) has every route
too, in the order of `ROUTERS`; the handler itself uses `_app`. The ledger application's
own modules are imported with the handler (below): every ledger request needs them.
Powertools' `event_handler` and `utilities.data_classes` packages are registered first with
their `__init__`s deferred (`sfr3_lambdas/lean_imports.py`): those only re-export, and
would import every other resolver (AppSync's asyncio among them) and every event source's
data class, none of which any request here uses.
"""

from __future__ import annotations

# First: no garbage collection during the import (sfr3_lambdas/import_gc.py).
from sfr3_lambdas import import_gc

import_gc.hold_collections()

import base64  # noqa: E402
import importlib  # noqa: E402
import threading  # noqa: E402
from collections.abc import Iterable  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from sfr3_lambdas import auth, lean_imports  # noqa: E402

# Before any Powertools resolver is imported: their packages' `__init__`s would import every
# resolver (AppSync's asyncio, ...) and every event's data class (sfr3_lambdas/lean_imports).
for _package in lean_imports.POWERTOOLS_REEXPORTS:
    lean_imports.defer(_package)

from sfr3_lambdas.api import contract, cors, errors, policy  # noqa: E402
from sfr3_lambdas.http_input import BadInput, check_path, parse_object  # noqa: E402
from sfr3_lambdas.log_context import function_logger, http_logging  # noqa: E402

# The ledger application's modules load with the handler, not with its first request:
# every resident route builds the application, whose aggregates (ResidentLedger,
# PaymentMethods, Lease's terms) are needed by its first request anyway. What a request
# may not need (a resource's routes, autopay, the payment flows) comes on first use.
from sfr3_ledger import application as _application  # noqa: E402, F401

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

logger = function_logger("api")
CORS = cors.cors_config()  # None unless SFR3_CORS_ORIGINS lists origins
_app = contract.Resolver(enable_validation=True, cors=CORS)
errors.register(_app)
_app.use([policy.same_route])

# The route modules, one Router each, in the order `app` includes them all.
ROUTERS = ("payment_methods", "charges", "payments", "leases", "autopay",  # /residents/<id>/…
           "disputes", "reports",  # /disputes and /reports (issue 14)
           "analytics")  # /analytics/payment-health (issue 15)
# `/residents/<residentId>/<segment>/…` -> the module whose router holds those routes.
RESIDENT_RESOURCES = {"payment-methods": "payment_methods", "charges": "charges",
                      "payments": "payments", "balance": "payments", "lease": "leases",
                      "autopay": "autopay"}
TOP_RESOURCES = {"disputes": "disputes", "reports": "reports", "analytics": "analytics"}
_included: set[str] = set()
_including = threading.RLock()


def router_module(path: str) -> str | None:
    """The module of ROUTERS whose router holds every route `path` could match (None: no
    resource's; tests/api/test_lazy_routes.py checks it against every route)."""
    parts = path.split("/")
    if len(parts) > 3 and parts[0] == "" and parts[1] == "residents":
        return RESIDENT_RESOURCES.get(parts[3])
    if len(parts) > 1 and parts[0] == "":
        return TOP_RESOURCES.get(parts[1])
    return None


def _include(names: Iterable[str]) -> None:
    """Import these route modules and include their routers, once each."""
    with _including:
        for name in names:
            if name not in _included:
                module = importlib.import_module(f"{__name__}.{name}")
                _app.include_router(module.router)
                _included.add(name)


def _include_for(path: str) -> None:
    name = router_module(path)
    _include(ROUTERS if name is None else (name,))


def __getattr__(name: str) -> Any:
    """`app`, with every router included (PEP 562: read as `api.app` from outside)."""
    if name == "app":
        _include(ROUTERS)
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _body_text(event: dict[str, Any]) -> str | None:
    body = event.get("body")
    if not body:
        return None
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(str(body), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise BadInput("Request body must be UTF-8 JSON", "invalid_json") from None
    return str(body)


def _preflight(event: dict[str, Any]) -> bool:
    """A CORS preflight (OPTIONS, CORS configured): Powertools answers it, no token needed."""
    return CORS is not None and str(event.get("httpMethod") or "").upper() == "OPTIONS"


def _refuse(event: dict[str, Any], status: int, body: dict[str, Any]) -> dict[str, Any]:
    """A refusal built outside the resolver, with the CORS headers an allowed origin gets."""
    answer = errors.raw(status, body)
    answer["headers"].update(cors.headers(CORS, event.get("headers")))
    return answer


def _gate(event: dict[str, Any]) -> dict[str, Any] | tuple[auth.Principal, policy.Selected | None]:
    """Identity, path, authorisation and body shape, before the resolver sees the event."""
    try:
        principal = auth.principal_from_claims(auth.claims_of(event))
        path = str(event.get("path") or "")
        check_path(path)
        _include_for(path)
        selected = policy.select(_app, str(event.get("httpMethod") or ""), path)
        if selected is not None:
            policy.authorize(principal, selected)
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        content_type = headers.get("content-type", "").strip().lower()
        text = _body_text(event)
        if text is not None:
            if content_type and not content_type.startswith("application/json"):
                return _refuse(event, 415, errors.error_body(
                    "Content-Type must be application/json", "unsupported_media"))
            parse_object(text)
    except auth.Unauthenticated as exc:
        return _refuse(event, 401, errors.error_body(str(exc), "unauthorized"))
    except auth.Forbidden as exc:
        return _refuse(event, 403, errors.error_body(str(exc), "forbidden"))
    except BadInput as exc:
        return _refuse(event, 400, errors.error_body(exc.message, exc.code))
    return principal, selected


@http_logging(logger)  # API Gateway request id as correlation id
def handler(event: dict[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    """API Gateway REST (v1) proxy entry point for every resident/staff route."""
    if _preflight(event):  # a preflight carries no token: nothing to authorise
        _include(ROUTERS)  # its Access-Control-Allow-Methods: every route's methods
    else:
        gate = _gate(event)
        if isinstance(gate, dict):
            return gate
        principal, selected = gate
        _app.append_context(principal=principal, **{policy.AUTHORISED: selected})
    try:
        return cors.vary(CORS, _app.resolve(event, context))  # type: ignore[arg-type]
    except Exception:  # never a stack trace to the caller
        logger.exception("unhandled error")
        return _refuse(event, 500, errors.error_body("Internal error", "internal_error"))
    finally:
        _app.clear_context()


# Last: the import's objects are exempt from the first request's full collection (and all
# later ones); sfr3_lambdas/import_gc.py says why.
import_gc.freeze_imported()
