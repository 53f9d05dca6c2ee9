from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.charge_type import ChargeType

T = TypeVar("T", bound="PostedCharge")


@_attrs_define
class PostedCharge:
    amount: int
    balance: int
    """ The resident's balance after the charge, cents """
    charge_id: str
    charge_type: ChargeType
    currency: str
    description: str
    due_date: datetime.date | None
    posted_at: datetime.datetime
    resident_id: str

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        balance = self.balance

        charge_id = self.charge_id

        charge_type = self.charge_type.value

        currency = self.currency

        description = self.description

        due_date: None | str
        if isinstance(self.due_date, datetime.date):
            due_date = self.due_date.isoformat()
        else:
            due_date = self.due_date

        posted_at = self.posted_at.isoformat()

        resident_id = self.resident_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "balance": balance,
                "chargeId": charge_id,
                "chargeType": charge_type,
                "currency": currency,
                "description": description,
                "dueDate": due_date,
                "postedAt": posted_at,
                "residentId": resident_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        balance = d.pop("balance")

        charge_id = d.pop("chargeId")

        charge_type = ChargeType(d.pop("chargeType"))

        currency = d.pop("currency")

        description = d.pop("description")

        def _parse_due_date(data: object) -> datetime.date | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                due_date_type_0 = datetime.date.fromisoformat(data)

                return due_date_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.date | None, data)

        due_date = _parse_due_date(d.pop("dueDate"))

        posted_at = datetime.datetime.fromisoformat(d.pop("postedAt"))

        resident_id = d.pop("residentId")

        posted_charge = cls(
            amount=amount,
            balance=balance,
            charge_id=charge_id,
            charge_type=charge_type,
            currency=currency,
            description=description,
            due_date=due_date,
            posted_at=posted_at,
            resident_id=resident_id,
        )

        return posted_charge
