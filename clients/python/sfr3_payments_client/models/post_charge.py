from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.post_charge_chargetype import PostChargeChargetype
from ..types import UNSET, Unset

T = TypeVar("T", bound="PostCharge")


@_attrs_define
class PostCharge:
    amount: int
    """ Integer cents (USD) """
    charge_type: PostChargeChargetype
    description: str
    due_date: None | str | Unset = UNSET
    property_id: None | str | Unset = UNSET
    state: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        charge_type = self.charge_type.value

        description = self.description

        due_date: None | str | Unset
        if isinstance(self.due_date, Unset):
            due_date = UNSET
        else:
            due_date = self.due_date

        property_id: None | str | Unset
        if isinstance(self.property_id, Unset):
            property_id = UNSET
        else:
            property_id = self.property_id

        state: None | str | Unset
        if isinstance(self.state, Unset):
            state = UNSET
        else:
            state = self.state

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "chargeType": charge_type,
                "description": description,
            }
        )
        if due_date is not UNSET:
            field_dict["dueDate"] = due_date
        if property_id is not UNSET:
            field_dict["propertyId"] = property_id
        if state is not UNSET:
            field_dict["state"] = state

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        charge_type = PostChargeChargetype(d.pop("chargeType"))

        description = d.pop("description")

        def _parse_due_date(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        due_date = _parse_due_date(d.pop("dueDate", UNSET))

        def _parse_property_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        property_id = _parse_property_id(d.pop("propertyId", UNSET))

        def _parse_state(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        state = _parse_state(d.pop("state", UNSET))

        post_charge = cls(
            amount=amount,
            charge_type=charge_type,
            description=description,
            due_date=due_date,
            property_id=property_id,
            state=state,
        )

        return post_charge
