from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="MakePayment")


@_attrs_define
class MakePayment:
    amount: int
    """ Integer cents (USD) """
    payment_method_id: str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        payment_method_id = self.payment_method_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "paymentMethodId": payment_method_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        payment_method_id = d.pop("paymentMethodId")

        make_payment = cls(
            amount=amount,
            payment_method_id=payment_method_id,
        )

        return make_payment
