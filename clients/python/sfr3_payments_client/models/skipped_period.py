from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="SkippedPeriod")


@_attrs_define
class SkippedPeriod:
    outcome: Literal["SKIPPED"]
    period: str
    """ YYYY-MM """
    reason: str

    def to_dict(self) -> dict[str, Any]:
        outcome = self.outcome

        period = self.period

        reason = self.reason

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "outcome": outcome,
                "period": period,
                "reason": reason,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        outcome = cast(Literal["SKIPPED"], d.pop("outcome"))
        if outcome != "SKIPPED":
            raise ValueError(f"outcome must match const 'SKIPPED', got '{outcome}'")

        period = d.pop("period")

        reason = d.pop("reason")

        skipped_period = cls(
            outcome=outcome,
            period=period,
            reason=reason,
        )

        return skipped_period
