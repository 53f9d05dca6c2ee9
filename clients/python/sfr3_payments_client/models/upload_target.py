from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.file_upload import FileUpload
    from ..models.presigned_post import PresignedPost


T = TypeVar("T", bound="UploadTarget")


@_attrs_define
class UploadTarget:
    dispute_id: str
    key: str
    upload: FileUpload | PresignedPost

    def to_dict(self) -> dict[str, Any]:
        from ..models.file_upload import FileUpload  # noqa: PLC0415

        dispute_id = self.dispute_id

        key = self.key

        upload: dict[str, Any]
        if isinstance(self.upload, FileUpload):
            upload = self.upload.to_dict()
        else:
            upload = self.upload.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "disputeId": dispute_id,
                "key": key,
                "upload": upload,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.file_upload import FileUpload  # noqa: PLC0415
        from ..models.presigned_post import PresignedPost  # noqa: PLC0415

        d = dict(src_dict)
        dispute_id = d.pop("disputeId")

        key = d.pop("key")

        def _parse_upload(data: object) -> FileUpload | PresignedPost:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                upload_type_0 = FileUpload.from_dict(data)

                return upload_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            upload_type_1 = PresignedPost.from_dict(data)

            return upload_type_1

        upload = _parse_upload(d.pop("upload"))

        upload_target = cls(
            dispute_id=dispute_id,
            key=key,
            upload=upload,
        )

        return upload_target
