from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Window")


@_attrs_define
class Window:
    days: int
    since: datetime.date
    until: datetime.date

    def to_dict(self) -> dict[str, Any]:
        days = self.days

        since = self.since.isoformat()

        until = self.until.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "days": days,
                "since": since,
                "until": until,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        days = d.pop("days")

        since = datetime.date.fromisoformat(d.pop("since"))

        until = datetime.date.fromisoformat(d.pop("until"))

        window = cls(
            days=days,
            since=since,
            until=until,
        )

        return window
