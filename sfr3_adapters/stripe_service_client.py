"""PaymentProvider over HTTP: how every Lambda but stripeService reaches Stripe.

It speaks the stripeService contract — `POST {STRIPE_SERVICE_URL}/internal/stripe` with
`{"action": <port method>, "params": {...}}` and an `x-api-key` header — and maps answers
back to the port's value objects and typed errors, so callers cannot tell it from the
adapter. The wire codec (value objects <-> JSON, errors <-> JSON) that the service and its
client must agree on byte for byte is `sfr3_adapters.stripe_service_wire`; its names are
re-exported here for the callers that import them from the client.

Retries: only on connection failures and on 502s the service marks retryable (provider
unavailable / rate limited). That is safe because every create carries an idempotency key
derived from our own ids, so a repeated request replays Stripe's first answer.

Connections: one client keeps its HTTP/1.1 connections alive between calls (a small pool of
idle `http.client` connections, guarded by a lock, so threads sharing a client never share a
connection mid-request). A warm Lambda thus pays TCP+TLS set-up once, not on every call. A
pooled connection the server has meanwhile closed fails on its next use; that failure is
retried at once on a fresh connection without spending the retry budget — safe for the same
reason as above (every action is idempotent), and invisible to callers.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sfr3_adapters.stripe_service_wire import (
    ACTIONS,
    API_KEY_HEADER,
    ERROR_KINDS,
    PATH,
    RESULT_TYPES,
    converter,
    decode_result,
    encode_result,
    error_from_response,
    error_from_wire,
    error_to_wire,
)
from sfr3_ledger.payment_provider import (
    BalanceTransaction,
    BalanceTransactionPage,
    DisputeDetails,
    DisputeResult,
    MandateAcceptance,
    MandateResult,
    PaymentIntentPage,
    PaymentIntentResult,
    PaymentMethodDetails,
    ProviderEvent,
    ProviderRateLimited,
    ProviderUnavailable,
    RefundResult,
    SetupIntentResult,
    WebhookSignatureInvalid,
)

# The wire names are re-exported: callers and tests import them from the client.
__all__ = ["ACTIONS", "API_KEY_HEADER", "ERROR_KINDS", "PATH", "RESULT_TYPES",
           "StripeServiceClient", "converter", "decode_result", "encode_result",
           "error_from_wire", "error_to_wire"]


# A reused connection that the peer closed while idle fails with one of these on its next use.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
          ConnectionAbortedError)
_MAX_IDLE = 8  # idle connections kept per client; more concurrent calls simply open more


class StripeServiceClient:
    """The PaymentProvider port, served by the stripeService Lambda over HTTP."""

    def __init__(self, base_url: str, api_key: str, timeout: float = 15.0, *,
                 max_retries: int = 2, backoff: float = 0.3, keep_alive: bool = True) -> None:
        self._url = base_url.rstrip("/") + PATH
        parts = urlsplit(self._url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"STRIPE_SERVICE_URL must be an http(s) URL, got {base_url!r}")
        self._scheme = parts.scheme
        self._host = parts.hostname
        self._port = parts.port
        self._target = parts.path + (f"?{parts.query}" if parts.query else "")
        self._api_key = api_key
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = backoff
        self._keep_alive = keep_alive
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()
        self.connections_opened = 0  # observability for tests and the bench

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> StripeServiceClient:
        source = os.environ if env is None else env
        return cls(source["STRIPE_SERVICE_URL"], source.get("STRIPE_SERVICE_API_KEY", ""),
                   float(source.get("STRIPE_SERVICE_TIMEOUT", "15")))

    # ---- connections ---------------------------------------------------------------------
    def _new_connection(self) -> http.client.HTTPConnection:
        with self._lock:
            self.connections_opened += 1
        if self._scheme == "https":
            return http.client.HTTPSConnection(self._host, self._port, timeout=self._timeout)
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def _checkout(self) -> tuple[http.client.HTTPConnection, bool]:
        """An idle pooled connection (reused=True) or a new one."""
        with self._lock:
            if self._idle:
                return self._idle.pop(), True
        return self._new_connection(), False

    def _checkin(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if self._keep_alive and len(self._idle) < _MAX_IDLE:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close the idle connections (the client stays usable; it reconnects on demand)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def _exchange(self, data: bytes) -> tuple[int, bytes]:
        """One POST; a stale pooled connection is replaced once, transparently."""
        conn, reused = self._checkout()
        headers = {"Content-Type": "application/json", API_KEY_HEADER: self._api_key}
        if not self._keep_alive:
            headers["Connection"] = "close"
        while True:
            try:
                conn.request("POST", self._target, body=data, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except _STALE:
                conn.close()
                if not reused:
                    raise
                conn, reused = self._new_connection(), False  # the idle one was dropped
                continue
            except BaseException:
                conn.close()
                raise
            if response.will_close:
                conn.close()
            else:
                self._checkin(conn)
            return response.status, body

    def _call(self, action: str, params: dict[str, Any]) -> Any:
        data = json.dumps({"action": action, "params": params}).encode()
        attempt = 0
        while True:
            attempt += 1
            try:
                status, body = self._exchange(data)
            except (OSError, http.client.HTTPException) as exc:  # incl. TimeoutError
                if attempt > self._max_retries:
                    raise ProviderUnavailable("stripeService is unreachable.",
                                              code="provider_unavailable") from exc
            else:
                if status < 400:
                    return decode_result(action, json.loads(body)["result"])
                err = error_from_response(status, body)
                retryable = isinstance(err, (ProviderUnavailable, ProviderRateLimited))
                if not retryable or attempt > self._max_retries:
                    raise err from None
            time.sleep(self._backoff * 2 ** (attempt - 1))

    # ---- the port ------------------------------------------------------------------------
    def create_customer(self, *, resident_id: str, email: str | None = None) -> str:
        return str(self._call("create_customer", {"resident_id": resident_id, "email": email}))

    def attach_payment_method(
        self, *, customer_id: str, payment_method_id: str
    ) -> PaymentMethodDetails:
        result: PaymentMethodDetails = self._call(
            "attach_payment_method",
            {"customer_id": customer_id, "payment_method_id": payment_method_id})
        return result

    def detach_payment_method(self, *, payment_method_id: str) -> None:
        self._call("detach_payment_method", {"payment_method_id": payment_method_id})

    def create_payment_intent(
        self,
        *,
        payment_id: str,
        resident_id: str,
        amount: int,
        currency: str,
        customer_id: str,
        payment_method_id: str,
        metadata: Mapping[str, str] | None = None,
        mandate_id: str | None = None,
        mandate_acceptance: MandateAcceptance | None = None,
    ) -> PaymentIntentResult:
        params: dict[str, Any] = {
            "payment_id": payment_id, "resident_id": resident_id, "amount": amount,
            "currency": currency, "customer_id": customer_id,
            "payment_method_id": payment_method_id,
            "metadata": dict(metadata) if metadata is not None else None,
        }
        if mandate_id is not None:  # only when given: older services know no such key
            params["mandate_id"] = mandate_id
        if mandate_acceptance is not None:  # likewise
            params["mandate_acceptance"] = converter.unstructure(mandate_acceptance)
        result: PaymentIntentResult = self._call("create_payment_intent", params)
        return result

    def retrieve_payment_intent(self, intent_id: str) -> PaymentIntentResult:
        result: PaymentIntentResult = self._call("retrieve_payment_intent",
                                                 {"intent_id": intent_id})
        return result

    def list_payment_intents_page(
        self,
        *,
        customer_id: str,
        created_from: datetime,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> PaymentIntentPage:
        result: PaymentIntentPage = self._call("list_payment_intents_page", {
            "customer_id": customer_id, "created_from": created_from.isoformat(),
            "starting_after": starting_after, "limit": limit})
        return result

    def create_ach_mandate(
        self,
        *,
        setup_id: str,
        customer_id: str,
        payment_method_id: str,
        ip_address: str,
        user_agent: str,
        accepted_at: datetime,
        metadata: Mapping[str, str] | None = None,
    ) -> SetupIntentResult:
        result: SetupIntentResult = self._call("create_ach_mandate", {
            "setup_id": setup_id, "customer_id": customer_id,
            "payment_method_id": payment_method_id, "ip_address": ip_address,
            "user_agent": user_agent, "accepted_at": accepted_at.isoformat(),
            "metadata": dict(metadata) if metadata is not None else None,
        })
        return result

    def retrieve_setup_intent(self, setup_intent_id: str) -> SetupIntentResult:
        result: SetupIntentResult = self._call("retrieve_setup_intent",
                                               {"setup_intent_id": setup_intent_id})
        return result

    def retrieve_mandate(self, mandate_id: str) -> MandateResult:
        result: MandateResult = self._call("retrieve_mandate", {"mandate_id": mandate_id})
        return result

    def refund(
        self,
        *,
        payment_intent_id: str,
        amount: int | None,
        idempotency_key: str,
        metadata: Mapping[str, str] | None = None,
    ) -> RefundResult:
        result: RefundResult = self._call("refund", {
            "payment_intent_id": payment_intent_id, "amount": amount,
            "idempotency_key": idempotency_key,
            "metadata": dict(metadata) if metadata is not None else None,
        })
        return result

    def list_balance_transactions(
        self, *, created_from: datetime, created_to: datetime
    ) -> list[BalanceTransaction]:
        result: list[BalanceTransaction] = self._call("list_balance_transactions", {
            "created_from": created_from.isoformat(), "created_to": created_to.isoformat()})
        return result

    def submit_dispute_evidence(
        self, *, dispute_id: str, evidence: Mapping[str, str], submit: bool = True
    ) -> DisputeResult:
        result: DisputeResult = self._call("submit_dispute_evidence", {
            "dispute_id": dispute_id, "evidence": dict(evidence), "submit": submit})
        return result

    def list_balance_transactions_page(
        self,
        *,
        created_from: datetime,
        created_to: datetime,
        starting_after: str | None = None,
        limit: int = 100,
    ) -> BalanceTransactionPage:
        result: BalanceTransactionPage = self._call("list_balance_transactions_page", {
            "created_from": created_from.isoformat(), "created_to": created_to.isoformat(),
            "starting_after": starting_after, "limit": limit})
        return result

    def retrieve_dispute(self, dispute_id: str) -> DisputeDetails:
        result: DisputeDetails = self._call("retrieve_dispute", {"dispute_id": dispute_id})
        return result

    def upload_dispute_file(self, *, filename: str, content_type: str, content: bytes) -> str:
        """The file travels base64-encoded inside the JSON body (stripeService's 4 MB)."""
        import base64

        return str(self._call("upload_dispute_file", {
            "filename": filename, "content_type": content_type,
            "content_base64": base64.b64encode(content).decode("ascii")}))

    def verify_webhook(self, *, payload: bytes, signature_header: str) -> ProviderEvent:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookSignatureInvalid("Webhook payload is not UTF-8.") from exc
        result: ProviderEvent = self._call("verify_webhook",
                                           {"payload": text, "signature_header": signature_header})
        return result

    def retrieve_event(self, event_id: str) -> ProviderEvent:
        result: ProviderEvent = self._call("retrieve_event", {"event_id": event_id})
        return result
