from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.payment_status import PaymentStatus

T = TypeVar("T", bound="RefundResult")


@_attrs_define
class RefundResult:
    amount: int
    balance: int
    currency: str
    payment_id: str
    refund_id: str
    refunded: int
    status: PaymentStatus

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        balance = self.balance

        currency = self.currency

        payment_id = self.payment_id

        refund_id = self.refund_id

        refunded = self.refunded

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "balance": balance,
                "currency": currency,
                "paymentId": payment_id,
                "refundId": refund_id,
                "refunded": refunded,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        balance = d.pop("balance")

        currency = d.pop("currency")

        payment_id = d.pop("paymentId")

        refund_id = d.pop("refundId")

        refunded = d.pop("refunded")

        status = PaymentStatus(d.pop("status"))

        refund_result = cls(
            amount=amount,
            balance=balance,
            currency=currency,
            payment_id=payment_id,
            refund_id=refund_id,
            refunded=refunded,
            status=status,
        )

        return refund_result
