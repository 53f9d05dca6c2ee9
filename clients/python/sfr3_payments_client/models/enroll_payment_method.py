from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.enroll_payment_method_type import EnrollPaymentMethodType
from ..types import UNSET, Unset

T = TypeVar("T", bound="EnrollPaymentMethod")


@_attrs_define
class EnrollPaymentMethod:
    payment_method_id: str
    type_: EnrollPaymentMethodType
    is_default: bool | Unset = False
    label: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        payment_method_id = self.payment_method_id

        type_ = self.type_.value

        is_default = self.is_default

        label: None | str | Unset
        if isinstance(self.label, Unset):
            label = UNSET
        else:
            label = self.label

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "paymentMethodId": payment_method_id,
                "type": type_,
            }
        )
        if is_default is not UNSET:
            field_dict["isDefault"] = is_default
        if label is not UNSET:
            field_dict["label"] = label

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        payment_method_id = d.pop("paymentMethodId")

        type_ = EnrollPaymentMethodType(d.pop("type"))

        is_default = d.pop("isDefault", UNSET)

        def _parse_label(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        label = _parse_label(d.pop("label", UNSET))

        enroll_payment_method = cls(
            payment_method_id=payment_method_id,
            type_=type_,
            is_default=is_default,
            label=label,
        )

        return enroll_payment_method
