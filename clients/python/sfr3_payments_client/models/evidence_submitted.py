from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="EvidenceSubmitted")


@_attrs_define
class EvidenceSubmitted:
    dispute_id: str
    files: list[str]
    """ The evidence fields sent to Stripe """
    status: Literal["UNDER_REVIEW"]

    def to_dict(self) -> dict[str, Any]:
        dispute_id = self.dispute_id

        files = self.files

        status = self.status

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "disputeId": dispute_id,
                "files": files,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        dispute_id = d.pop("disputeId")

        files = cast(list[str], d.pop("files"))

        status = cast(Literal["UNDER_REVIEW"], d.pop("status"))
        if status != "UNDER_REVIEW":
            raise ValueError(f"status must match const 'UNDER_REVIEW', got '{status}'")

        evidence_submitted = cls(
            dispute_id=dispute_id,
            files=files,
            status=status,
        )

        return evidence_submitted
