from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="FailureReason")


@_attrs_define
class FailureReason:
    failed_cents: int
    failures: int
    reason: str
    share_pct: float | None

    def to_dict(self) -> dict[str, Any]:
        failed_cents = self.failed_cents

        failures = self.failures

        reason = self.reason

        share_pct: float | None
        share_pct = self.share_pct

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "failedCents": failed_cents,
                "failures": failures,
                "reason": reason,
                "sharePct": share_pct,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        failed_cents = d.pop("failedCents")

        failures = d.pop("failures")

        reason = d.pop("reason")

        def _parse_share_pct(data: object) -> float | None:
            if data is None:
                return data
            return cast(float | None, data)

        share_pct = _parse_share_pct(d.pop("sharePct"))

        failure_reason = cls(
            failed_cents=failed_cents,
            failures=failures,
            reason=reason,
            share_pct=share_pct,
        )

        return failure_reason
