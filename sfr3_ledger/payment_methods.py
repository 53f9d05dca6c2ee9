"""A resident's enrolled payment methods: provider tokens only, never card or account data.

Kept apart from the ledger because methods never move money: enrolling a card must not
contend with payments for the ledger's version. A payment names a method by our opaque
`method_id`; the provider's token (`pm_…`) stays behind it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from sfr3_ledger.errors import ConflictingFact, InvalidCommand, PaymentMethodNotFound
from sfr3_ledger.records import PaymentMethod
from sfr3_ledger.values import MethodType

METHODS_NAMESPACE = UUID("0f5b8d7a-3c1e-4d8e-8f0a-6a9e2b7c4d13")


class PaymentMethods(Aggregate):
    @staticmethod
    def create_id(resident_id: str) -> UUID:
        return uuid5(METHODS_NAMESPACE, resident_id)

    @event("Opened")
    def __init__(self, resident_id: str) -> None:
        self.resident_id = resident_id
        self.customer_id: str | None = None
        self.methods: dict[str, PaymentMethod] = {}

    class Event(Aggregate.Event):
        """The base event of the methods, defined here rather than by eventsourcing: events that
        subclass it are made dataclasses once instead of being redefined under it
        (half the event classes to build at import; docs/operations.md)."""

    class MethodsEvent(Event):
        """Carries `resident_id` so consumers of a single event know whose method it is."""

        resident_id: str

        def apply(self, aggregate: Any) -> None:
            raise NotImplementedError

    class CustomerLinked(MethodsEvent):
        customer_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.customer_id = self.customer_id

    class MethodEnrolled(MethodsEvent):
        actor: str
        method_id: str
        provider_id: str
        method_type: str
        last4: str
        label: str
        brand: str | None

        def apply(self, aggregate: Any) -> None:
            wallet: PaymentMethods = aggregate
            wallet.methods[self.method_id] = PaymentMethod(
                method_id=self.method_id,
                provider_id=self.provider_id,
                method_type=MethodType(self.method_type),
                last4=self.last4,
                label=self.label,
                brand=self.brand,
                is_default=False,
                enrolled_at=self.timestamp,
            )

    class DefaultChanged(MethodsEvent):
        actor: str
        method_id: str

        def apply(self, aggregate: Any) -> None:
            for method in aggregate.methods.values():
                method.is_default = method.method_id == self.method_id

    class MethodRemoved(MethodsEvent):
        actor: str
        method_id: str

        def apply(self, aggregate: Any) -> None:
            method: PaymentMethod = aggregate.methods[self.method_id]
            method.removed_at = self.timestamp
            method.is_default = False

    def link_customer(self, customer_id: str) -> None:
        if self.customer_id == customer_id:
            return
        if self.customer_id is not None:
            raise ConflictingFact(f"Resident already has customer {self.customer_id}")
        self.trigger_event(
            self.CustomerLinked, resident_id=self.resident_id, customer_id=customer_id
        )

    def enroll(
        self,
        *,
        method_id: str,
        provider_id: str,
        method_type: str,
        last4: str,
        label: str | None,
        brand: str | None,
        make_default: bool,
        actor: str,
    ) -> PaymentMethod:
        """Enroll a provider token; enrolling the same active token again returns it."""
        try:
            kind = MethodType(method_type)
        except ValueError:
            raise InvalidCommand("type must be card or us_bank_account") from None
        if not (isinstance(last4, str) and len(last4) == 4 and last4.isdigit()):
            raise InvalidCommand("last4 must be four digits")
        for method in self.methods.values():
            if method.provider_id == provider_id and method.active:
                return method
        if method_id in self.methods:
            raise ConflictingFact(f"Payment method {method_id} already exists")
        self.trigger_event(
            self.MethodEnrolled,
            resident_id=self.resident_id,
            actor=actor,
            method_id=method_id,
            provider_id=provider_id,
            method_type=kind.value,
            last4=last4,
            label=(label or f"{brand or kind.value.title()} ••{last4}")[:100],
            brand=brand,
        )
        if make_default or self.default is None:
            self.trigger_event(
                self.DefaultChanged, resident_id=self.resident_id, actor=actor, method_id=method_id
            )
        return self.methods[method_id]

    def set_default(self, method_id: str, *, actor: str) -> PaymentMethod:
        method = self.get_active(method_id)
        if not method.is_default:
            self.trigger_event(
                self.DefaultChanged, resident_id=self.resident_id, actor=actor, method_id=method_id
            )
        return method

    def remove(self, method_id: str, *, actor: str) -> PaymentMethod:
        """Remove once; removing again is a no-op so a retried DELETE succeeds."""
        method = self.methods.get(method_id)
        if method is None:
            raise PaymentMethodNotFound(method_id)
        if method.active:
            self.trigger_event(
                self.MethodRemoved, resident_id=self.resident_id, actor=actor, method_id=method_id
            )
        return method

    def get_active(self, method_id: str) -> PaymentMethod:
        method = self.methods.get(method_id)
        if method is None or not method.active:
            raise PaymentMethodNotFound(method_id)
        return method

    @property
    def active(self) -> list[PaymentMethod]:
        return [m for m in self.methods.values() if m.active]

    @property
    def default(self) -> PaymentMethod | None:
        return next((m for m in self.active if m.is_default), None)
