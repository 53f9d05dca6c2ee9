from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Balance")


@_attrs_define
class Balance:
    balance: int
    currency: str
    payable: int
    """ balance - pendingPayments: what may still be paid """
    pending_payments: int
    resident_id: str

    def to_dict(self) -> dict[str, Any]:
        balance = self.balance

        currency = self.currency

        payable = self.payable

        pending_payments = self.pending_payments

        resident_id = self.resident_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "balance": balance,
                "currency": currency,
                "payable": payable,
                "pendingPayments": pending_payments,
                "residentId": resident_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        balance = d.pop("balance")

        currency = d.pop("currency")

        payable = d.pop("payable")

        pending_payments = d.pop("pendingPayments")

        resident_id = d.pop("residentId")

        balance = cls(
            balance=balance,
            currency=currency,
            payable=payable,
            pending_payments=pending_payments,
            resident_id=resident_id,
        )

        return balance
