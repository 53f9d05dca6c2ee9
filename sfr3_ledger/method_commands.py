"""The payment-method use cases of LedgerApplication (a mixin, like refund_commands.py).

Each runs one PaymentMethods command on fresh state through the application's retrying
`_methods_update`; the rules themselves are in `payment_methods.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from sfr3_ledger.errors import PaymentMethodNotFound
from sfr3_ledger.payment_methods import PaymentMethods
from sfr3_ledger.records import PaymentMethod
from sfr3_ledger.values import new_id

T = TypeVar("T")


class MethodCommands:
    if TYPE_CHECKING:  # provided by LedgerApplication (retrying, on fresh state)
        def _methods_update(
            self, resident_id: str, command: Callable[[PaymentMethods], T]
        ) -> T: ...

        def _load(self, cls: type[PaymentMethods], resident_id: str) -> PaymentMethods | None:
            ...

    def link_customer(self, resident_id: str, customer_id: str) -> None:
        self._methods_update(resident_id, lambda methods: methods.link_customer(customer_id))

    def enroll_payment_method(
        self,
        resident_id: str,
        *,
        provider_id: str,
        method_type: str,
        last4: str,
        actor: str,
        label: str | None = None,
        brand: str | None = None,
        make_default: bool = False,
        method_id: str | None = None,
    ) -> PaymentMethod:
        method_id = method_id or new_id("meth")
        return self._methods_update(
            resident_id,
            lambda methods: methods.enroll(
                method_id=method_id,
                provider_id=provider_id,
                method_type=method_type,
                last4=last4,
                label=label,
                brand=brand,
                make_default=make_default,
                actor=actor,
            ),
        )

    def set_default_payment_method(
        self, resident_id: str, method_id: str, *, actor: str
    ) -> PaymentMethod:
        return self._methods_update(
            resident_id, lambda methods: methods.set_default(method_id, actor=actor)
        )

    def remove_payment_method(
        self, resident_id: str, method_id: str, *, actor: str
    ) -> PaymentMethod:
        methods = self._load(PaymentMethods, resident_id)
        if methods is None:
            raise PaymentMethodNotFound(method_id)
        return self._methods_update(
            resident_id, lambda methods: methods.remove(method_id, actor=actor)
        )
