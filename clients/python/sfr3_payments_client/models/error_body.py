from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.invalid_field import InvalidField


T = TypeVar("T", bound="ErrorBody")


@_attrs_define
class ErrorBody:
    """Every refusal the API itself makes. Some codes add fields, e.g. `balance` with
    `amount_exceeds_balance`, `paymentId`/`status` with `payment_declined`, `details` with
    `invalid_request` from validation.

    """

    code: str
    """ Stable machine-readable code """
    error: str
    """ Human-readable message """
    details: list[InvalidField] | Unset = UNSET
    """ The invalid fields (validation only) """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        error = self.error

        details: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.details, Unset):
            details = []
            for details_item_data in self.details:
                details_item = details_item_data.to_dict()
                details.append(details_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "error": error,
            }
        )
        if details is not UNSET:
            field_dict["details"] = details

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.invalid_field import InvalidField  # noqa: PLC0415

        d = dict(src_dict)
        code = d.pop("code")

        error = d.pop("error")

        _details = d.pop("details", UNSET)
        details: list[InvalidField] | Unset = UNSET
        if _details is not UNSET:
            details = []
            for details_item_data in _details:
                details_item = InvalidField.from_dict(details_item_data)

                details.append(details_item)

        error_body = cls(
            code=code,
            error=error,
            details=details,
        )

        error_body.additional_properties = d
        return error_body

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
