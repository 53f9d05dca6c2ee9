"""`make run`'s finance page: the payment-health page for staff, on its own loopback port.

  GET /finance/               the page (sfr3_dev/static/payment-health.html)
  GET /finance/vega.js        vega + vega-lite + vega-embed (vl-convert-python's bundle)
  GET /finance/charts.json    the chart specifications (sfr3_dev/charts.py)
  GET /analytics/...          forwarded to the local API gateway, Authorization included

The page is static; it is served beside the API rather than by it (the API is the deployed
handlers behind the local gateway, which serves API routes only), and the forwarding keeps
the page's API calls same-origin, as a static site behind the same domain as the API
(CloudFront path routing) would be deployed. The page sends the staff member's token; this
server adds nothing to it, so the API's own authorisation decides (a resident's token is
refused there, 403).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger(__name__)
PAGE = Path(__file__).with_name("static") / "payment-health.html"
FORWARDED = ("/analytics/",)


class FinancePage:
    def __init__(self, api_url: str, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api_url = api_url.rstrip("/")
        page = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:
                log.debug("finance page: " + fmt, *args)

            def do_GET(self) -> None:
                page.serve(self)

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/finance/"

    def start(self) -> FinancePage:
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        name="sfr3-finance-page", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    # ---- requests ---------------------------------------------------------------------

    def serve(self, request: BaseHTTPRequestHandler) -> None:
        path = urlsplit(request.path).path
        if path in ("/", "/finance"):
            return _send(request, 302, b"", "text/plain", {"Location": "/finance/"})
        if path == "/finance/":
            return _send(request, 200, PAGE.read_bytes(), "text/html; charset=utf-8")
        if path == "/finance/vega.js":
            from sfr3_dev.charts import vega_embed_script

            return _send(request, 200, vega_embed_script().encode(),
                         "text/javascript; charset=utf-8", {"Cache-Control": "max-age=3600"})
        if path == "/finance/charts.json":
            from sfr3_dev.charts import chart_specs

            return _send(request, 200, json.dumps(chart_specs()).encode(), "application/json")
        if path.startswith(FORWARDED):
            return self._forward(request)
        return _send(request, 404, b'{"error": "Not found", "code": "not_found"}',
                     "application/json")

    def _forward(self, request: BaseHTTPRequestHandler) -> None:
        headers = {"Accept": "application/json"}
        if request.headers.get("Authorization"):
            headers["Authorization"] = request.headers["Authorization"]
        upstream = urllib.request.Request(self.api_url + request.path, headers=headers)
        try:
            with urllib.request.urlopen(upstream, timeout=30) as answer:
                status, body = answer.status, answer.read()
                kind = answer.headers.get("Content-Type", "application/json")
        except urllib.error.HTTPError as err:
            status, body = err.code, err.read()
            kind = err.headers.get("Content-Type", "application/json")
        _send(request, status, body, kind, {"Cache-Control": "no-store"})


def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, kind: str,
          headers: dict[str, str] | None = None) -> None:
    request.send_response(status)
    request.send_header("Content-Type", kind)
    request.send_header("Content-Length", str(len(body)))
    request.send_header("X-Content-Type-Options", "nosniff")
    request.send_header("Content-Security-Policy",
                        "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                        "style-src 'self' 'unsafe-inline'; img-src 'self' data:")
    for name, value in (headers or {}).items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(body)
