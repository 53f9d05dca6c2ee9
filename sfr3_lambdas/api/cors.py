"""CORS for a browser front end: the allowed origins come from `SFR3_CORS_ORIGINS`.

`SFR3_CORS_ORIGINS` is a comma-separated list of origins (`https://app.example.com`,
scheme + host + optional port, no path); unset or empty, the API sends no CORS header at
all (the default: only same-origin or non-browser callers). Set, Powertools' `CORSConfig`
on the resolver answers a preflight `OPTIONS` (204, no token needed: browsers send none)
and adds `Access-Control-Allow-Origin` (the caller's origin, when it is listed) to every
answer, the gate's refusals (401/403/400/415) and the last-resort 500 included, so a
browser can read why it was refused. `Idempotency-Key` is an allowed request header.
Every answer then says `Vary: Origin` (it depends on the caller's origin: a cache must not
hand one origin's answer to another).
Read once, at cold start, like every Lambda setting; a malformed value fails then, naming
the variable (`sfr3_lambdas/config.py`). Deployed, API Gateway answers preflights and its
own errors (serverless.yml); this is what the function itself does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import CORSConfig

from sfr3_lambdas import config

ENV = "SFR3_CORS_ORIGINS"
ALLOW_HEADERS = ["Idempotency-Key"]
EXPOSE_HEADERS = ["Content-Disposition"]
MAX_AGE_SECONDS = 600


def origins(env: Mapping[str, str] | None = None) -> list[str]:
    """The allowed origins (validated; [] when unset)."""
    source = os.environ if env is None else env
    config.validate((), {ENV: source.get(ENV, "")})
    return config.cors_origins(source.get(ENV, ""))


def cors_config(env: Mapping[str, str] | None = None) -> CORSConfig | None:
    """Powertools' CORSConfig for the allowed origins; None (no CORS at all) when unset."""
    allowed = origins(env)
    if not allowed:
        return None
    return CORSConfig(allow_origin=allowed[0], extra_origins=allowed[1:],
                      allow_headers=ALLOW_HEADERS, expose_headers=EXPOSE_HEADERS,
                      max_age=MAX_AGE_SECONDS)


def headers(cors: CORSConfig | None, request_headers: Mapping[str, str] | None
            ) -> dict[str, str]:
    """The CORS headers an answer built outside the resolver carries (the gate's)."""
    if cors is None:
        return {}
    origin = next((str(v) for k, v in (request_headers or {}).items()
                   if str(k).lower() == "origin"), None)
    found = cors.to_dict(cors.allowed_origin(origin)) if origin is not None else {}
    return {**found, "Vary": "Origin"}


def vary(cors: CORSConfig | None, answer: dict[str, Any]) -> dict[str, Any]:
    """Add `Vary: Origin` to a proxy answer of the resolver when CORS is on."""
    if cors is not None:
        if isinstance(answer.get("multiValueHeaders"), dict):
            answer["multiValueHeaders"].setdefault("Vary", ["Origin"])
        else:
            answer.setdefault("headers", {}).setdefault("Vary", "Origin")
    return answer
