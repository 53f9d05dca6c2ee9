from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="RecurringChargeTerms")


@_attrs_define
class RecurringChargeTerms:
    amount: int
    charge_type: str
    code: str
    day: int
    description: str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        charge_type = self.charge_type

        code = self.code

        day = self.day

        description = self.description

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "chargeType": charge_type,
                "code": code,
                "day": day,
                "description": description,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        charge_type = d.pop("chargeType")

        code = d.pop("code")

        day = d.pop("day")

        description = d.pop("description")

        recurring_charge_terms = cls(
            amount=amount,
            charge_type=charge_type,
            code=code,
            day=day,
            description=description,
        )

        return recurring_charge_terms
