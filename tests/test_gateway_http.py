"""The local API Gateway's HTTP path: one write per response (no Nagle/delayed-ACK stall on
keep-alive), and dev tokens verified against a key loaded once per key file (issue 17)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from pathlib import Path

import jwt
import pytest

from sfr3_dev import tokens
from sfr3_dev.gateway import Gateway


@pytest.fixture
def gateway(tmp_path: Path) -> Gateway:
    gw = Gateway(key_home=tmp_path).start()
    yield gw
    gw.stop()


def _request(path: str, token: str | None = None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: keep-alive"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _complete(data: bytes) -> bool:
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return False
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    return len(body) >= length


def test_each_response_leaves_in_one_write_on_a_keep_alive_connection(
        gateway: Gateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Headers and body written separately are two segments, the second held back by Nagle
    until the client's delayed ACK (~40 ms per request on a keep-alive connection)."""
    writes: list[int] = []
    client: list[object] = []  # this test's end of the connection, once connected
    real_send, real_sendall = socket.socket.send, socket.socket.sendall

    def counted(real):  # type: ignore[no-untyped-def]
        def call(self, data, *args):  # type: ignore[no-untyped-def]
            # Only the gateway's writes to this connection: other sessions' stacks may be
            # sending on their own sockets from their own threads meanwhile.
            if threading.current_thread() is not threading.main_thread() and client:
                with contextlib.suppress(OSError):
                    if self.getpeername() == client[0]:
                        writes.append(len(data))
            return real(self, data, *args)
        return call

    monkeypatch.setattr(socket.socket, "send", counted(real_send))
    monkeypatch.setattr(socket.socket, "sendall", counted(real_sendall))
    token = tokens.issue(resident="res-gw", root=tmp_path)
    host, port = gateway.httpd.server_address[:2]
    with socket.create_connection((host, port), timeout=10) as conn:
        client.append(conn.getsockname())
        for path, bearer in [("/residents/res-gw/balance", token)] * 3 + [
                ("/residents/res-gw/balance", None), ("/no/such/route", token)]:
            writes.clear()
            conn.sendall(_request(path, bearer))
            data = b""
            deadline = time.monotonic() + 10
            while not _complete(data) and time.monotonic() < deadline:
                data += conn.recv(1 << 20)
            assert data.startswith(b"HTTP/1.1 ") and _complete(data)
            assert len(writes) == 1 and writes[0] == len(data), (path, writes)


def test_the_signing_key_is_loaded_once_per_key_file(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    token = tokens.issue(resident="res-k", root=tmp_path)
    tokens.verify(token, tmp_path)
    loads = []
    real = tokens.serialization.load_pem_private_key
    monkeypatch.setattr(tokens.serialization, "load_pem_private_key",
                        lambda *a, **k: loads.append(1) or real(*a, **k))
    for _ in range(20):
        assert tokens.verify(token, tmp_path)["custom:residentId"] == "res-k"
    tokens.issue(staff="pm-k", groups=("finance",), root=tmp_path)
    assert loads == []


def test_a_new_key_file_is_picked_up_and_old_tokens_are_refused(tmp_path: Path) -> None:
    old = tokens.issue(resident="res-r", root=tmp_path)
    assert tokens.verify(old, tmp_path)["cognito:username"] == "res-r"
    (tmp_path / tokens.KEY_FILE).unlink()  # `rm -rf .sfr3` while the gateway runs
    new = tokens.issue(resident="res-r", root=tmp_path)
    assert tokens.verify(new, tmp_path)["cognito:username"] == "res-r"
    with pytest.raises(jwt.InvalidSignatureError):
        tokens.verify(old, tmp_path)


def test_a_cached_token_still_expires(tmp_path: Path) -> None:
    token = tokens.issue(resident="res-e", root=tmp_path, ttl=3)
    exp = tokens.verify(token, tmp_path)["exp"]  # verified once: now in the cache
    while time.time() <= exp + 0.1:
        time.sleep(0.1)
    with pytest.raises(jwt.ExpiredSignatureError):
        tokens.verify(token, tmp_path)


def test_a_tampered_token_is_refused_even_after_the_real_one_was_cached(
        tmp_path: Path) -> None:
    token = tokens.issue(resident="res-t", root=tmp_path)
    tokens.verify(token, tmp_path)
    header, payload, signature = token.split(".")
    forged = ".".join([header, payload, signature[:-4] + ("AAAA" if signature[-4:] != "AAAA"
                                                          else "BBBB")])
    with pytest.raises(jwt.InvalidTokenError):
        tokens.verify(forged, tmp_path)
    assert os.path.exists(tmp_path / tokens.KEY_FILE)
