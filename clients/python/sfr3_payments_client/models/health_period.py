from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="HealthPeriod")


@_attrs_define
class HealthPeriod:
    failed: int
    failed_cents: int
    failure_rate_pct: float | None
    initiated: int
    over_threshold: bool
    settled: int
    settled_cents: int
    success_rate_pct: float | None
    """ Null when nothing settled or failed """

    def to_dict(self) -> dict[str, Any]:
        failed = self.failed

        failed_cents = self.failed_cents

        failure_rate_pct: float | None
        failure_rate_pct = self.failure_rate_pct

        initiated = self.initiated

        over_threshold = self.over_threshold

        settled = self.settled

        settled_cents = self.settled_cents

        success_rate_pct: float | None
        success_rate_pct = self.success_rate_pct

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "failed": failed,
                "failedCents": failed_cents,
                "failureRatePct": failure_rate_pct,
                "initiated": initiated,
                "overThreshold": over_threshold,
                "settled": settled,
                "settledCents": settled_cents,
                "successRatePct": success_rate_pct,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        failed = d.pop("failed")

        failed_cents = d.pop("failedCents")

        def _parse_failure_rate_pct(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        failure_rate_pct = _parse_failure_rate_pct(d.pop("failureRatePct"))

        initiated = d.pop("initiated")

        over_threshold = d.pop("overThreshold")

        settled = d.pop("settled")

        settled_cents = d.pop("settledCents")

        def _parse_success_rate_pct(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        success_rate_pct = _parse_success_rate_pct(d.pop("successRatePct"))

        health_period = cls(
            failed=failed,
            failed_cents=failed_cents,
            failure_rate_pct=failure_rate_pct,
            initiated=initiated,
            over_threshold=over_threshold,
            settled=settled,
            settled_cents=settled_cents,
            success_rate_pct=success_rate_pct,
        )

        return health_period
