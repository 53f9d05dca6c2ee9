from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ChangeAutopay")


@_attrs_define
class ChangeAutopay:
    charge_day: int | None | Unset = UNSET
    max_amount: int | None | Unset = UNSET
    payment_method_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        charge_day: int | None | Unset
        if isinstance(self.charge_day, Unset):
            charge_day = UNSET
        else:
            charge_day = self.charge_day

        max_amount: int | None | Unset
        if isinstance(self.max_amount, Unset):
            max_amount = UNSET
        else:
            max_amount = self.max_amount

        payment_method_id: None | str | Unset
        if isinstance(self.payment_method_id, Unset):
            payment_method_id = UNSET
        else:
            payment_method_id = self.payment_method_id

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if charge_day is not UNSET:
            field_dict["chargeDay"] = charge_day
        if max_amount is not UNSET:
            field_dict["maxAmount"] = max_amount
        if payment_method_id is not UNSET:
            field_dict["paymentMethodId"] = payment_method_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_charge_day(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        charge_day = _parse_charge_day(d.pop("chargeDay", UNSET))

        def _parse_max_amount(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_amount = _parse_max_amount(d.pop("maxAmount", UNSET))

        def _parse_payment_method_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        payment_method_id = _parse_payment_method_id(d.pop("paymentMethodId", UNSET))

        change_autopay = cls(
            charge_day=charge_day,
            max_amount=max_amount,
            payment_method_id=payment_method_id,
        )

        return change_autopay
