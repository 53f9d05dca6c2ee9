from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.presigned_post_fields import PresignedPostFields


T = TypeVar("T", bound="PresignedPost")


@_attrs_define
class PresignedPost:
    """Deployed: a presigned S3 POST (multipart form with `fields`, then the file)."""

    fields: PresignedPostFields
    max_bytes: int
    method: Literal["POST"]
    url: str

    def to_dict(self) -> dict[str, Any]:
        fields = self.fields.to_dict()

        max_bytes = self.max_bytes

        method = self.method

        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "fields": fields,
                "maxBytes": max_bytes,
                "method": method,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.presigned_post_fields import PresignedPostFields  # noqa: PLC0415

        d = dict(src_dict)
        fields = PresignedPostFields.from_dict(d.pop("fields"))

        max_bytes = d.pop("maxBytes")

        method = cast(Literal["POST"], d.pop("method"))
        if method != "POST":
            raise ValueError(f"method must match const 'POST', got '{method}'")

        url = d.pop("url")

        presigned_post = cls(
            fields=fields,
            max_bytes=max_bytes,
            method=method,
            url=url,
        )

        return presigned_post
