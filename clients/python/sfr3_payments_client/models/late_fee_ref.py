from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="LateFeeRef")


@_attrs_define
class LateFeeRef:
    amount: int
    charge_id: str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        charge_id = self.charge_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "chargeId": charge_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        charge_id = d.pop("chargeId")

        late_fee_ref = cls(
            amount=amount,
            charge_id=charge_id,
        )

        return late_fee_ref
