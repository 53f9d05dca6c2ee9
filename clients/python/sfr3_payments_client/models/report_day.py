from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.report_day_counts_type_0 import ReportDayCountsType0


T = TypeVar("T", bound="ReportDay")


@_attrs_define
class ReportDay:
    counts: None | ReportDayCountsType0
    """ Items per reconciliation status """
    day: datetime.date
    mismatches: int | None

    def to_dict(self) -> dict[str, Any]:
        from ..models.report_day_counts_type_0 import ReportDayCountsType0  # noqa: PLC0415

        counts: dict[str, Any] | None
        if isinstance(self.counts, ReportDayCountsType0):
            counts = self.counts.to_dict()
        else:
            counts = self.counts

        day = self.day.isoformat()

        mismatches: int | None
        mismatches = self.mismatches

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "counts": counts,
                "day": day,
                "mismatches": mismatches,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.report_day_counts_type_0 import ReportDayCountsType0  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_counts(data: object) -> None | ReportDayCountsType0:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                counts_type_0 = ReportDayCountsType0.from_dict(data)

                return counts_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReportDayCountsType0, data)

        counts = _parse_counts(d.pop("counts"))

        day = datetime.date.fromisoformat(d.pop("day"))

        def _parse_mismatches(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        mismatches = _parse_mismatches(d.pop("mismatches"))

        report_day = cls(
            counts=counts,
            day=day,
            mismatches=mismatches,
        )

        return report_day
