"""HTTP front of the Stripe sandbox: Stripe's wire protocol on `/v1/…`, test controls on
`/_sandbox/…`.

Run alone with `sfr3 stripe-sandbox --port 12111 [--forward-to URL] [--state FILE]`, or
in-process through `StripeSandbox(...).start()` (what `make run` and the tests do). Point
the SDK at it with `StripeClient(key, base_addresses={"api": sandbox.url})`; any
`sk_test_…` key is accepted unless `api_key` pins one.

State: with `state=` / `--state FILE` everything is written through to that SQLite file as
it changes (see `store.py`) and restored on start, so a killed sandbox comes back with its
customers, payment methods, intents, events, idempotency keys, webhook endpoints and
control-added forwards. Without it the state lives in memory.

Security: the sandbox binds loopback only; a non-loopback `host` is refused unless
`allow_remote=True` (`--allow-remote`), because its controls are unauthenticated test
hooks. Controls that reveal the webhook signing secret or change where events are
forwarded need the sandbox's own API key, the one the SDK uses (`Authorization: Bearer
sk_…`: the pinned `api_key`, else any `sk_test_…` key), and a loopback `Host` header (no
DNS rebinding); without them `POST /_sandbox/webhooks` answers 401 to `forward_to` and
leaves `forward_secret` out of its answer. The other controls (reset, clock, disputes,
delivery switches, drain, resend, fault injection) stay open on loopback.

Controls: see controls.py (its list is part of `--help`).
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import secrets
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from sfr3_dev.stripe_sandbox import controls
from sfr3_dev.stripe_sandbox.errors import StripeError, invalid
from sfr3_dev.stripe_sandbox.files import parse_multipart
from sfr3_dev.stripe_sandbox.forms import decode
from sfr3_dev.stripe_sandbox.store import Store
from sfr3_dev.stripe_sandbox.webhooks import Dispatcher

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True if `host` names only this machine (127.0.0.0/8, ::1, localhost)."""
    host = host.strip("[]")
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StripeSandbox:
    """A running sandbox: `url` for the SDK, `store` and `dispatcher` for direct control.

    `state`: SQLite file to write the state through to and restore it from (None: memory).
    `allow_remote`: permit binding a non-loopback `host` (off: refused with ValueError).
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, api_key: str | None = None,
                 forward_to: str | None = None, forward_secret: str | None = None,
                 ach_settle_seconds: int = 4 * 86_400,
                 retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0),
                 state: str | os.PathLike[str] | None = None,
                 allow_remote: bool = False) -> None:
        if not allow_remote and not is_loopback(host):
            raise ValueError(f"the Stripe sandbox binds loopback only, not {host!r} (its "
                             "controls are unauthenticated test hooks); pass "
                             "allow_remote=True / --allow-remote to override")
        self.allow_remote = allow_remote
        self.store = Store(ach_settle_seconds=ach_settle_seconds, path=state)
        self.dispatcher = Dispatcher(retry_delays=retry_delays)
        self.store.on_event = self._publish
        self.api_key = api_key
        saved = dict(self.store.extra.get("sandbox") or {})
        self.forward_secret = (forward_secret or saved.get("forward_secret")
                               or f"whsec_{secrets.token_hex(16)}")
        if forward_to:
            self.dispatcher.forwards.append((forward_to, self.forward_secret))
        # forwards added through the control route are state; constructor ones are config
        self._added_forwards: list[tuple[str, str]] = []
        for url, secret in saved.get("forwards", []):
            if url not in [u for u, _ in self.dispatcher.forwards]:
                self.dispatcher.forwards.append((url, secret))
                self._added_forwards.append((url, secret))
        self.dispatcher.duplicates = bool(saved.get("duplicates", False))
        self.dispatcher.hold = bool(saved.get("hold", False))
        self._save_settings()
        handler = type("Handler", (_Handler,), {"sandbox": self})
        try:
            self.httpd = ThreadingHTTPServer((host, port), handler)
        except OSError:
            self.dispatcher.stop()
            self.store.close()
            raise
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None
        # paths (None: any) of coming requests that are served but whose answer is lost
        self.drop_responses: list[str | None] = []

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StripeSandbox:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,),
                                        name="stripe-sandbox", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.dispatcher.stop()
        self.store.close()

    def __enter__(self) -> StripeSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _publish(self, event: dict[str, Any]) -> None:
        self.dispatcher.publish(event, self.store.endpoints_for(event["type"]))

    def _save_settings(self) -> None:
        """Persist the server's own state (forwards, signing secret, delivery switches)."""
        with self.store.transaction(), self.dispatcher._cond:
            self.store.extra["sandbox"] = {
                "forward_secret": self.forward_secret,
                "forwards": [list(f) for f in self._added_forwards],
                "duplicates": self.dispatcher.duplicates, "hold": self.dispatcher.hold,
            }

    def control(self, method: str, path: str, body: dict[str, Any], *,
                authorised: bool = True) -> tuple[int, Any]:
        """Serve a `/_sandbox/…` control (controls.py). `authorised`: the caller proved it
        holds the API key (HTTP callers must; in-process callers hold the sandbox)."""
        return controls.control(self, method, path, body, authorised=authorised)


