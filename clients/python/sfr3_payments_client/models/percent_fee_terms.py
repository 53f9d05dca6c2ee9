from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PercentFeeTerms")


@_attrs_define
class PercentFeeTerms:
    percent_bps: int
    type_: Literal["percent"]
    cap_cents: int | Unset = UNSET
    """ Present when capped, cents """

    def to_dict(self) -> dict[str, Any]:
        percent_bps = self.percent_bps

        type_ = self.type_

        cap_cents = self.cap_cents

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "percentBps": percent_bps,
                "type": type_,
            }
        )
        if cap_cents is not UNSET:
            field_dict["capCents"] = cap_cents

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        percent_bps = d.pop("percentBps")

        type_ = cast(Literal["percent"], d.pop("type"))
        if type_ != "percent":
            raise ValueError(f"type must match const 'percent', got '{type_}'")

        cap_cents = d.pop("capCents", UNSET)

        percent_fee_terms = cls(
            percent_bps=percent_bps,
            type_=type_,
            cap_cents=cap_cents,
        )

        return percent_fee_terms
