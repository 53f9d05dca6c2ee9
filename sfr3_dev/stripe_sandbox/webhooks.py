"""Webhook delivery as Stripe does it: signed POSTs, retried until a 2xx.

Signing matches Stripe byte for byte: `Stripe-Signature: t=<unix>,v1=<hex>` where v1 is
HMAC-SHA256 keyed by the endpoint's `whsec_…` secret over `"{t}.{payload}"`, so the SDK's
own `stripe.Webhook.construct_event` accepts it. `t` is wall-clock time (the SDK checks it
against its tolerance), even when the sandbox clock has been advanced.

Reliability switches exist because real Stripe may deliver late, twice, or out of order:
`duplicates` sends every delivery twice; `hold` parks deliveries until `release(order)`
sends them in the chosen order (e.g. reversed).
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import json
import random
import threading
import time
import urllib.error
import urllib.request
from typing import Any

import attrs


def sign(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header value for `payload`."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


@attrs.define
class Delivery:
    event: dict[str, Any]
    url: str
    secret: str
    endpoint: str
    attempt: int = 1


@attrs.define
class Attempt:
    """One POST we made: what tests read back from `/_sandbox/deliveries`."""

    event_id: str
    type: str
    url: str
    endpoint: str
    attempt: int
    status: int | None
    error: str | None = None


class Dispatcher:
    """A single worker thread posts deliveries in order; failures return to a timed heap."""

    def __init__(self, *, retry_delays: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0),
                 timeout: float = 10.0) -> None:
        self.retry_delays = retry_delays
        self.timeout = timeout
        self.duplicates = False
        self.hold = False
        self.forwards: list[tuple[str, str]] = []  # (url, secret): like `stripe listen`
        self.attempts: list[Attempt] = []
        self._held: list[Delivery] = []
        self._heap: list[tuple[float, int, Delivery]] = []
        self._seq = itertools.count()
        self._busy = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="stripe-sandbox-webhooks",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        with self._cond:
            self.duplicates = False
            self.hold = False
            self.attempts.clear()
            self._held.clear()
            self._heap.clear()

    def publish(self, event: dict[str, Any], targets: list[tuple[str, str, str]]) -> None:
        """Queue `event` for each (endpoint id, url, secret) and every forward target."""
        all_targets = targets + [("forward", url, secret) for url, secret in self.forwards]
        with self._cond:
            for endpoint, url, secret in all_targets:
                for _ in range(2 if self.duplicates else 1):
                    delivery = Delivery(event, url, secret, endpoint)
                    if self.hold:
                        self._held.append(delivery)
                    else:
                        self._push(0.0, delivery)
            self._cond.notify_all()

    def redeliver(self, event: dict[str, Any], targets: list[tuple[str, str, str]]) -> None:
        """Send an already-delivered event again (a duplicate on demand)."""
        with self._cond:
            hold, self.hold = self.hold, False
            duplicates, self.duplicates = self.duplicates, False
        try:
            self.publish(event, targets)
        finally:
            with self._cond:
                self.hold, self.duplicates = hold, duplicates

    def release(self, order: str = "fifo") -> int:
        """Send held deliveries: `fifo`, `reverse` or `shuffle` (or `drop` them: webhooks that
        never arrive, for a reconciliation test); returns how many."""
        with self._cond:
            held, self._held = self._held, []
            if order == "drop":
                return len(held)
            if order == "reverse":
                held.reverse()
            elif order == "shuffle":
                random.shuffle(held)
            elif order != "fifo":
                raise ValueError(f"unknown order {order!r}")
            for delivery in held:
                self._push(0.0, delivery)
            self._cond.notify_all()
            return len(held)

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is queued or in flight (held deliveries excepted)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._heap or self._busy:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
            return True

    def _push(self, delay: float, delivery: Delivery) -> None:
        heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), delivery))

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (
                    not self._heap or self._heap[0][0] > time.monotonic()
                ):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._cond.wait(wait)
                if self._stopped:
                    return
                _, _, delivery = heapq.heappop(self._heap)
                self._busy += 1
            try:
                status, error = self._post(delivery)
            finally:
                with self._cond:
                    self._busy -= 1
                    self.attempts.append(Attempt(
                        delivery.event["id"], delivery.event["type"], delivery.url,
                        delivery.endpoint, delivery.attempt, status, error))
                    ok = status is not None and 200 <= status < 300
                    if not ok and delivery.attempt <= len(self.retry_delays):
                        delay = self.retry_delays[delivery.attempt - 1]
                        delivery = attrs.evolve(delivery, attempt=delivery.attempt + 1)
                        self._push(delay, delivery)
                    self._cond.notify_all()

    def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        payload = json.dumps(delivery.event, indent=2).encode()
        request = urllib.request.Request(
            delivery.url, data=payload, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8",
                     "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                     "Stripe-Signature": sign(payload, delivery.secret)},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return int(response.status), None
        except urllib.error.HTTPError as exc:
            return int(exc.code), None
        except OSError as exc:
            return None, str(exc)
