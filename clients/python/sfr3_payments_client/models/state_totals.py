from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="StateTotals")


@_attrs_define
class StateTotals:
    collected_cents: int
    """ Collected this month (UTC) so far """
    collected_to_date_cents: int
    outstanding_cents: int
    state: str

    def to_dict(self) -> dict[str, Any]:
        collected_cents = self.collected_cents

        collected_to_date_cents = self.collected_to_date_cents

        outstanding_cents = self.outstanding_cents

        state = self.state

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "collectedCents": collected_cents,
                "collectedToDateCents": collected_to_date_cents,
                "outstandingCents": outstanding_cents,
                "state": state,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        collected_cents = d.pop("collectedCents")

        collected_to_date_cents = d.pop("collectedToDateCents")

        outstanding_cents = d.pop("outstandingCents")

        state = d.pop("state")

        state_totals = cls(
            collected_cents=collected_cents,
            collected_to_date_cents=collected_to_date_cents,
            outstanding_cents=outstanding_cents,
            state=state,
        )

        return state_totals
