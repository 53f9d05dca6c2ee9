from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="HealthDay")


@_attrs_define
class HealthDay:
    day: datetime.date
    failed: int
    failed_cents: int
    initiated: int
    settled: int
    settled_cents: int
    success_pct: float | None

    def to_dict(self) -> dict[str, Any]:
        day = self.day.isoformat()

        failed = self.failed

        failed_cents = self.failed_cents

        initiated = self.initiated

        settled = self.settled

        settled_cents = self.settled_cents

        success_pct: float | None
        success_pct = self.success_pct

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "day": day,
                "failed": failed,
                "failedCents": failed_cents,
                "initiated": initiated,
                "settled": settled,
                "settledCents": settled_cents,
                "successPct": success_pct,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        day = datetime.date.fromisoformat(d.pop("day"))

        failed = d.pop("failed")

        failed_cents = d.pop("failedCents")

        initiated = d.pop("initiated")

        settled = d.pop("settled")

        settled_cents = d.pop("settledCents")

        def _parse_success_pct(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        success_pct = _parse_success_pct(d.pop("successPct"))

        health_day = cls(
            day=day,
            failed=failed,
            failed_cents=failed_cents,
            initiated=initiated,
            settled=settled,
            settled_cents=settled_cents,
            success_pct=success_pct,
        )

        return health_day
