from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.failure_reason import FailureReason
    from ..models.health_day import HealthDay
    from ..models.health_period import HealthPeriod
    from ..models.state_totals import StateTotals
    from ..models.window import Window


T = TypeVar("T", bound="PaymentHealth")


@_attrs_define
class PaymentHealth:
    as_of: datetime.date
    by_day: list[HealthDay]
    by_state: list[StateTotals]
    failure_rate_threshold_pct: float
    failures_by_reason: list[FailureReason]
    over_threshold: bool
    today: HealthPeriod
    trailing_30_days: HealthPeriod
    window: Window

    def to_dict(self) -> dict[str, Any]:
        as_of = self.as_of.isoformat()

        by_day = []
        for by_day_item_data in self.by_day:
            by_day_item = by_day_item_data.to_dict()
            by_day.append(by_day_item)

        by_state = []
        for by_state_item_data in self.by_state:
            by_state_item = by_state_item_data.to_dict()
            by_state.append(by_state_item)

        failure_rate_threshold_pct = self.failure_rate_threshold_pct

        failures_by_reason = []
        for failures_by_reason_item_data in self.failures_by_reason:
            failures_by_reason_item = failures_by_reason_item_data.to_dict()
            failures_by_reason.append(failures_by_reason_item)

        over_threshold = self.over_threshold

        today = self.today.to_dict()

        trailing_30_days = self.trailing_30_days.to_dict()

        window = self.window.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "asOf": as_of,
                "byDay": by_day,
                "byState": by_state,
                "failureRateThresholdPct": failure_rate_threshold_pct,
                "failuresByReason": failures_by_reason,
                "overThreshold": over_threshold,
                "today": today,
                "trailing30Days": trailing_30_days,
                "window": window,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.failure_reason import FailureReason  # noqa: PLC0415
        from ..models.health_day import HealthDay  # noqa: PLC0415
        from ..models.health_period import HealthPeriod  # noqa: PLC0415
        from ..models.state_totals import StateTotals  # noqa: PLC0415
        from ..models.window import Window  # noqa: PLC0415

        d = dict(src_dict)
        as_of = datetime.date.fromisoformat(d.pop("asOf"))

        by_day = []
        _by_day = d.pop("byDay")
        for by_day_item_data in _by_day:
            by_day_item = HealthDay.from_dict(by_day_item_data)

            by_day.append(by_day_item)

        by_state = []
        _by_state = d.pop("byState")
        for by_state_item_data in _by_state:
            by_state_item = StateTotals.from_dict(by_state_item_data)

            by_state.append(by_state_item)

        failure_rate_threshold_pct = d.pop("failureRateThresholdPct")

        failures_by_reason = []
        _failures_by_reason = d.pop("failuresByReason")
        for failures_by_reason_item_data in _failures_by_reason:
            failures_by_reason_item = FailureReason.from_dict(failures_by_reason_item_data)

            failures_by_reason.append(failures_by_reason_item)

        over_threshold = d.pop("overThreshold")

        today = HealthPeriod.from_dict(d.pop("today"))

        trailing_30_days = HealthPeriod.from_dict(d.pop("trailing30Days"))

        window = Window.from_dict(d.pop("window"))

        payment_health = cls(
            as_of=as_of,
            by_day=by_day,
            by_state=by_state,
            failure_rate_threshold_pct=failure_rate_threshold_pct,
            failures_by_reason=failures_by_reason,
            over_threshold=over_threshold,
            today=today,
            trailing_30_days=trailing_30_days,
            window=window,
        )

        return payment_health
