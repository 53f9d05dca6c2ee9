from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.payment_method_type import PaymentMethodType

T = TypeVar("T", bound="PaymentMethod")


@_attrs_define
class PaymentMethod:
    """A payment method as the API shows it (never the Stripe token)."""

    brand: None | str
    enrolled_at: datetime.datetime
    is_default: bool
    label: str
    last4: str
    method_id: str
    removed_at: datetime.datetime | None
    type_: PaymentMethodType

    def to_dict(self) -> dict[str, Any]:
        brand: None | str
        brand = self.brand

        enrolled_at = self.enrolled_at.isoformat()

        is_default = self.is_default

        label = self.label

        last4 = self.last4

        method_id = self.method_id

        removed_at: None | str
        if isinstance(self.removed_at, datetime.datetime):
            removed_at = self.removed_at.isoformat()
        else:
            removed_at = self.removed_at

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "brand": brand,
                "enrolledAt": enrolled_at,
                "isDefault": is_default,
                "label": label,
                "last4": last4,
                "methodId": method_id,
                "removedAt": removed_at,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_brand(data: object) -> None | str:
            if data is None:
                return data
            return cast(None | str, data)

        brand = _parse_brand(d.pop("brand"))

        enrolled_at = datetime.datetime.fromisoformat(d.pop("enrolledAt"))

        is_default = d.pop("isDefault")

        label = d.pop("label")

        last4 = d.pop("last4")

        method_id = d.pop("methodId")

        def _parse_removed_at(data: object) -> datetime.datetime | None:
            if data is None:
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                removed_at_type_0 = datetime.datetime.fromisoformat(data)

                return removed_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None, data)

        removed_at = _parse_removed_at(d.pop("removedAt"))

        type_ = PaymentMethodType(d.pop("type"))

        payment_method = cls(
            brand=brand,
            enrolled_at=enrolled_at,
            is_default=is_default,
            label=label,
            last4=last4,
            method_id=method_id,
            removed_at=removed_at,
            type_=type_,
        )

        return payment_method
