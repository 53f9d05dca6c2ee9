"""Stripe servers for tests: our sandbox (in-process, real HTTP) and localstripe (subprocess).

Fixtures:
  stripe_sandbox      the local Stripe-compatible server, state reset for each test
                      (`.url`, `.control(path, body)`, `.advance(s)`, `.drain()`, ...);
                      its state is written through to a SQLite file, as under `make run`
  webhook_receiver    a loopback HTTP endpoint that records webhook POSTs
  localstripe         base URL of `localstripe` (PyPI), started on loopback for the session
  stripe_service_url  the stripeService handler behind the local API Gateway (sfr3_dev.gateway)

localstripe workarounds (v1.15.10 on Python 3.11): its `localstripe --port` binds every
interface (`::`) and pickles its store to /tmp/localstripe.pickle on every write, so the
harness starts its aiohttp `app` itself, bound to 127.0.0.1, with disk persistence off.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import attrs
import pytest

from sfr3_dev.gateway import Gateway, proxy_event
from sfr3_dev.stripe_sandbox import StripeSandbox
from tests.harness.procs import free_port, running

LOCALSTRIPE_LAUNCHER = """
import sys
from aiohttp import web
from localstripe import resources
from localstripe.server import app
type(resources.store).dump_to_disk = lambda self: None
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None)
"""


HARNESS_KEY = "sk_test_harness"


def sandbox_control(url: str, path: str, body: dict[str, Any] | None = None,
                    method: str = "POST", key: str | None = HARNESS_KEY) -> Any:
    """Call a `/_sandbox/…` control over HTTP, with the API key the guarded ones need."""
    data = json.dumps(body or {}).encode() if method == "POST" else None
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(f"{url}/_sandbox/{path}", data=data, method=method,
                                     headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


class SandboxHandle:
    """Test-side view of a running sandbox: its URL and its `/_sandbox` controls over HTTP."""

    def __init__(self, sandbox: StripeSandbox) -> None:
        self.sandbox = sandbox
        self.url = sandbox.url
        self.key = sandbox.api_key or HARNESS_KEY

    def control(self, path: str, body: dict[str, Any] | None = None,
                method: str = "POST") -> Any:
        return sandbox_control(self.url, path, body, method, self.key)

    def advance(self, seconds: int) -> list[str]:
        return list(self.control("clock/advance", {"seconds": seconds})["settled"])

    def drain(self, timeout: float = 30) -> None:
        assert self.control("webhooks/drain", {"timeout": timeout})["idle"], "deliveries stuck"

    def deliveries(self) -> list[dict[str, Any]]:
        return list(self.control("deliveries", method="GET")["data"])

    def register_webhook(self, url: str, events: list[str] | None = None) -> str:
        """Register an endpoint through Stripe's own API; returns the `whsec_…` secret."""
        body = urllib.parse.urlencode(
            [("url", url)] + [("enabled_events[]", e) for e in (events or ["*"])]).encode()
        request = urllib.request.Request(f"{self.url}/v1/webhook_endpoints", data=body,
                                         method="POST",
                                         headers={"Authorization": f"Bearer {self.key}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.loads(response.read())["secret"])


@pytest.fixture(scope="session")
def stripe_sandbox_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StripeSandbox]:
    state = tmp_path_factory.mktemp("stripe-sandbox") / "state.db"
    with StripeSandbox(retry_delays=(0.05, 0.1, 0.2), state=state) as sandbox:
        yield sandbox


@pytest.fixture
def stripe_sandbox(stripe_sandbox_server: StripeSandbox) -> SandboxHandle:
    handle = SandboxHandle(stripe_sandbox_server)
    handle.control("reset")
    return handle


@attrs.define
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class WebhookReceiver:
    """Records every POST; answers `statuses` in turn (then 200) to exercise retries."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/webhooks/stripe"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r.body) for r in self.received]

    def wait_for(self, predicate: Callable[[list[Received]], bool],
                 timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                snapshot = list(self.received)
            if predicate(snapshot):
                return snapshot
            time.sleep(0.05)
        raise AssertionError(f"webhooks not received in {timeout}s: {len(snapshot)} so far")


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.httpd.shutdown()
        receiver.httpd.server_close()


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-c", LOCALSTRIPE_LAUNCHER, str(port)]
    with running(cmd, f"{url}/v1/customers", log_name="localstripe"):
        yield url


def apigw_event(method: str, path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
    """The API Gateway REST (v1) proxy event the one local shim (`sfr3_dev.gateway`) builds,
    without an authorizer (stripeService and the webhook have none)."""
    return proxy_event(method, path, headers, body, None)


@pytest.fixture
def stripe_service_url(tmp_path: Path) -> Iterator[str]:
    """The stripeService handler behind the local API Gateway (`sfr3_dev.gateway`), which
    serves it at POST /internal/stripe exactly as under `make run`."""
    gateway = Gateway(key_home=tmp_path).start()
    try:
        yield gateway.url
    finally:
        gateway.stop()
