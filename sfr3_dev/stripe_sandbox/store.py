"""The sandbox's Stripe API: `Store`, every resource family combined, and `call`, which
serves one request (idempotency keys, queued failures, routing, `expand`).

Each family lives in its own module as a mixin over `base.StoreBase` with a
`routes(store)` function: customers.py (customers, payment methods), payment_intents.py
(payment intents, charges), refunds.py, disputes.py (and the dispute test cards),
balance_transactions.py, webhook_endpoints.py (events, webhook endpoints), files.py, and
setup_intents.py (SetupIntents, Mandates) and mandates.py (intents under a mandate, and
how a mandate goes inactive). The state, its lock and its write-through to
SQLite are persistence.py's; error answers and param coercions errors.py's. The names
that used to be defined here are re-exported.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re

from sfr3_dev.stripe_sandbox import (
    balance_transactions,
    catalog,
    customers,
    disputes,
    files,
    mandates,
    payment_intents,
    refunds,
    setup_intents,
    webhook_endpoints,
)
from sfr3_dev.stripe_sandbox.base import Route, _enabled, _ref, _type_match
from sfr3_dev.stripe_sandbox.disputes import DISPUTE_FEE, EVIDENCE_FIELDS
from sfr3_dev.stripe_sandbox.errors import (
    DAY,
    Obj,
    StripeError,
    _bool,
    _int,
    _str_map,
    invalid,
    missing,
    new_id,
    unrecognized,
)
from sfr3_dev.stripe_sandbox.payment_intents import PaymentIntents
from sfr3_dev.stripe_sandbox.persistence import _CODECS, _SCHEMA_VERSION, _dumps, _Tracked
from sfr3_dev.stripe_sandbox.refunds import Refunds
from sfr3_dev.stripe_sandbox.webhook_endpoints import WebhookEndpoints

__all__ = [
    "DAY", "DISPUTE_FEE", "EVIDENCE_FIELDS", "_CODECS", "_SCHEMA_VERSION", "Obj", "Store",
    "StripeError", "_Tracked", "_bool", "_dumps", "_enabled", "_int", "_ref", "_str_map",
    "_type_match", "catalog", "invalid", "missing", "new_id",
]


class Store(PaymentIntents, Refunds, WebhookEndpoints):
    """All sandbox state; `call` is the whole Stripe API surface we serve.

    `path`: a SQLite file the state is written through to and restored from (created if
    absent); None keeps everything in memory.
    """

    def advance(self, seconds: int) -> list[str]:
        """Move the sandbox clock; ACH payments due by then settle or fail, in due order."""
        with self.transaction():
            self.clock_offset += seconds
            due = sorted((at, pi) for pi, at in self.pending_ach.items() if at <= self.now())
            for _, pi_id in due:
                del self.pending_ach[pi_id]
                self._settle_ach(self.objects[pi_id])
            return [pi for _, pi in due]

    # ---- entry point ---------------------------------------------------------------------
    def call(self, method: str, path: str, params: Obj,
             idempotency_key: str | None = None) -> tuple[int, Obj, bool]:
        """Serve one API request: (status, body, replayed)."""
        with self.transaction():
            if self.injected:
                status, body = self.injected.pop(0)
                return status, body, False
            if method == "POST" and idempotency_key:
                fingerprint = hashlib.sha256(
                    json.dumps([path, params], sort_keys=True).encode()
                ).hexdigest()
                seen = self.idempotency.get(idempotency_key)
                if seen is not None:
                    if seen[0] != fingerprint:
                        err = StripeError(
                            400, "idempotency_error",
                            "Keys for idempotent requests can only be used with the same "
                            "parameters they were first used with. Try using a key other "
                            f"than '{idempotency_key}' if you meant to execute a different "
                            "request.",
                        )
                        return err.status, err.body, False
                    return seen[1], copy.deepcopy(seen[2]), True
            status, body = self._dispatch(method, path, params, idempotency_key)
            if method == "POST" and idempotency_key and status < 500:
                # When the key was first used (sandbox clock): what `expire_idempotency_keys`
                # reads, as Stripe prunes keys once they are at least 24 hours old.
                self.idempotency[idempotency_key] = (fingerprint, status, copy.deepcopy(body),
                                                     self.now())
            return status, body, False

    def expire_idempotency_keys(self, older_than: int = DAY) -> int:
        """Forget the keys first used at least `older_than` seconds ago (sandbox clock), as
        Stripe does after 24 hours: a request under one of them is then a new request.
        Keys saved without a time (an older state file) are kept. How many were forgotten."""
        with self.transaction():
            cutoff = self.now() - older_than
            old = [key for key, seen in self.idempotency.items()
                   if len(seen) > 3 and int(seen[3]) <= cutoff]
            for key in old:
                del self.idempotency[key]
            return len(old)

    def _dispatch(self, method: str, path: str, params: Obj,
                  idem: str | None) -> tuple[int, Obj]:
        for verb, pattern, handler in self._routes():
            if verb != method:
                continue
            match = re.fullmatch(pattern, path)
            if match:
                try:
                    body = handler(params, *match.groups())
                    return 200, self._expand(body, params.get("expand") or [])
                except StripeError as err:
                    return err.status, err.body
        err = unrecognized(method, path)
        return err.status, err.body

    def _routes(self) -> list[Route]:
        return [
            *mandates.routes(self),  # first: it checks `mandate`/`mandate_data` on intents
            *setup_intents.routes(self),
            *customers.routes(self),
            *payment_intents.routes(self),
            *refunds.routes(self),
            *disputes.routes(self),
            *balance_transactions.routes(self),
            *webhook_endpoints.routes(self),
            *files.routes(self),
        ]
