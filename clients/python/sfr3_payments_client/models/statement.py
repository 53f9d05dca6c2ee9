from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.statement_charge import StatementCharge
    from ..models.statement_totals import StatementTotals


T = TypeVar("T", bound="Statement")


@_attrs_define
class Statement:
    balance: int
    charges: list[StatementCharge]
    currency: str
    payable: int
    pending_payments: int
    resident_id: str
    totals: StatementTotals

    def to_dict(self) -> dict[str, Any]:
        balance = self.balance

        charges = []
        for charges_item_data in self.charges:
            charges_item = charges_item_data.to_dict()
            charges.append(charges_item)

        currency = self.currency

        payable = self.payable

        pending_payments = self.pending_payments

        resident_id = self.resident_id

        totals = self.totals.to_dict()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "balance": balance,
                "charges": charges,
                "currency": currency,
                "payable": payable,
                "pendingPayments": pending_payments,
                "residentId": resident_id,
                "totals": totals,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.statement_charge import StatementCharge  # noqa: PLC0415
        from ..models.statement_totals import StatementTotals  # noqa: PLC0415

        d = dict(src_dict)
        balance = d.pop("balance")

        charges = []
        _charges = d.pop("charges")
        for charges_item_data in _charges:
            charges_item = StatementCharge.from_dict(charges_item_data)

            charges.append(charges_item)

        currency = d.pop("currency")

        payable = d.pop("payable")

        pending_payments = d.pop("pendingPayments")

        resident_id = d.pop("residentId")

        totals = StatementTotals.from_dict(d.pop("totals"))

        statement = cls(
            balance=balance,
            charges=charges,
            currency=currency,
            payable=payable,
            pending_payments=pending_payments,
            resident_id=resident_id,
            totals=totals,
        )

        return statement
