from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="GatewayError")


@_attrs_define
class GatewayError:
    """What API Gateway (and the local gateway, `make run`) answers itself, before any
    function runs: no or a bad bearer token is 401 `{"message": "Unauthorized"}`.

    """

    message: str

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        message = d.pop("message")

        gateway_error = cls(
            message=message,
        )

        return gateway_error
