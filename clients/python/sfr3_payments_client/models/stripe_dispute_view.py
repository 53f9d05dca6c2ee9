from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="StripeDisputeView")


@_attrs_define
class StripeDisputeView:
    evidence_due_by: datetime.datetime | None
    has_evidence: bool
    status: str
    submission_count: int

    def to_dict(self) -> dict[str, Any]:
        evidence_due_by: None | str
        if isinstance(self.evidence_due_by, datetime.datetime):
            evidence_due_by = self.evidence_due_by.isoformat()
        else:
            evidence_due_by = self.evidence_due_by

        has_evidence = self.has_evidence

        status = self.status

        submission_count = self.submission_count

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "evidenceDueBy": evidence_due_by,
                "hasEvidence": has_evidence,
                "status": status,
                "submissionCount": submission_count,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_evidence_due_by(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                evidence_due_by_type_0 = datetime.datetime.fromisoformat(data)

                return evidence_due_by_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        evidence_due_by = _parse_evidence_due_by(d.pop("evidenceDueBy"))

        has_evidence = d.pop("hasEvidence")

        status = d.pop("status")

        submission_count = d.pop("submissionCount")

        stripe_dispute_view = cls(
            evidence_due_by=evidence_due_by,
            has_evidence=has_evidence,
            status=status,
            submission_count=submission_count,
        )

        return stripe_dispute_view
