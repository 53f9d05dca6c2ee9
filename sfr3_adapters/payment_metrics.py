"""Payment-health metrics from integration events: one CloudWatch data point per fact.

The stream processor (deployed) turns every stored ledger event into an envelope once per
stored event, whatever the webhook or batch redelivery that caused it, and this sink turns
each envelope into at most a few Powertools Metrics (CloudWatch embedded metric format)
data points. Counting here, from the ledger's own facts, is what makes a duplicate webhook
count nothing (the ledger applies it once) and, with the stream processor's published log
(`metrics` is one of its sinks), what makes a redelivered stream batch count nothing either.

Every metric is emitted under two dimension sets of one EMF blob:

* `service` alone: the aggregate the alarms and the dashboard read (an alarm needs the
  exact dimensions of the metric it watches);
* `service` plus the metric's own dimensions (`METRICS` below), for break-downs.

Dimensions are bounded, so the number of CloudWatch metrics (each billed) stays small:

==================  ===========================================================  ========
dimension           values                                                       at most
==================  ===========================================================  ========
MethodType          CARD, ACH, WALLET, UNKNOWN                                   4
State               the ledger's US states/territories (validated), else ``--``   57
FailureReason       `FAILURE_REASONS` (Stripe decline/ACH return codes), else     26
                    ``other``
Attempt             1..5, else ``6+``                                            6
MismatchType        `MISMATCH_TYPES`, else ``other``                             5
==================  ===========================================================  ========

Event types of other work (issue 13's retries, issue 14's reconciliation) are mapped here
by name, in `METRICS`, so the moment they are emitted they are counted.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from sfr3_ledger.integration_events import Envelope
from sfr3_ledger.values import US_STATES, MethodType

logger = logging.getLogger(__name__)

SERVICE = "streamProcessor"

# eventType -> (metric name, its own dimensions). One table for every metric of SPEC §6.
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "payment.initiated": ("PaymentInitiated", ("MethodType", "State")),
    "payment.settled": ("PaymentSettled", ("MethodType", "State")),
    "payment.failed": ("PaymentFailed", ("FailureReason", "MethodType")),
    "late_fee.applied": ("LateFeeApplied", ("State",)),
    # The ledger's record of Stripe's `charge.dispute.created` (SPEC: "chargeback received").
    "dispute.opened": ("ChargebackReceived", ("State",)),
    # Issue 13 (retries): each new attempt of a failed payment, and the last one failing.
    "payment.retry_started": ("PaymentRetried", ("Attempt",)),
    "payment.permanently_failed": ("PaymentPermanentlyFailed", ("FailureReason",)),
    # Issue 14 (reconciliation): one data point per mismatch type, valued by its count
    # (`data.counts`, keyed by item status).
    "reconciliation.completed": ("ReconciliationMismatch", ("MismatchType",)),
}
# Beside the mismatches, each completed reconciliation counts one run (no dimensions): the
# dashboard's "last reconciliation" reads it, and a day without one is visible.
RECONCILIATION_RUN = "ReconciliationRun"
METRIC_NAMES = frozenset(name for name, _ in METRICS.values()) | {RECONCILIATION_RUN}

# Stripe's documented decline codes and error codes seen on failed PaymentIntents, and the
# ACH return reasons it reports, that a finance analyst tells apart; anything else is
# `other` (the lake keeps the exact reason).
FAILURE_REASONS = frozenset({
    "insufficient_funds", "card_declined", "generic_decline", "do_not_honor", "expired_card",
    "incorrect_cvc", "incorrect_number", "lost_card", "stolen_card", "fraudulent",
    "processing_error", "authentication_required", "card_velocity_exceeded",
    "withdrawal_count_limit_exceeded", "payment_failed", "payment_intent_payment_attempt_failed",
    "account_closed", "no_account", "debit_not_authorized", "invalid_account_number",
    "bank_account_restricted", "payment_method_removed", "unknown",
})
MISMATCH_TYPES = frozenset({"amount_mismatch", "missing_in_ledger", "missing_in_stripe",
                            "currency_mismatch"})
MAX_ATTEMPT = 5
NO_STATE = "--"
# CloudWatch drops EMF data points older than 14 days; older facts count at processing time.
MAX_AGE = timedelta(days=13)

# (resident id, method id or None, payment id or None) -> method type: settled and failed
# envelopes name only the payment, initiated ones the method.
MethodTypeLookup = Callable[[str, str | None, str | None], str | None]
# (metric, sorted dimensions, minute)
PointKey = tuple[str, tuple[tuple[str, str], ...], datetime]


def failure_reason(value: Any) -> str:
    reason = str(value or "unknown").strip().lower()
    return reason if reason in FAILURE_REASONS else "other"


def state(value: Any) -> str:
    return str(value) if value in US_STATES and value else NO_STATE


def attempt(value: Any) -> str:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return "1"
    return str(max(1, number)) if number <= MAX_ATTEMPT else f"{MAX_ATTEMPT + 1}+"


def mismatch_type(value: Any) -> str:
    kind = str(value or "").strip().lower().replace("-", "_").replace(" ", "_")
    return kind if kind in MISMATCH_TYPES else "other"


def method_type(value: Any) -> str:
    kind = str(value or "").upper()
    return kind if kind in {m.value for m in MethodType} else "UNKNOWN"


def _mismatches(data: Mapping[str, Any]) -> dict[str, int]:
    """Mismatch counts of a reconciliation event: `mismatches` as {type: count} or a list
    of items with a `type`/`kind`; else the counts under known type names in `data` or
    `data.counts`."""
    raw = data.get("mismatches")
    counts: Counter[str] = Counter()
    if isinstance(raw, Mapping):
        for kind, n in raw.items():
            counts[mismatch_type(kind)] += int(n or 0)
    elif isinstance(raw, list):
        for item in raw:
            kind = item.get("type") or item.get("kind") if isinstance(item, Mapping) else item
            counts[mismatch_type(kind)] += 1
    else:
        nested = data.get("counts")
        source = nested if isinstance(nested, Mapping) else data
        for key, n in source.items():
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in str(key))
            if mismatch_type(snake) != "other" and isinstance(n, int):
                counts[mismatch_type(snake)] += n
    return {k: v for k, v in counts.items() if v > 0}


class PaymentMetrics:
    """Facts -> data points. `method_types(resident_id, method_id)` resolves a payment's
    method type (envelopes carry the method id only); a miss is `UNKNOWN`, never an error."""

    def __init__(
        self,
        method_types: MethodTypeLookup | None = None,
        *,
        namespace: str | None = None,
        service: str = SERVICE,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.namespace = namespace or os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "SFR3Payments")
        self.service = service
        self._method_types = method_types
        self._known_methods: dict[tuple[str, str], str] = {}
        self._now = now

    def _method(self, data: Mapping[str, Any]) -> str:
        if data.get("methodType"):
            return method_type(data["methodType"])
        resident = str(data.get("residentId") or "")
        method_id = data.get("paymentMethod") or None
        payment_id = data.get("paymentId") or None
        key = (resident, str(method_id or f"payment:{payment_id}"))
        if not resident or not (method_id or payment_id) or self._method_types is None:
            return "UNKNOWN"
        if key not in self._known_methods:
            try:
                found = self._method_types(resident, method_id, payment_id)
            except Exception:  # a lookup failure must not lose the count
                logger.warning("method type lookup failed", exc_info=True)
                return "UNKNOWN"
            if len(self._known_methods) > 50_000:
                self._known_methods.clear()
            self._known_methods[key] = method_type(found)
        return self._known_methods[key]

    def data_points(self, envelope: Envelope) -> list[tuple[str, dict[str, str], int]]:
        """(metric, dimensions, value) of one envelope; none for events nobody counts."""
        mapped = METRICS.get(str(envelope.get("eventType")))
        if mapped is None:
            return []
        name, _ = mapped
        data: Mapping[str, Any] = envelope.get("data") or {}
        if name in ("PaymentInitiated", "PaymentSettled"):
            dims = {"MethodType": self._method(data), "State": state(data.get("state"))}
            return [(name, dims, 1)]
        if name == "PaymentFailed":
            dims = {"FailureReason": failure_reason(data.get("failureReason")),
                    "MethodType": self._method(data)}
            return [(name, dims, 1)]
        if name in ("LateFeeApplied", "ChargebackReceived"):
            return [(name, {"State": state(data.get("state"))}, 1)]
        if name == "PaymentRetried":
            return [(name, {"Attempt": attempt(data.get("attempt"))}, 1)]
        if name == "PaymentPermanentlyFailed":
            reason = data.get("failureReason") or data.get("reason")
            return [(name, {"FailureReason": failure_reason(reason)}, 1)]
        points = [(name, {"MismatchType": k}, n) for k, n in sorted(_mismatches(data).items())]
        return [*points, (RECONCILIATION_RUN, {}, 1)]

    def _minute(self, envelope: Envelope) -> datetime:
        now = self._now()
        try:
            stamp = datetime.fromisoformat(str(envelope["timestamp"]).replace("Z", "+00:00"))
        except (KeyError, ValueError):
            return now.replace(second=0, microsecond=0)
        if not now - MAX_AGE <= stamp <= now + timedelta(minutes=5):
            stamp = now
        return stamp.replace(second=0, microsecond=0)

    def counts(self, envelopes: Sequence[Envelope]) -> Counter[PointKey]:
        totals: Counter[PointKey] = Counter()
        for envelope in envelopes:
            for name, dims, value in self.data_points(envelope):
                totals[(name, tuple(sorted(dims.items())), self._minute(envelope))] += value
        return totals

    def write(self, envelopes: Sequence[Envelope]) -> list[Envelope]:
        """Emit the data points of `envelopes` now (one EMF line per metric, dimensions and
        minute); the sink contract of the stream processor: the envelopes not accepted
        (none: printing a log line does not fail)."""
        for (name, dims, minute), value in sorted(self.counts(envelopes).items()):
            metrics = EphemeralMetrics(namespace=self.namespace, service=self.service)
            if dims:
                metrics.add_dimensions(service=self.service, **dict(dims))
            metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
            metrics.set_timestamp(minute)
            metrics.flush_metrics()
        return []


def method_type_lookup(app: Any) -> MethodTypeLookup:
    """The method type of (resident, method) from the ledger application's payment methods
    (removed methods included: they keep their type)."""

    def lookup(resident_id: str, method_id: str | None, payment_id: str | None) -> str | None:
        if method_id is None and payment_id is not None:
            method_id = app.payment(resident_id, payment_id).method_id
        if method_id is None:
            return None
        method = app.payment_methods(resident_id).methods.get(method_id)
        return None if method is None else str(method.method_type.value)

    return lookup