class _Handler(BaseHTTPRequestHandler):
    sandbox: StripeSandbox
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out as separate writes; without this, Nagle plus delayed ACK
        # add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(length) if length else b""
        multipart = (self.headers.get("Content-Type") or "").startswith("multipart/form-data")
        raw = "" if multipart else data.decode()
        request_id = f"req_{secrets.token_hex(7)}"
        try:
            if url.path.startswith("/_sandbox/"):
                body = json.loads(raw) if raw.strip().startswith("{") else decode(raw)
                status, answer = self.sandbox.control(method, url.path, body,
                                                      authorised=self._may_control())
                self._send(status, answer, request_id)
                return
            if not self._authorised():
                key = self._key() or ""
                raise StripeError(401, "invalid_request_error",
                                  f"Invalid API Key provided: {key[:8]}****" if key else
                                  "You did not provide an API key.")
            params = parse_multipart(data, self.headers["Content-Type"]) if multipart else \
                decode(url.query if method in ("GET", "DELETE") else raw)
            idem = self.headers.get("Idempotency-Key")
            status, answer, replayed = self.sandbox.store.call(method, url.path, params, idem)
            drops = self.sandbox.drop_responses
            with self.sandbox.store.lock:
                match = next((i for i, p in enumerate(drops) if p in (None, url.path)), None)
                if match is not None:
                    del drops[match]
            if match is not None:  # the work is done, but the caller never hears back
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            extra = {"Idempotent-Replayed": "true"} if replayed else {}
            if idem:
                extra["Idempotency-Key"] = idem
            self._send(status, answer, request_id, extra)
        except StripeError as err:
            self._send(err.status, err.body, request_id)
        except (ValueError, KeyError) as exc:
            err = invalid(f"Invalid request: {exc}")
            self._send(err.status, err.body, request_id)

    def _key(self) -> str | None:
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Bearer "):
            return auth[7:].strip()
        if auth.startswith("Basic "):
            import base64

            return base64.b64decode(auth[6:]).decode().split(":", 1)[0]
        return None

    def _authorised(self) -> bool:
        key = self._key()
        if not key:
            return False
        if self.sandbox.api_key is not None:
            return secrets.compare_digest(key, self.sandbox.api_key)
        return key.startswith(("sk_test_", "rk_test_"))

    def _may_control(self) -> bool:
        """The API key, sent to a loopback name (a rebound DNS name gets no secrets)."""
        if not self._authorised():
            return False
        if self.sandbox.allow_remote:
            return True
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return is_loopback(name)

    def _send(self, status: int, body: Any, request_id: str,
              extra: dict[str, str] | None = None) -> None:
        data = json.dumps(body, indent=2).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Request-Id", request_id)
        self.send_header("Stripe-Version", "2024-06-20")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sfr3 stripe-sandbox",
                                     description=f"{__doc__}\n{controls.__doc__}",
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (loopback only unless --allow-remote)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="permit a non-loopback --host (the controls are unauthenticated)")
    parser.add_argument("--state", help="SQLite file the state is written through to and "
                        "restored from (default: memory only)")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--api-key", help="accept only this key (default: any sk_test_…)")
    parser.add_argument("--forward-to", help="also deliver every event to this webhook URL")
    parser.add_argument("--forward-secret", help="signing secret for --forward-to")
    parser.add_argument("--ach-settle-seconds", type=int, default=4 * 86_400)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        sandbox = StripeSandbox(host=args.host, port=args.port, api_key=args.api_key,
                                forward_to=args.forward_to, forward_secret=args.forward_secret,
                                ach_settle_seconds=args.ach_settle_seconds, state=args.state,
                                allow_remote=args.allow_remote)
    except ValueError as exc:
        parser.error(str(exc))
    print(f"stripe sandbox on {sandbox.url}", flush=True)
    if args.forward_to:
        print(f"forwarding events to {args.forward_to}; signing secret "
              f"{sandbox.forward_secret}", flush=True)
    try:
        sandbox.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
