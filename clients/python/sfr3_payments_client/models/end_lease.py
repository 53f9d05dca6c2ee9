from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="EndLease")


@_attrs_define
class EndLease:
    end_date: str
    """ Calendar date, YYYY-MM-DD """

    def to_dict(self) -> dict[str, Any]:
        end_date = self.end_date

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "endDate": end_date,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        end_date = d.pop("endDate")

        end_lease = cls(
            end_date=end_date,
        )

        return end_lease
