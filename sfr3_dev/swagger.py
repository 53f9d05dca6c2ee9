"""Swagger UI for the API under `make run`: `GET /swagger` (and `/swagger?format=json`).

Powertools' own Swagger UI (`enable_swagger`, its bundled JS/CSS: no CDN) on a resolver of
its own whose OpenAPI document is the API's (`sfr3_lambdas.api.app`, the one written to
docs/openapi.json, with the same title and security scheme). It is served by the local
gateway without a token — it only shows the contract — and it is not a route of the API
function, so the API's policy stays deny-by-default for every route it has (a route
without a rule is refused to everyone). "Authorize" takes a bearer token
(`sfr3 dev-token ...`); "Try it out" calls the API on the same origin.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import OpenAPI

from sfr3_lambdas.api import app as api_app
from sfr3_lambdas.api import contract

PATH = "/swagger"


class _ApiDocument(APIGatewayRestResolver):
    """A resolver whose OpenAPI document is the API's (it has no routes of its own but
    Powertools' Swagger UI route)."""

    def get_openapi_schema(self, **options: Any) -> OpenAPI:
        return api_app.get_openapi_schema(**options)


docs = _ApiDocument()
docs.enable_swagger(path=PATH, persist_authorization=True, **contract.document_options())


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The local gateway's handler for `GET /swagger` (a proxy event, like a Lambda's)."""
    return docs.resolve(event, context)
