from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.recurring_charge_body_chargetype import RecurringChargeBodyChargetype

T = TypeVar("T", bound="RecurringChargeBody")


@_attrs_define
class RecurringChargeBody:
    amount: int
    """ Integer cents (USD) """
    charge_type: RecurringChargeBodyChargetype
    code: str
    """ Unique per lease; not 'rent' """
    day: int
    """ Day of the month, 1-28 """
    description: str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        charge_type = self.charge_type.value

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

        charge_type = RecurringChargeBodyChargetype(d.pop("chargeType"))

        code = d.pop("code")

        day = d.pop("day")

        description = d.pop("description")

        recurring_charge_body = cls(
            amount=amount,
            charge_type=charge_type,
            code=code,
            day=day,
            description=description,
        )

        return recurring_charge_body
