"""A local stand-in for API Gateway (REST API, v1 proxy events) in front of the real handlers.

Each request becomes the event API Gateway would send — `path` without a stage prefix,
`headers`/`multiValueHeaders`, query parameters, `body` (base64 when not UTF-8),
`requestContext` — and is handed to the very handler function deployed for that route:

  POST /webhooks/stripe      sfr3_lambdas.stripe_webhook.handler  (no authorizer)
  POST /internal/stripe      sfr3_lambdas.stripe_service.handler  (x-api-key, checked inside)
  everything else            sfr3_lambdas.api.handler             (Cognito authorizer)
  GET  /swagger              sfr3_dev/swagger.py, Swagger UI of the API (local only, no token)

A CORS preflight (`OPTIONS`, which browsers send without a token) skips the authorizer,
as API Gateway answers it without one; the API function answers it when
`SFR3_CORS_ORIGINS` is set (sfr3_lambdas/api/cors.py), and the gateway's own refusals
(401, 400 for a non-canonical path) carry the same CORS headers, as API Gateway's gateway
responses do deployed.

The authorizer's job is done here: a bearer token signed by the local development key
(`sfr3 dev-token`) is verified and its claims go in `requestContext.authorizer.claims`
with Cognito's conventions (every value a string, groups comma-joined). No or a bad token
is 401 `{"message": "Unauthorized"}`, as API Gateway answers. Each handler runs one
event at a time, like one Lambda execution environment (the Powertools resolver keeps the
current event on the app object); `make run` gives the API handler more environments in
worker processes (sfr3_dev/gateway_workers.py), so concurrent requests run in parallel.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt

from sfr3_dev import tokens
from sfr3_lambdas.http_input import BadInput, check_path

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _claims_as_cognito(claims: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in claims.items():
        if isinstance(value, list):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
    return out


def proxy_event(method: str, raw_path: str, headers: dict[str, str], body: bytes,
                claims: dict[str, str] | None) -> dict[str, Any]:
    split = urlsplit(raw_path)
    query = parse_qs(split.query, keep_blank_values=True)
    try:
        text, encoded = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    context: dict[str, Any] = {
        "resourcePath": split.path, "httpMethod": method, "path": split.path,
        "stage": "local", "requestId": str(uuid.uuid4()),
        "requestTimeEpoch": int(datetime.now(UTC).timestamp() * 1000),
        "identity": {"sourceIp": "127.0.0.1"},
    }
    if claims is not None:
        context["authorizer"] = {"claims": claims}
    return {
        "resource": split.path, "path": split.path, "httpMethod": method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None, "stageVariables": None, "requestContext": context,
        "body": text or None, "isBase64Encoded": encoded,
    }


def _cors_headers(headers: dict[str, str]) -> dict[str, str]:
    """The CORS headers the API's configuration gives this request's Origin ({} if none)."""
    from sfr3_lambdas import api
    from sfr3_lambdas.api import cors

    return cors.headers(api.CORS, headers)


class LocalContext:
    """Enough of a LambdaContext for Powertools (idempotency leases, logger fields)."""

    function_name = "sfr3-local"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:sfr3-local"

    def __init__(self, timeout_ms: int = 10_000) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = datetime.now(UTC).timestamp() * 1000 + timeout_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline - datetime.now(UTC).timestamp() * 1000))


class Gateway:
    """`start()` serves on (host, port) in a daemon thread; `url` is the base URL."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 key_home: Path | None = None) -> None:
        from sfr3_dev.powertools_local import per_thread_current_event, resolvers_never_debug

        resolvers_never_debug()  # before the handlers build their resolvers (POWERTOOLS_DEV)
        from sfr3_dev import swagger
        from sfr3_lambdas import api, stripe_service, stripe_webhook

        # Three Lambdas' resolvers in one process: each request thread its own event.
        per_thread_current_event()
        self.key_home = key_home
        tokens.signing_key(key_home)  # create it now, not on the first request
        self.routes: list[tuple[str, Handler, bool]] = [
            ("/webhooks/stripe", stripe_webhook.handler, False),
            ("/internal/stripe", stripe_service.handler, False),
            (swagger.PATH, swagger.handler, False),
            ("", api.handler, True),
        ]
        self._locks = {id(h): threading.Lock() for _, h, _ in self.routes}
        # More execution environments for a handler, in other processes (GatewayWorkers).
        self.pools: dict[int, Any] = {}
        gateway = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per response: status line, headers and body leave together from a
            # buffered writer (flushed by handle_one_request after each request), and
            # TCP_NODELAY is on. Headers and body as two small writes on a keep-alive
            # connection meet Nagle + the client's delayed ACK: ~40 ms per request.
            wbufsize = 1 << 16
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                gateway.serve(self)

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_OPTIONS = _serve

        self.httpd = ThreadingHTTPServer((host, port), RequestHandler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Gateway:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        name="gateway", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _authorize(self, headers: dict[str, str]) -> dict[str, str] | None:
        value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        try:
            return _claims_as_cognito(tokens.verify(token.strip(), self.key_home))
        except jwt.InvalidTokenError:
            return None

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        headers = {k: v for k, v in request.headers.items()}
        path = urlsplit(request.path).path
        cors = _cors_headers(headers)
        try:  # the same rule every handler applies: one spelling per route
            check_path(path)
        except BadInput as exc:
            self._send(request, {"statusCode": 400, "body": json.dumps(
                {"error": exc.message, "code": exc.code}), "headers": {
                "Content-Type": "application/json", **cors}})
            return
        for prefix, handler, needs_auth in self.routes:
            if prefix and path != prefix:
                continue
            claims = None
            if needs_auth and request.command != "OPTIONS":
                claims = self._authorize(headers)
                if claims is None:
                    self._send(request, {"statusCode": 401, "body": json.dumps(
                        {"message": "Unauthorized"}), "headers": {
                        "Content-Type": "application/json", **cors}})
                    return
            event = proxy_event(request.command, request.path, headers, body, claims)
            try:
                result = self.invoke(handler, event)
            except Exception:  # what API Gateway answers when a Lambda crashes
                log.exception("handler for %s crashed", path)
                result = {"statusCode": 502, "headers": {"Content-Type": "application/json"},
                          "body": json.dumps({"message": "Internal server error"})}
            self._send(request, result)
            return

    def invoke(self, handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
        """Run `event` in a free execution environment of `handler`: this process's own
        (one event at a time) or, when the handler has a pool, any idle one of its workers."""
        pool = self.pools.get(id(handler))
        if pool is not None:
            return dict(pool.invoke(event))
        with self._locks[id(handler)]:
            return handler(event, LocalContext())

    def lock_for(self, handler: Handler) -> threading.Lock:
        return self._locks[id(handler)]

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, result: dict[str, Any]) -> None:
        raw = result.get("body") or ""
        data = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
        request.send_response(int(result.get("statusCode", 200)))
        sent = set()
        for name, value in (result.get("headers") or {}).items():
            if name.lower() != "content-length":
                request.send_header(name, str(value))
                sent.add(name.lower())
        for name, values in (result.get("multiValueHeaders") or {}).items():
            if name.lower() in sent or name.lower() == "content-length":
                continue
            for value in values:
                request.send_header(name, str(value))
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
