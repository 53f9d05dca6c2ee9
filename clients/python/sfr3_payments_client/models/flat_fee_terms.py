from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="FlatFeeTerms")


@_attrs_define
class FlatFeeTerms:
    amount_cents: int
    type_: Literal["flat"]
    cap_cents: int | Unset = UNSET
    """ Present when capped, cents """

    def to_dict(self) -> dict[str, Any]:
        amount_cents = self.amount_cents

        type_ = self.type_

        cap_cents = self.cap_cents

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amountCents": amount_cents,
                "type": type_,
            }
        )
        if cap_cents is not UNSET:
            field_dict["capCents"] = cap_cents

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount_cents = d.pop("amountCents")

        type_ = cast(Literal["flat"], d.pop("type"))
        if type_ != "flat":
            raise ValueError(f"type must match const 'flat', got '{type_}'")

        cap_cents = d.pop("capCents", UNSET)

        flat_fee_terms = cls(
            amount_cents=amount_cents,
            type_=type_,
            cap_cents=cap_cents,
        )

        return flat_fee_terms
