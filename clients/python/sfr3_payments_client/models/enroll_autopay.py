from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="EnrollAutopay")


@_attrs_define
class EnrollAutopay:
    charge_day: int
    """ Day of the month, 1-28 """
    payment_method_id: str
    max_amount: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        charge_day = self.charge_day

        payment_method_id = self.payment_method_id

        max_amount: int | None | Unset
        if isinstance(self.max_amount, Unset):
            max_amount = UNSET
        else:
            max_amount = self.max_amount

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "chargeDay": charge_day,
                "paymentMethodId": payment_method_id,
            }
        )
        if max_amount is not UNSET:
            field_dict["maxAmount"] = max_amount

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        charge_day = d.pop("chargeDay")

        payment_method_id = d.pop("paymentMethodId")

        def _parse_max_amount(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_amount = _parse_max_amount(d.pop("maxAmount", UNSET))

        enroll_autopay = cls(
            charge_day=charge_day,
            payment_method_id=payment_method_id,
            max_amount=max_amount,
        )

        return enroll_autopay
