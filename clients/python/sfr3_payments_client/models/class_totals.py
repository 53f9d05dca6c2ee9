from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="ClassTotals")


@_attrs_define
class ClassTotals:
    fee: int
    ledger_amount: int
    net: int
    stripe_amount: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        fee = self.fee

        ledger_amount = self.ledger_amount

        net = self.net

        stripe_amount = self.stripe_amount

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "fee": fee,
                "ledgerAmount": ledger_amount,
                "net": net,
                "stripeAmount": stripe_amount,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        fee = d.pop("fee")

        ledger_amount = d.pop("ledgerAmount")

        net = d.pop("net")

        stripe_amount = d.pop("stripeAmount")

        class_totals = cls(
            fee=fee,
            ledger_amount=ledger_amount,
            net=net,
            stripe_amount=stripe_amount,
        )

        class_totals.additional_properties = d
        return class_totals

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
