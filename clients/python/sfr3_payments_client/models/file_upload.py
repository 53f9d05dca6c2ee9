from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.file_upload_headers import FileUploadHeaders


T = TypeVar("T", bound="FileUpload")


@_attrs_define
class FileUpload:
    """`make run`: write the file at `path` (a folder under SFR3_HOME)."""

    headers: FileUploadHeaders
    max_bytes: int
    method: Literal["FILE"]
    path: str
    url: str

    def to_dict(self) -> dict[str, Any]:
        headers = self.headers.to_dict()

        max_bytes = self.max_bytes

        method = self.method

        path = self.path

        url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "headers": headers,
                "maxBytes": max_bytes,
                "method": method,
                "path": path,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.file_upload_headers import FileUploadHeaders  # noqa: PLC0415

        d = dict(src_dict)
        headers = FileUploadHeaders.from_dict(d.pop("headers"))

        max_bytes = d.pop("maxBytes")

        method = cast(Literal["FILE"], d.pop("method"))
        if method != "FILE":
            raise ValueError(f"method must match const 'FILE', got '{method}'")

        path = d.pop("path")

        url = d.pop("url")

        file_upload = cls(
            headers=headers,
            max_bytes=max_bytes,
            method=method,
            path=path,
            url=url,
        )

        return file_upload
