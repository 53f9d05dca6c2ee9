from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.evidence_upload_category import EvidenceUploadCategory
from ..models.evidence_upload_contenttype import EvidenceUploadContenttype
from ..types import UNSET, Unset

T = TypeVar("T", bound="EvidenceUpload")


@_attrs_define
class EvidenceUpload:
    content_type: EvidenceUploadContenttype
    filename: str
    size: int
    category: EvidenceUploadCategory | Unset = EvidenceUploadCategory.UNCATEGORIZED_FILE

    def to_dict(self) -> dict[str, Any]:
        content_type = self.content_type.value

        filename = self.filename

        size = self.size

        category: str | Unset = UNSET
        if not isinstance(self.category, Unset):
            category = self.category.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "contentType": content_type,
                "filename": filename,
                "size": size,
            }
        )
        if category is not UNSET:
            field_dict["category"] = category

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        content_type = EvidenceUploadContenttype(d.pop("contentType"))

        filename = d.pop("filename")

        size = d.pop("size")

        _category = d.pop("category", UNSET)
        category: EvidenceUploadCategory | Unset
        if isinstance(_category, Unset):
            category = UNSET
        else:
            category = EvidenceUploadCategory(_category)

        evidence_upload = cls(
            content_type=content_type,
            filename=filename,
            size=size,
            category=category,
        )

        return evidence_upload
