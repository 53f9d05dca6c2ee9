from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="ChargedPeriod")


@_attrs_define
class ChargedPeriod:
    amount: int
    outcome: Literal["CHARGED"]
    payment_id: str
    period: str
    """ YYYY-MM """

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        outcome = self.outcome

        payment_id = self.payment_id

        period = self.period

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "outcome": outcome,
                "paymentId": payment_id,
                "period": period,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        outcome = cast(Literal["CHARGED"], d.pop("outcome"))
        if outcome != "CHARGED":
            raise ValueError(f"outcome must match const 'CHARGED', got '{outcome}'")

        payment_id = d.pop("paymentId")

        period = d.pop("period")

        charged_period = cls(
            amount=amount,
            outcome=outcome,
            payment_id=payment_id,
            period=period,
        )

        return charged_period
