from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="EvidenceFile")


@_attrs_define
class EvidenceFile:
    category: str
    filename: str
    key: str
    size: int | None

    def to_dict(self) -> dict[str, Any]:
        category = self.category

        filename = self.filename

        key = self.key

        size: int | None
        size = self.size

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "category": category,
                "filename": filename,
                "key": key,
                "size": size,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        category = d.pop("category")

        filename = d.pop("filename")

        key = d.pop("key")

        def _parse_size(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        size = _parse_size(d.pop("size"))

        evidence_file = cls(
            category=category,
            filename=filename,
            key=key,
            size=size,
        )

        return evidence_file
