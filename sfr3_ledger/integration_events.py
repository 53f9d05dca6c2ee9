"""Domain events as integration events: the envelope the rest of the company reads.

The ledger's stored events are private (their classes, field names and topics may change
with the aggregates); the envelope is the public contract, documented in docs/events.md
and described to Athena by the Glue table. One domain event maps to at most one envelope:

    {"eventId", "eventType", "source", "timestamp", "version",
     "data": {"residentId", "propertyId", "state", "amount", "currency",
              "paymentMethod"?, "failureReason"?, "stripeRef"?, ...ids of the fact}}

`eventId` is a UUIDv5 of (originator id, originator version): the stored event's own
identity. Whoever turns the same stored event into an envelope (the stream processor on
a redelivered record, the local backbone after a restart) produces the same id, so
consumers and the lake can deduplicate on it.

Aggregate-creation events (`Opened`) and the provider's customer link are bookkeeping,
not facts anyone outside reacts to: they map to no envelope. An event class with no
mapping raises `UnmappedEvent`, so a new ledger fact cannot silently miss the lake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.application import Application
from eventsourcing.domain import DomainEventProtocol

from sfr3_ledger.autopay import AutopayEnrollment
from sfr3_ledger.autopay_runs import SWEEP_COMPLETED
from sfr3_ledger.fact_records import ChargeRecord, CreditRecord
from sfr3_ledger.leases import Lease
from sfr3_ledger.ledger import ResidentLedger
from sfr3_ledger.paid_charges import PaidCharges
from sfr3_ledger.payment_methods import PaymentMethods
from sfr3_ledger.values import CURRENCY

Envelope = dict[str, Any]

ENVELOPE_VERSION = 1
ENVELOPE_NAMESPACE = UUID("7d7a4c2e-0b7f-4f4e-9d55-1c8e2b9a6f30")
SOURCE_PAYMENTS = "sfr3.payments"
SOURCE_LEDGER = "sfr3.ledger"

# The fields every envelope's data carries (null when the fact has none): the Glue columns.
CORE_FIELDS = (
    "residentId",
    "propertyId",
    "state",
    "amount",
    "currency",
    "paymentMethod",
    "failureReason",
    "stripeRef",
)


class UnmappedEvent(LookupError):
    """A domain event class with no integration-event mapping (add one, or skip it)."""


L = ResidentLedger
M = PaymentMethods
AP = AutopayEnrollment
# Created-event classes are made by the library's @event decorator, unseen by mypy.
LEDGER_OPENED: type[Any] = vars(ResidentLedger)["Opened"]
METHODS_OPENED: type[Any] = vars(PaymentMethods)["Opened"]

# event class -> (eventType, source)
EVENT_TYPES: dict[type[Any], tuple[str, str]] = {
    L.ChargePosted: ("charge.posted", SOURCE_LEDGER),
    L.LateFeeApplied: ("late_fee.applied", SOURCE_LEDGER),
    L.CreditApplied: ("credit.applied", SOURCE_LEDGER),
    L.PaymentInitiated: ("payment.initiated", SOURCE_PAYMENTS),
    L.PaymentSubmitted: ("payment.submitted", SOURCE_PAYMENTS),
    L.PaymentSettled: ("payment.settled", SOURCE_PAYMENTS),
    L.PaymentFailed: ("payment.failed", SOURCE_PAYMENTS),
    L.PaymentPermanentlyFailed: ("payment.permanently_failed", SOURCE_PAYMENTS),
    L.PaymentRetryStarted: ("payment.retry_started", SOURCE_PAYMENTS),
    L.PaymentRetryCancelled: ("payment.retry_cancelled", SOURCE_PAYMENTS),
    L.PaymentRecovered: ("payment.recovered", SOURCE_PAYMENTS),
    L.RefundApplied: ("payment.refunded", SOURCE_PAYMENTS),
    L.RefundRequested: ("refund.requested", SOURCE_PAYMENTS),
    L.RefundRequestFailed: ("refund.failed", SOURCE_PAYMENTS),
    L.RefundRequestCompleted: ("refund.request_completed", SOURCE_PAYMENTS),
    L.DisputeOpened: ("dispute.opened", SOURCE_PAYMENTS),
    L.DisputeEvidenceSubmitted: ("dispute.under_review", SOURCE_PAYMENTS),
    L.DisputeWon: ("dispute.won", SOURCE_PAYMENTS),
    L.ChargebackApplied: ("chargeback.applied", SOURCE_PAYMENTS),
    M.MethodEnrolled: ("payment_method.enrolled", SOURCE_PAYMENTS),
    M.DefaultChanged: ("payment_method.default_changed", SOURCE_PAYMENTS),
    M.MethodRemoved: ("payment_method.removed", SOURCE_PAYMENTS),
    Lease.Started: ("lease.started", SOURCE_LEDGER),
    Lease.TermsChanged: ("lease.terms_changed", SOURCE_LEDGER),
    Lease.ContactChanged: ("lease.contact_changed", SOURCE_LEDGER),
    Lease.Ended: ("lease.ended", SOURCE_LEDGER),
    AP.Enrolled: ("autopay.enrolled", SOURCE_PAYMENTS),
    AP.Changed: ("autopay.changed", SOURCE_PAYMENTS),
    AP.Paused: ("autopay.paused", SOURCE_PAYMENTS),
    AP.Resumed: ("autopay.resumed", SOURCE_PAYMENTS),
    AP.Cancelled: ("autopay.cancelled", SOURCE_PAYMENTS),
    AP.ReminderSent: ("autopay.reminder_sent", SOURCE_PAYMENTS),
    AP.Charged: ("autopay.charged", SOURCE_PAYMENTS),
    AP.Skipped: ("autopay.skipped", SOURCE_PAYMENTS),
    SWEEP_COMPLETED: ("autopay.sweep.completed", SOURCE_PAYMENTS),
}

# Bookkeeping events that deliberately produce no envelope.
LEASE_OPENED: type[Any] = vars(Lease)["Opened"]
AUTOPAY_OPENED: type[Any] = vars(AutopayEnrollment)["Opened"]
# A charge's or credit's id record (fact_records.py) repeats its ledger event's fact; the
# book of paid charges (paid_charges.py) and the ledger's adoption of it move no money.
SKIPPED: frozenset[type[Any]] = frozenset(
    {LEDGER_OPENED, METHODS_OPENED, LEASE_OPENED, AUTOPAY_OPENED, M.CustomerLinked,
     vars(ChargeRecord)["Recorded"], vars(CreditRecord)["Recorded"],
     L.PaidChargesLeave, L.ChargesReinstated, vars(PaidCharges)["Opened"], PaidCharges.Added,
     PaidCharges.Reopened}
)

# Optional per-fact fields: envelope name -> event attribute.
_EXTRA_FIELDS = {
    "paymentId": "payment_id",
    "chargeId": "charge_id",
    "chargeType": "charge_type",
    "description": "description",
    "dueDate": "due_date",
    "lateFeeFor": "late_fee_for",
    "refundId": "refund_id",
    "refundRequestId": "request_id",
    "leaseId": "lease_id",
    "startDate": "start_date",
    "endDate": "end_date",
    "effectiveFrom": "effective_from",
    "enrollmentId": "enrollment_id",
    "chargeDay": "charge_day",
    "chargeDate": "charge_date",
    "period": "period",
    "maxAmount": "max_amount",
    "mandateId": "mandate_id",
    "methodLabel": "method_label",
    "disputeId": "dispute_id",
    "creditId": "credit_id",
    "reason": "reason",
    "methodType": "method_type",
    "last4": "last4",
    "brand": "brand",
    "actor": "actor",
    "attempt": "attempt",
    "attempts": "attempts",
    "retryAt": "retry_at",
    "retryable": "retryable",
    "action": "action",
    "outcome": "outcome",
}
# Facts whose `reason` is a payment's failure reason (the `failureReason` column).
_FAILURES = (L.PaymentFailed, L.PaymentPermanentlyFailed)


def event_id(originator_id: UUID | str, originator_version: int) -> str:
    """The envelope id of the stored event (originator_id, originator_version)."""
    return str(uuid5(ENVELOPE_NAMESPACE, f"{originator_id}:{originator_version}"))


def iso_utc(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds and a `Z`: sortable as text, parsed by Athena and DuckDB."""
    if moment.tzinfo is None:
        raise ValueError("event timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def is_mapped(event: object) -> bool:
    return type(event) in EVENT_TYPES


# Portfolio facts: no resident owns them (`residentId` is null).
_PORTFOLIO_FACTS: frozenset[type[Any]] = frozenset({SWEEP_COMPLETED})


def to_envelope(event: DomainEventProtocol[Any], resident_id: str | None) -> Envelope | None:
    """The envelope of `event` (None for bookkeeping events); `resident_id` is the owner
    of the event's aggregate, which not every event carries itself."""
    kind = type(event)
    if kind in SKIPPED:
        return None
    try:
        event_type, source = EVENT_TYPES[kind]
    except KeyError:
        raise UnmappedEvent(f"{kind.__qualname__} has no integration event type") from None
    fields = vars(event)
    amount = fields.get("amount")
    data: dict[str, Any] = {
        "residentId": resident_id,
        "propertyId": fields.get("property_id") or None,
        "state": fields.get("us_state") or None,
        "amount": amount,
        "currency": CURRENCY.upper() if amount is not None else None,
        "paymentMethod": fields.get("method_id"),
        "failureReason": fields.get("reason") if kind in _FAILURES else None,
        "stripeRef": fields.get("stripe_ref"),
    }
    for name, attr in _EXTRA_FIELDS.items():
        if fields.get(attr) is not None and not (kind in _FAILURES and attr == "reason"):
            data[name] = _json_value(fields[attr])
    balance_effect = getattr(event, "balance_effect", None)
    if callable(balance_effect):
        data["balanceEffect"] = int(balance_effect())
    return {
        "eventId": event_id(event.originator_id, event.originator_version),
        "eventType": event_type,
        "source": source,
        "timestamp": iso_utc(fields["timestamp"]),
        "version": ENVELOPE_VERSION,
        "data": data,
    }


def lake_partition(envelope: Mapping[str, Any]) -> str:
    """`year=YYYY/month=MM/day=DD` of the envelope's own timestamp (UTC)."""
    stamp = str(envelope["timestamp"])
    return f"year={stamp[0:4]}/month={stamp[5:7]}/day={stamp[8:10]}"


def _own_resident_id(event: object) -> str | None:
    """The resident id the event carries itself (every ledger and payment-method event
    does now; events stored before that carry it only on `Opened`)."""
    owner = vars(event).get("resident_id") if hasattr(event, "__dict__") else None
    return owner if isinstance(owner, str) and owner else None


class ResidentResolver:
    """Which resident owns an aggregate: the event's own `resident_id` when it has one,
    else remembered from earlier events of the aggregate, else read from the aggregate's
    first stored event (its `Opened`) once and cached.

    Aggregate ids are uuid5 of the resident id, so they cannot be reversed; the lookup is
    only for events stored before every event carried `resident_id`.
    """

    def __init__(
        self,
        lookup: Callable[[UUID], str | None] | None = None,
        *,
        max_entries: int = 100_000,
    ) -> None:
        self._lookup = lookup
        self._known: dict[UUID, str] = {}
        self._max = max_entries

    @classmethod
    def for_application(cls, app: Application[UUID]) -> ResidentResolver:
        def first_event_owner(originator_id: UUID) -> str | None:
            stored = app.recorder.select_events(originator_id, lte=1, limit=1)
            if not stored:
                return None
            opened = app.mapper.to_domain_event(stored[0])
            owner = getattr(opened, "resident_id", None)
            return owner if isinstance(owner, str) else None

        return cls(first_event_owner)

    def observe(self, events: Iterable[DomainEventProtocol[Any]]) -> None:
        for event in events:
            owner = _own_resident_id(event)
            if owner is not None:
                self._remember(UUID(str(event.originator_id)), owner)

    def resident_id(self, originator_id: UUID | str) -> str:
        key = UUID(str(originator_id))
        known = self._known.get(key)
        if known is not None:
            return known
        owner = self._lookup(key) if self._lookup is not None else None
        if owner is None:
            raise LookupError(f"no resident known for aggregate {key}")
        self._remember(key, owner)
        return owner

    def _remember(self, key: UUID, owner: str) -> None:
        if len(self._known) >= self._max:
            self._known.clear()
        self._known[key] = owner


def envelopes_for(
    events: Iterable[DomainEventProtocol[Any]], resolver: ResidentResolver
) -> list[Envelope]:
    """Envelopes of `events` in order, learning owners from any `Opened` among them."""
    batch = list(events)
    resolver.observe(batch)
    envelopes: list[Envelope] = []
    for event in batch:
        if type(event) in SKIPPED:
            continue
        owner = None if type(event) in _PORTFOLIO_FACTS else (
            _own_resident_id(event) or resolver.resident_id(event.originator_id))
        envelope = to_envelope(event, owner)
        if envelope is not None:
            envelopes.append(envelope)
            envelopes.extend(_also(event, envelope))
    return envelopes


# ---- reconciliation runs and dispute outcomes (issue 14) ----------------------------------
from sfr3_ledger.reconciliation_runs import OPENED as _RECON_OPENED  # noqa: E402
from sfr3_ledger.reconciliation_runs import ReconciliationDay as _RD  # noqa: E402

EVENT_TYPES[_RD.Completed] = ("reconciliation.completed", SOURCE_PAYMENTS)
EVENT_TYPES[_RD.Healed] = ("reconciliation.payment_healed", SOURCE_PAYMENTS)
SKIPPED = SKIPPED | {_RECON_OPENED, _RD.Reconciled}  # marks are bookkeeping
_EXTRA_FIELDS.update({"runId": "run_id", "day": "day", "counts": "counts",
                      "mismatches": "mismatches", "reportKey": "report_key",
                      "paymentResidentId": "payment_resident_id"})
# A closed dispute is also `dispute.resolved` (outcome WON or LOST), for whoever follows
# disputes as one stream; its id is derived from the closing event's own id.
_RESOLVED: dict[type[Any], str] = {L.DisputeWon: "WON", L.ChargebackApplied: "LOST"}


def _also(event: DomainEventProtocol[Any], envelope: Envelope) -> list[Envelope]:
    """Envelopes a domain event publishes besides its own (deterministic ids)."""
    outcome = _RESOLVED.get(type(event))
    if outcome is None:
        return []
    data = {**envelope["data"], "outcome": outcome}
    return [{**envelope, "eventId": str(uuid5(ENVELOPE_NAMESPACE,
                                              envelope["eventId"] + ":dispute.resolved")),
             "eventType": "dispute.resolved", "data": data}]
