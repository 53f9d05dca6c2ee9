from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..models.payment_status import PaymentStatus

T = TypeVar("T", bound="PaymentAccepted")


@_attrs_define
class PaymentAccepted:
    amount: int
    balance_after_payment: int
    currency: str
    current_balance: int
    payment_id: str
    payment_method_id: str
    status: PaymentStatus

    def to_dict(self) -> dict[str, Any]:
        amount = self.amount

        balance_after_payment = self.balance_after_payment

        currency = self.currency

        current_balance = self.current_balance

        payment_id = self.payment_id

        payment_method_id = self.payment_method_id

        status = self.status.value

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "amount": amount,
                "balanceAfterPayment": balance_after_payment,
                "currency": currency,
                "currentBalance": current_balance,
                "paymentId": payment_id,
                "paymentMethodId": payment_method_id,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        amount = d.pop("amount")

        balance_after_payment = d.pop("balanceAfterPayment")

        currency = d.pop("currency")

        current_balance = d.pop("currentBalance")

        payment_id = d.pop("paymentId")

        payment_method_id = d.pop("paymentMethodId")

        status = PaymentStatus(d.pop("status"))

        payment_accepted = cls(
            amount=amount,
            balance_after_payment=balance_after_payment,
            currency=currency,
            current_balance=current_balance,
            payment_id=payment_id,
            payment_method_id=payment_method_id,
            status=status,
        )

        return payment_accepted
