from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="FlatFee")


@_attrs_define
class FlatFee:
    amount_cents: int
    """ Integer cents (USD) """
    type_: Literal["flat"]

    def to_dict(self) -> dict[str, Any]:
        amount_cents = self.amount_cents

        type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amountCents": amount_cents,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount_cents = d.pop("amountCents")

        type_ = cast(Literal["flat"], d.pop("type"))
        if type_ != "flat":
            raise ValueError(f"type must match const 'flat', got '{type_}'")

        flat_fee = cls(
            amount_cents=amount_cents,
            type_=type_,
        )

        return flat_fee
