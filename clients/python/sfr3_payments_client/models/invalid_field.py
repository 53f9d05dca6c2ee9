from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="InvalidField")


@_attrs_define
class InvalidField:
    """One field a request failed validation on."""

    field: str
    """ Dotted path of the field (`body` for the whole body) """
    in_: str
    """ body, path, query or header """
    message: str

    def to_dict(self) -> dict[str, Any]:
        field = self.field

        in_ = self.in_

        message = self.message

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "field": field,
                "in": in_,
                "message": message,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        field = d.pop("field")

        in_ = d.pop("in")

        message = d.pop("message")

        invalid_field = cls(
            field=field,
            in_=in_,
            message=message,
        )

        return invalid_field
