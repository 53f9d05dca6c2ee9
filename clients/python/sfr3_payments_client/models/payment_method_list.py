from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.payment_method import PaymentMethod


T = TypeVar("T", bound="PaymentMethodList")


@_attrs_define
class PaymentMethodList:
    payment_methods: list[PaymentMethod]
    resident_id: str

    def to_dict(self) -> dict[str, Any]:
        payment_methods = []
        for payment_methods_item_data in self.payment_methods:
            payment_methods_item = payment_methods_item_data.to_dict()
            payment_methods.append(payment_methods_item)

        resident_id = self.resident_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "paymentMethods": payment_methods,
                "residentId": resident_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.payment_method import PaymentMethod  # noqa: PLC0415

        d = dict(src_dict)
        payment_methods = []
        _payment_methods = d.pop("paymentMethods")
        for payment_methods_item_data in _payment_methods:
            payment_methods_item = PaymentMethod.from_dict(payment_methods_item_data)

            payment_methods.append(payment_methods_item)

        resident_id = d.pop("residentId")

        payment_method_list = cls(
            payment_methods=payment_methods,
            resident_id=resident_id,
        )

        return payment_method_list
