"""StripeServiceClient keeps its HTTP connection alive, safely.

A tiny HTTP/1.1 server counts the TCP connections it accepts and the requests it answers,
so the tests see the transport itself: N calls over one connection, a connection the
server dropped while idle replaced without the caller noticing (and without spending the
retry budget), and threads sharing one client never interleaving on one connection.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sfr3_adapters.stripe_service_client import PATH, StripeServiceClient
from sfr3_ledger.payment_provider import ProviderUnavailable


class CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        self.accepted = 0
        self.requests: list[dict[str, Any]] = []
        self.drop_after_response = False  # close silently, as an idle timeout would
        self.drop_without_response = False
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self) -> Any:
        pair = super().get_request()
        with self.lock:
            self.accepted += 1
        return pair

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: CountingServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests.append({"path": self.path, "body": body,
                                         "key": self.headers.get("x-api-key")})
        if self.server.drop_without_response:
            self.close_connection = True
            return
        data = json.dumps({"result": f"cus_{body['params']['resident_id']}"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        if self.server.drop_after_response:
            self.close_connection = True  # no "Connection: close": the client cannot know


@pytest.fixture
def server() -> Iterator[CountingServer]:
    srv = CountingServer()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_calls_share_one_connection(server: CountingServer) -> None:
    client = StripeServiceClient(server.url, "k", timeout=5, max_retries=0)
    answers = [client.create_customer(resident_id=f"r{i}") for i in range(20)]
    assert answers == [f"cus_r{i}" for i in range(20)]
    assert server.accepted == 1
    assert client.connections_opened == 1
    assert {r["path"] for r in server.requests} == {PATH}
    assert {r["key"] for r in server.requests} == {"k"}


def test_without_keep_alive_every_call_connects(server: CountingServer) -> None:
    """The control: the same calls with keep-alive off open one connection each."""
    client = StripeServiceClient(server.url, "k", timeout=5, max_retries=0, keep_alive=False)
    for i in range(5):
        client.create_customer(resident_id=f"r{i}")
    assert server.accepted == 5


def test_a_dropped_idle_connection_is_replaced_transparently(server: CountingServer) -> None:
    server.drop_after_response = True
    client = StripeServiceClient(server.url, "k", timeout=5, max_retries=0)
    assert [client.create_customer(resident_id=f"r{i}") for i in range(3)] == [
        "cus_r0", "cus_r1", "cus_r2"]
    # Each reuse found the connection dead and went again on a new one, once, even with
    # max_retries=0; the server answered each request exactly once.
    assert server.accepted == 3
    assert [r["body"]["params"]["resident_id"] for r in server.requests] == ["r0", "r1", "r2"]


def test_a_fresh_connection_failing_follows_the_retry_budget(server: CountingServer) -> None:
    client = StripeServiceClient(server.url, "k", timeout=5, max_retries=1, backoff=0.01)
    client.create_customer(resident_id="warm")  # one idle connection in the pool
    server.drop_without_response = True
    with pytest.raises(ProviderUnavailable):
        client.create_customer(resident_id="r")
    # reused (dropped) -> fresh (dropped) = attempt 1; retry: fresh (dropped) = attempt 2.
    assert [r["body"]["params"]["resident_id"] for r in server.requests] == [
        "warm", "r", "r", "r"]


def test_threads_sharing_a_client_never_share_a_connection(server: CountingServer) -> None:
    client = StripeServiceClient(server.url, "k", timeout=5, max_retries=0)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda i: client.create_customer(resident_id=f"t{i}"),
                                range(200)))
    assert answers == [f"cus_t{i}" for i in range(200)]
    assert len(server.requests) == 200
    assert 1 <= server.accepted <= 4  # at most one connection per concurrent caller


def test_close_drops_idle_connections_and_the_client_reconnects(
    server: CountingServer,
) -> None:
    client = StripeServiceClient(server.url, "k", timeout=5, max_retries=0)
    client.create_customer(resident_id="a")
    client.close()
    client.create_customer(resident_id="b")
    assert server.accepted == 2


def test_a_url_that_is_not_http_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="STRIPE_SERVICE_URL"):
        StripeServiceClient("svc.example", "k")
